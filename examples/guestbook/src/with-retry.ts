/**
 * Runs one database operation on a connection of its own from the pool, and runs it again when
 * retry-rule.ts says that is safe. Holding the connection for the whole operation tells a failure
 * while connecting (nothing was sent) from one while running (it may have committed), and a
 * listener on the connection keeps the process alive when the server cuts it between two
 * statements. A connection that failed is destroyed, never handed out again.
 */
import type pg from 'pg';
import { isUnavailable } from './database.ts';
import { classifyFailure, decideRetry, DEFAULT_RETRY_POLICY, type Phase, type RetryPolicy } from './retry-rule.ts';

export interface RetryOptions {
  /** A read, or a write with an idempotency key: safe to run again even if a try may have committed. */
  readonly idempotent: boolean;
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  /** Seams for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * A write that is not idempotent failed after its statement may have reached the server: it may or
 * may not have committed, and trying it again could make it twice. `cause` is the database error.
 */
export class OutcomeUnknownError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the outcome of the write is unknown: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'OutcomeUnknownError';
  }
}

/**
 * Runs `op` on a pooled connection, retrying per `policy`. Throws the last error when it gives up,
 * or an OutcomeUnknownError when a non-idempotent operation lost its connection (or timed out)
 * after its statement may have reached the server.
 */
export async function withRetry<T>(pool: pg.Pool, op: (client: pg.PoolClient) => Promise<T>, o: RetryOptions): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const policy = o.policy ?? DEFAULT_RETRY_POLICY;
  const start = now();
  for (let attempt = 1; ; attempt++) {
    const tried: { phase: Phase } = { phase: 'connect' };
    try {
      return await runOnce(pool, op, tried);
    } catch (err) {
      const failure = classifyFailure(err, tried.phase);
      const decision = decideRetry({ failure, idempotent: o.idempotent, attempt, elapsedMs: now() - start, random: (o.random ?? Math.random)() }, policy);
      if (decision.retry) {
        await sleep(decision.delayMs);
        continue;
      }
      // Lost mid-way or timed out: the write may have committed. (A bug stays a bug: rethrown.)
      if (!o.idempotent && failure.effect === 'unknown' && isUnavailable(err)) throw new OutcomeUnknownError(err);
      throw err;
    }
  }
}

async function runOnce<T>(pool: pg.Pool, op: (client: pg.PoolClient) => Promise<T>, tried: { phase: Phase }): Promise<T> {
  const client = await pool.connect();
  tried.phase = 'query';
  // Checked out, a connection has no pool listener: an error the server sends between two
  // statements (a terminated session) would otherwise be an unhandled 'error' event.
  let lost: Error | undefined;
  const onError = (e: Error) => {
    lost = e;
  };
  client.on('error', onError);
  let failed: unknown;
  try {
    return await op(client);
  } catch (e) {
    failed = e;
    throw e;
  } finally {
    client.off('error', onError);
    // Destroy a connection that failed in any way; a fresh one costs little next to a broken one
    // (or one left on a server that turned read-only) being handed out again.
    client.release(failed !== undefined || lost !== undefined ? (lost ?? true) : undefined);
  }
}
