/**
 * The primary's commit policy: which standbys must confirm a commit before it returns
 * (synchronous_standby_names) and whether it accepts writes at all (default_transaction_read_only,
 * the fence a failover puts up). A pure core renders the setting; the shell applies it with ALTER
 * SYSTEM and waits until new sessions see it.
 */
import pg from 'pg';
import { waitForSettings, withSuperuser } from './admin-session.ts';
import type { PostgresNode } from './postgres-node.ts';
import { checkNodeName, invalidInput } from './replication-input.ts';

export interface CommitPolicy {
  /** Node names (their application_name), or `['*']` for any standby. Empty: commits wait for none. */
  readonly standbys: readonly string[];
  /** `first`: the first `num` connected standbys in list order; `any`: any `num` of them (quorum). */
  readonly mode: 'first' | 'any';
  /** How many standbys must confirm each commit. */
  readonly num: number;
  /** True refuses writes in every session that does not override it (SQLSTATE 25006). */
  readonly readOnly: boolean;
}

/** How long a reload may take to reach new sessions. */
const APPLY_TIMEOUT_MS = 10_000;

/** The synchronous_standby_names value of a policy: `FIRST 1 ("db-b")`, `ANY 1 ("db-b", "db-c")` or ''. */
export function synchronousStandbyNames(p: Pick<CommitPolicy, 'standbys' | 'mode' | 'num'>): string {
  if (p.mode !== 'first' && p.mode !== 'any') throw invalidInput('mode', p.mode, "'first' or 'any'");
  if (p.standbys.length === 0) return '';
  const wildcard = p.standbys.length === 1 && p.standbys[0] === '*';
  if (!wildcard) p.standbys.forEach((s, i) => checkNodeName(`standbys[${i}]`, s));
  if (!wildcard && new Set(p.standbys).size !== p.standbys.length) {
    throw invalidInput('standbys', p.standbys.join(','), 'each node named once');
  }
  const max = wildcard ? Number.MAX_SAFE_INTEGER : p.standbys.length;
  if (!Number.isInteger(p.num) || p.num < 1 || p.num > max) {
    throw invalidInput('num', p.num, `a whole number from 1 to ${wildcard ? 'any' : max} (the number of standbys listed)`);
  }
  const list = wildcard ? '*' : p.standbys.map((s) => `"${s}"`).join(', ');
  return `${p.mode.toUpperCase()} ${p.num} (${list})`;
}

/**
 * Sets the primary's commit policy and resolves once a new session reports it. Sessions already
 * open pick it up at their next statement; commits already waiting for a standby that is no longer
 * required are released.
 */
export async function applyCommitPolicy(primary: PostgresNode, p: CommitPolicy): Promise<void> {
  const names = synchronousStandbyNames(p);
  const readOnly = p.readOnly ? 'on' : 'off';
  await withSuperuser(primary, 'set the commit policy', async (c) => {
    await c.query(`ALTER SYSTEM SET synchronous_standby_names = ${pg.escapeLiteral(names)}`);
    await c.query(`ALTER SYSTEM SET default_transaction_read_only = ${readOnly}`);
    await c.query('SELECT pg_reload_conf()');
  });
  await waitForSettings(primary, { synchronous_standby_names: names, default_transaction_read_only: readOnly }, APPLY_TIMEOUT_MS);
}
