/**
 * When a failed database operation may be tried again, and after how long. Pure: the caller says
 * what failed and when, this module answers; with-retry.ts does the waiting and the I/O.
 *
 * The rule, in short:
 * - Only connection-class failures are retried (the connection or the server went away, as in a
 *   database failover), including a connection that could not be made in time. A statement or
 *   query timeout is not: the database is slow rather than gone, and retrying would add to its
 *   load. Nor is a bug or a constraint: the same try fails the same way.
 * - A failure while connecting happened before the statement could reach the server, so any
 *   operation may be retried. So may one the server refused as read-only (we reached a standby): a
 *   session on a read-only server cannot have written anything.
 * - A connection lost after the statement went out leaves its outcome unknown: it may have
 *   committed. Only an idempotent operation (a read, or a write carrying an idempotency key) is
 *   retried then.
 * - At most `maxAttempts` tries, with a growing, jittered backoff, and no try starts after
 *   `budgetMs`, so a request still ends well inside the load balancer's timeout.
 */

/** Where the operation was when it failed. */
export type Phase =
  /** Checking a connection out of the pool (or opening one): nothing was sent yet. */
  | 'connect'
  /** Running statements on a connection. */
  | 'query';

/** What a failed try tells about itself. */
export interface Failure {
  /** `connection`: the connection or the server failed, not the statement; worth another try. */
  readonly kind: 'connection' | 'other';
  /** `none`: the try cannot have changed anything; `unknown`: it may have committed. */
  readonly effect: 'none' | 'unknown';
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly maxAttempts: number;
  /** Wait before the second try, in ms; each later wait is `factor` times the one before. */
  readonly baseDelayMs: number;
  readonly factor: number;
  /** Each wait varies by up to this fraction either way, so instances do not retry in step. */
  readonly jitter: number;
  /** No try starts later than this many ms after the first began. */
  readonly budgetMs: number;
}

/**
 * Three tries within 4 s: waits of about 0.5 s and 1.5 s cover a failover of the twin (1–3 s), and
 * the worst case — the last try starting near the budget, then running into the pool's connect
 * (2 s) and query (6 s) timeouts — still ends in about 12 s, far inside the load balancer's 60 s.
 * An RDS failover (60–120 s) outlasts any sensible request; there the client retries on the 503
 * (Retry-After), with its idempotency key.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, factor: 3, jitter: 0.2, budgetMs: 4_000 };

/** Error codes of Node's sockets and DNS that mean the server could not be reached or went away. */
export const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs that mean the server ended or refused the session, not the statement. */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminated by an administrator, a shutdown or a failover
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, or a standby not yet consistent
  '53300', // too_many_connections
]);

/** A session on a read-only server (a standby, just after a failover) cannot have written anything. */
const READ_ONLY_SQLSTATE = '25006';

/** What node-postgres says when a connection ends or cannot be made (it sets no code on these). */
const CONNECTION_MESSAGES =
  /Connection terminated unexpectedly|Connection terminated due to connection timeout|timeout exceeded when trying to connect|connection error and is not queryable/i;

/** Tells a connection-class failure from any other, and whether the try may have had an effect. */
export function classifyFailure(err: unknown, phase: Phase): Failure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === READ_ONLY_SQLSTATE) return { kind: 'connection', effect: 'none' };
  const connection = code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || NETWORK_CODES.has(code) || CONNECTION_MESSAGES.test(message);
  return { kind: connection ? 'connection' : 'other', effect: phase === 'connect' ? 'none' : 'unknown' };
}

export interface RetryInput {
  readonly failure: Failure;
  /** A read, or a write that carries an idempotency key: running it twice has the effect of once. */
  readonly idempotent: boolean;
  /** Tries made so far, the failed one included (1 after the first). */
  readonly attempt: number;
  /** Ms since the first try began. */
  readonly elapsedMs: number;
  /** A number in [0, 1) that picks the jitter. */
  readonly random: number;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | {
      readonly retry: false;
      /**
       * `not-transient`: not a connection-class failure; `outcome-unknown`: it may have committed and
       * the operation is not idempotent; `attempts` / `budget`: the tries or the time are used up.
       */
      readonly reason: 'not-transient' | 'outcome-unknown' | 'attempts' | 'budget';
    };

/** Whether to try once more, and after how many ms. */
export function decideRetry(input: RetryInput, policy: RetryPolicy = DEFAULT_RETRY_POLICY): RetryDecision {
  if (input.failure.kind !== 'connection') return { retry: false, reason: 'not-transient' };
  if (input.failure.effect === 'unknown' && !input.idempotent) return { retry: false, reason: 'outcome-unknown' };
  if (input.attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts' };
  const delayMs = backoffMs(input.attempt, input.random, policy);
  if (input.elapsedMs + delayMs > policy.budgetMs) return { retry: false, reason: 'budget' };
  return { retry: true, delayMs };
}

/** The wait after the `attempt`-th failed try: base × factor^(attempt − 1), jittered, in whole ms. */
export function backoffMs(attempt: number, random: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const nominal = policy.baseDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.round(nominal * (1 - policy.jitter + 2 * policy.jitter * Math.min(Math.max(random, 0), 1)));
}
