/**
 * Streaming replication between the twin's nodes, as RDS Multi-AZ runs it: the replication role on
 * the primary, a cloned data folder turned into a hot standby, a running standby pointed at a new
 * primary (it follows the new timeline), and promotion. Standbys always reach their primary on
 * 127.0.0.1 and identify themselves by application_name, which the commit policy names.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { inRecovery, waitForSettings, withSuperuser } from './admin-session.ts';
import { conninfo, rewriteAutoConf, setSettings, writeDataFile } from './auto-conf.ts';
import { dbError } from './errors.ts';
import type { PostgresNode } from './postgres-node.ts';
import { checkNodeName, checkPassword, checkPort, checkRoleName, invalidInput } from './replication-input.ts';
import { scramSha256Verifier } from './scram.ts';

export interface StandbySource {
  /** The primary's port on 127.0.0.1. */
  readonly primaryPort: number;
  /** The replication role (see ensureReplicationRole) and its password. */
  readonly user: string;
  readonly password: string;
  /** The standby's node name; the primary's commit policy and pg_stat_replication know it by this. */
  readonly applicationName: string;
}

/** How long a reload may take to reach new sessions. */
const APPLY_TIMEOUT_MS = 10_000;

/**
 * The replication password lives in this libpq password file inside the standby's data folder
 * (0600, the server's user), never in primary_conninfo: PostgreSQL logs a changed primary_conninfo
 * in full when it reloads its configuration.
 */
export const PASSFILE = 'hastack-replication.pgpass';

/**
 * Creates (or updates) the LOGIN REPLICATION role standbys sign in with; safe to repeat. Only a
 * SCRAM verifier of the password reaches the server. Its commit waits for no standby, so it also
 * works while the primary's synchronous standbys are down.
 */
export async function ensureReplicationRole(primary: PostgresNode, user: string, password: string): Promise<void> {
  checkRoleName('user', user);
  checkPassword('password', password);
  await withSuperuser(primary, `create replication role ${user}`, async (c) => {
    if (await inRecovery(c)) {
      throw dbError('HASTACK_DB_WRONG_ROLE', `cannot create replication role ${user} on ${primary.name}: it is a standby`, {
        details: { node: primary.name },
      });
    }
    await c.query("SET synchronous_commit = 'local'");
    await c.query('SET default_transaction_read_only = off');
    const exists = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1;
    await c.query(
      `${exists ? 'ALTER' : 'CREATE'} ROLE ${pg.escapeIdentifier(user)} WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS ` +
        `PASSWORD ${pg.escapeLiteral(scramSha256Verifier(password))}`,
    );
  });
}

/**
 * Makes a cloned data folder (see takeBaseBackup) start as a hot standby of the primary: writes
 * standby.signal and the password file (PASSFILE), and sets primary_conninfo, restore_command
 * (removed when not given) and recovery_target_timeline = 'latest' in postgresql.auto.conf. Every
 * file is 0600 and owned like the folder. The server must not be running on the folder.
 */
export async function configureStandby(dataDir: string, o: StandbySource & { readonly restoreCommand?: string }): Promise<void> {
  const conn = primaryConninfo(o, path.resolve(dataDir));
  if (o.restoreCommand !== undefined && !/^[^\0\r\n]+$/.test(o.restoreCommand)) {
    throw invalidInput('restoreCommand', o.restoreCommand, 'a non-empty command on one line');
  }
  if ((await stat(path.join(dataDir, 'PG_VERSION')).catch(() => undefined)) === undefined) {
    throw dbError('HASTACK_DB_NOT_INITIALIZED', `cannot configure a standby in ${dataDir}: it holds no data folder (no PG_VERSION)`, {
      details: { dataDir },
    });
  }
  await writeDataFile(dataDir, PASSFILE, passfileLine(o.user, o.password));
  await writeDataFile(dataDir, 'standby.signal', '');
  await rewriteAutoConf(dataDir, (text) =>
    setSettings(text, { primary_conninfo: conn, restore_command: o.restoreCommand, recovery_target_timeline: 'latest' }),
  );
}

/**
 * Points a running standby at a new primary. PostgreSQL (13 and later) restarts the WAL receiver
 * on reload, and with recovery_target_timeline = 'latest' the standby follows the new primary's
 * timeline. Resolves once new sessions see the new primary_conninfo. The password goes to the
 * password file, never into a statement or a setting the server would log.
 */
export async function repointStandby(standby: PostgresNode, o: StandbySource): Promise<void> {
  const dataDir = standby.paths.dataDir;
  const conn = primaryConninfo(o, dataDir);
  await withSuperuser(standby, 'repoint the standby', async (c) => {
    if (!(await inRecovery(c))) {
      throw dbError('HASTACK_DB_WRONG_ROLE', `cannot repoint ${standby.name} to port ${o.primaryPort}: it is a primary, not a standby`, {
        details: { node: standby.name },
      });
    }
    await writeDataFile(dataDir, PASSFILE, passfileLine(o.user, o.password));
    await c.query(`ALTER SYSTEM SET primary_conninfo = ${pg.escapeLiteral(conn)}`);
    await c.query('SELECT pg_reload_conf()');
  });
  await waitForSettings(standby, { primary_conninfo: conn }, APPLY_TIMEOUT_MS);
}

/**
 * Promotes a standby and waits until it accepts writes; `ms` is how long that took. Throws
 * HASTACK_DB_WRONG_ROLE for a node that is no standby, HASTACK_DB_PROMOTE_TIMEOUT when it is still
 * in recovery after `timeoutMs` (it may finish later), HASTACK_DB_PROMOTE_FAILED otherwise.
 */
export async function promote(node: PostgresNode, timeoutMs: number): Promise<{ ms: number }> {
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1) throw invalidInput('timeoutMs', timeoutMs, 'a positive number of milliseconds');
  const t0 = Date.now();
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const timedOut = () =>
    dbError('HASTACK_DB_PROMOTE_TIMEOUT', `${node.name} was still in recovery ${Date.now() - t0} ms after promotion was requested`, {
      details: { node: node.name, timeoutMs },
    });
  return withSuperuser(node, 'promote', async (c) => {
    if (!(await inRecovery(c))) {
      throw dbError('HASTACK_DB_WRONG_ROLE', `cannot promote ${node.name}: it is already a primary`, { details: { node: node.name } });
    }
    let done: boolean;
    try {
      done = (await c.query<{ done: boolean }>('SELECT pg_promote(true, $1) AS done', [seconds])).rows[0]!.done;
    } catch (e) {
      if (Date.now() - t0 >= timeoutMs) throw timedOut();
      throw dbError('HASTACK_DB_PROMOTE_FAILED', `promoting ${node.name} failed: ${(e as Error).message}`, {
        cause: e,
        details: { node: node.name },
      });
    }
    if (!done) throw timedOut();
    return { ms: Date.now() - t0 };
  }, timeoutMs + 5_000);
}

function primaryConninfo(o: StandbySource, dataDir: string): string {
  checkPort('primaryPort', o.primaryPort);
  checkRoleName('user', o.user);
  checkPassword('password', o.password);
  checkNodeName('applicationName', o.applicationName);
  return conninfo({
    host: '127.0.0.1',
    port: o.primaryPort,
    user: o.user,
    passfile: path.join(dataDir, PASSFILE),
    application_name: o.applicationName,
    connect_timeout: 10,
  });
}

/** A password-file line for `user` on 127.0.0.1, any port and database (replication included). */
export function passfileLine(user: string, password: string): string {
  const esc = (v: string) => v.replace(/[\\:]/g, (ch) => `\\${ch}`);
  return `127.0.0.1:*:*:${esc(user)}:${esc(password)}\n`;
}
