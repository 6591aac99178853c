/**
 * Short superuser sessions on a node for replication work: connect with a bound, run, always end.
 * Also the wait that follows ALTER SYSTEM + pg_reload_conf(): a reload is asynchronous, so a change
 * counts as applied only once a new session sees it.
 */
import pg from 'pg';
import { dbError } from './errors.ts';
import type { PostgresNode } from './postgres-node.ts';

const POLL_MS = 50;

/**
 * Runs `fn` on a new superuser session of `node`; `what` completes "cannot …" when the node is
 * not running. `timeoutMs` bounds the connect and each query.
 */
export async function withSuperuser<T>(
  node: PostgresNode,
  what: string,
  fn: (c: pg.Client) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  if (!node.running) {
    throw dbError('HASTACK_DB_NOT_RUNNING', `cannot ${what}: ${node.name} is not running`, { details: { node: node.name } });
  }
  const c = new pg.Client({
    ...node.clientConfig(),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'hastack',
  });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** True when the node is a standby (in recovery). */
export async function inRecovery(c: pg.Client): Promise<boolean> {
  return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r;
}

/**
 * Resolves once a new session's SHOW reports every expected value; throws
 * HASTACK_DB_SETTING_NOT_APPLIED after `timeoutMs`. Values are compared as SHOW prints them.
 */
export async function waitForSettings(node: PostgresNode, expected: Readonly<Record<string, string>>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const names = Object.keys(expected);
  let seen: Record<string, string> = {};
  for (;;) {
    seen = await withSuperuser(node, 'read settings', async (c) => {
      const out: Record<string, string> = {};
      for (const name of names) {
        out[name] = (await c.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;
      }
      return out;
    }, Math.max(1_000, deadline - Date.now()));
    if (names.every((n) => seen[n] === expected[n])) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const stale = names.filter((n) => seen[n] !== expected[n]);
  throw dbError(
    'HASTACK_DB_SETTING_NOT_APPLIED',
    `${node.name} still shows the old value of ${stale.join(', ')} ${timeoutMs} ms after pg_reload_conf()`,
    { details: { node: node.name, settings: stale } },
  );
}
