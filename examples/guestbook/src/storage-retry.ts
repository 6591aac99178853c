/**
 * Runs one object storage request and runs it again, briefly, when the store could not serve it:
 * a 5xx or throttling answer (S3 answers 503 while it cannot reach enough of its storage), a
 * refused or timed-out connection. The same policy as the database's (retry-rule.ts): 3 tries
 * within 4 s. Only requests that may safely run twice come here: reads, and writes of an object
 * under a fresh key.
 */
import { decideRetry, DEFAULT_RETRY_POLICY, NETWORK_CODES, type Failure, type RetryPolicy } from './retry-rule.ts';

/** The store could not serve a request, even after the retries: answer 503, the client may retry. */
export class StorageUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the attachment store cannot serve right now: ${describeStorageError(cause)}`);
    this.name = 'StorageUnavailableError';
  }
}

export interface StorageRetryOptions {
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  /** Seams for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** S3 error names that mean "not now" rather than "never". */
const TRANSIENT_NAMES = new Set(['ServiceUnavailable', 'SlowDown', 'InternalError', 'RequestTimeout', 'TimeoutError']);

/** HTTP statuses of a store that cannot serve right now (501, a request it will never serve, is not one). */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Tells a store that cannot serve right now from any other failure (a missing key, denied access, a bug). */
export function classifyStorageFailure(err: unknown): Failure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  const transient =
    TRANSIENT_STATUSES.has(status) || (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) || (typeof e.code === 'string' && NETWORK_CODES.has(e.code));
  return { kind: transient ? 'connection' : 'other', effect: 'none' };
}

/**
 * Runs `op`, retrying per `policy` while the store cannot serve. Throws a StorageUnavailableError
 * when it gives up on such a failure, any other error at once.
 */
export async function withStorageRetry<T>(op: () => Promise<T>, o: StorageRetryOptions = {}): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const failure = classifyStorageFailure(err);
      if (failure.kind !== 'connection') throw err;
      const decision = decideRetry({ failure, idempotent: true, attempt, elapsedMs: now() - start, random: (o.random ?? Math.random)() }, o.policy ?? DEFAULT_RETRY_POLICY);
      if (!decision.retry) throw new StorageUnavailableError(err);
      await sleep(decision.delayMs);
    }
  }
}

function describeStorageError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${err.name}${status === undefined ? '' : ` (${status})`}: ${err.message}`;
}
