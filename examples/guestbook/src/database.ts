/**
 * The connection pool and how database failures are told apart from bugs. Timeouts are short on
 * purpose: during a database failover a request should fail fast (and be retried by the client
 * with the same Idempotency-Key) rather than hold a connection of the load balancer for minutes.
 */
import pg from 'pg';

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
  // An idle client whose server went away (restart, failover) emits here; without a listener
  // that would crash the process. The pool drops the client and opens a new one when needed.
  pool.on('error', (err) => warn(`database connection lost: ${err.message}`));
  return pool;
}

const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or a standby not yet consistent)
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '25006', // read_only_sql_transaction: we reached a standby, e.g. just after a failover
]);

/**
 * True when the error means "the database cannot serve right now" (answer 503, retry later) rather
 * than a bug in this app (answer 500).
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection is closed|Client has encountered a connection error/i.test(msg);
}
