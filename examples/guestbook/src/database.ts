/**
 * The connection pool and how database failures are told apart from bugs. Timeouts are short on
 * purpose: during a database failover a request should fail fast (after the few retries of
 * with-retry.ts, then by the client with the same Idempotency-Key) rather than hold a connection of
 * the load balancer for minutes.
 */
import pg from 'pg';
import { classifyFailure } from './retry-rule.ts';

/** The app's connection pool; lost idle connections are logged through `warn` and replaced. */
export function createPool(databaseUrl: string, instanceId: string, warn: (msg: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    // A few connections per instance: the fleet multiplies them, and max_connections is finite.
    max: 5,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 10_000,
    statement_timeout: 5_000,
    query_timeout: 6_000,
    keepAlive: true,
    application_name: `guestbook ${instanceId}`.slice(0, 63),
  });
  // An idle client whose server went away (restart, failover, a terminated session) emits here;
  // without a listener that would crash the process. The pool drops the client and opens a new one
  // for the next request. (A checked-out client has its own listener: see with-retry.ts.)
  pool.on('error', (err) => warn(`database connection lost: ${err.message}`));
  return pool;
}

/** The database is up but too slow: statement_timeout (57014) or the client's query_timeout. */
const TIMEOUT = { sqlstate: '57014', message: /Query read timeout/i } as const;

/**
 * True when the error means "the database cannot serve right now" (answer 503, retry later) rather
 * than a bug in this app (answer 500): a connection-class failure (retry-rule.ts, the errors worth
 * retrying at once) or a timeout (not retried at once, but the client may try again later).
 */
export function isUnavailable(err: unknown): boolean {
  if (classifyFailure(err, 'query').kind === 'connection') return true;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  return e.code === TIMEOUT.sqlstate || (typeof e.message === 'string' && TIMEOUT.message.test(e.message));
}
