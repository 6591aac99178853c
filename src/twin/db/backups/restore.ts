/**
 * Point-in-time restore, as RDS does it: a NEW instance built from the latest snapshot that
 * finished before the target time, which replays archived WAL up to that time and is promoted.
 * The source instance is never touched, and the new one archives nothing of its own.
 */
import { chmod, chown, cp, lchown, lstat, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { logTail } from '../../../util/log-tail.ts';
import type { EmitEvent } from '../../events.ts';
import { removeSettings, rewriteAutoConf, setSettings } from '../auto-conf.ts';
import { dbError } from '../errors.ts';
import type { PostgresBinaries } from '../find-binaries.ts';
import { resolvePaths } from '../node-layout.ts';
import { PostgresNode, type PostgresNodeOptions } from '../postgres-node.ts';
import { resolveRunAsUser, type RunAsUser } from '../run-as.ts';
import { restoreCommand } from './archive.ts';
import { checkRestoreDate } from './schedule.ts';
import type { SnapshotInfo } from './snapshot-rules.ts';
import type { SnapshotStore } from './snapshots.ts';

export interface RestoreToTimeOptions {
  readonly store: SnapshotStore;
  readonly archiveDir: string;
  readonly toTime: Date;
  /** Name of the new instance (node), e.g. `db-restored`. */
  readonly name: string;
  /** PGDATA of the new instance; must not hold data yet. */
  readonly dataDir: string;
  readonly binaries: PostgresBinaries;
  /** The twin's superuser password (the snapshot's roles carry it already; the node needs it to connect). */
  readonly superuserPassword: string;
  readonly zone: string;
  readonly registry?: PostgresNodeOptions['registry'];
  readonly onEvent?: EmitEvent;
  /** Milliseconds for start, WAL replay and promotion together. @default 120000 */
  readonly timeoutMs?: number;
}

export interface RestoreResult {
  /** The new instance, running and promoted. */
  readonly node: PostgresNode;
  /** Commit time of the last transaction replayed (pg_last_xact_replay_timestamp), to the millisecond, rounded down. */
  readonly recoveryPoint: Date | undefined;
  readonly snapshotId: string;
  readonly ms: number;
}

/** Settings the new instance must not inherit from the snapshot: archiving, replication and fencing. */
const NOT_INHERITED = [
  'archive_mode',
  'archive_command',
  'archive_library',
  'primary_conninfo',
  'primary_slot_name',
  'synchronous_standby_names',
  'default_transaction_read_only',
  'recovery_target',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_xid',
  'recovery_target_inclusive',
];

/** Settings used for the recovery only, reset once the instance is promoted. */
const RECOVERY_ONLY = ['restore_command', 'recovery_target_time', 'recovery_target_timeline', 'recovery_target_action'];

/** Files of the snapshot that would make the copy start as something else than a recovering instance. */
const STALE_FILES = ['postmaster.pid', 'postmaster.opts', 'standby.signal', 'recovery.signal'];

const POLL_MS = 100;

/**
 * Restores the database to `toTime` as a new instance: checks the time against the restorable
 * window (the same user errors as checkRestoreTime), copies the latest snapshot that finished by
 * then into `dataDir`, replays archived WAL up to `toTime`, promotes, and returns the running node.
 * On failure the new instance's files are removed again.
 */
export async function restoreToTime(o: RestoreToTimeOptions): Promise<RestoreResult> {
  const t0 = Date.now();
  const deadline = t0 + (o.timeoutMs ?? 120_000);
  const snapshots = await o.store.list();
  checkRestoreDate(o.toTime, await o.store.restorableWindow(), new Date());
  const snapshot = pickSnapshot(snapshots, o.toTime);
  if (snapshot === undefined) {
    throw dbError('HASTACK_DB_NO_BACKUPS', `no snapshot finished by ${o.toTime.toISOString()}`, {
      details: { field: 'toTime', received: o.toTime.toISOString() },
    });
  }
  const emit = (type: string, message: string, data: Record<string, unknown>) =>
    o.onEvent?.({ source: 'db', type, message, data: { node: o.name, zone: o.zone, ...data } });
  const runAs = await resolveRunAsUser();
  const paths = await resolvePaths(o.dataDir, o.name, runAs);
  const existing = await lstat(paths.dataDir).catch(() => undefined);
  if (existing !== undefined && (!existing.isDirectory() || (await readdir(paths.dataDir)).length > 0)) {
    throw dbError('HASTACK_DB_RESTORE_TARGET_EXISTS', `cannot restore as ${o.name}: ${paths.dataDir} already holds data; restore under another name`, {
      details: { field: 'name', received: o.name, dataDir: paths.dataDir },
    });
  }

  emit('restore-started', `restoring ${o.name} to ${o.toTime.toISOString()} from snapshot ${snapshot.id}`, {
    snapshotId: snapshot.id,
    toTime: o.toTime.toISOString(),
  });
  let node: PostgresNode | undefined;
  try {
    await copySnapshot(await o.store.dataDirOf(snapshot.id), paths.dataDir, runAs);
    await rewriteAutoConf(paths.dataDir, (text) =>
      setSettings(removeSettings(text, NOT_INHERITED), {
        restore_command: restoreCommand(o.archiveDir),
        recovery_target_time: pgTimestamp(o.toTime),
        recovery_target_timeline: 'latest',
        recovery_target_action: 'promote',
      }),
    );
    await writeOwned(path.join(paths.dataDir, 'recovery.signal'), '', 0o600, runAs);
    await writeOwned(paths.passwordFile, o.superuserPassword + '\n', 0o600, runAs);

    node = new PostgresNode({
      name: o.name,
      zone: o.zone,
      dataDir: o.dataDir,
      binaries: o.binaries,
      superuserPassword: o.superuserPassword,
      startTimeoutMs: Math.max(1_000, deadline - Date.now()),
      ...(o.registry === undefined ? {} : { registry: o.registry }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    });
    await node.start();
    const recoveryPoint = await waitPromoted(node, deadline);
    const ms = Date.now() - t0;
    emit('restore-finished', `restored ${o.name} to ${recoveryPoint?.toISOString() ?? 'the snapshot'} from snapshot ${snapshot.id} in ${ms} ms`, {
      snapshotId: snapshot.id,
      toTime: o.toTime.toISOString(),
      recoveryPoint: recoveryPoint?.toISOString(),
      ms,
    });
    return { node, recoveryPoint, snapshotId: snapshot.id, ms };
  } catch (e) {
    const tail = await logTail(paths.logFile, 20);
    if (node !== undefined) await node.remove().catch(() => undefined);
    else {
      await rm(paths.dataDir, { recursive: true, force: true }).catch(() => undefined);
      await rm(paths.passwordFile, { force: true }).catch(() => undefined);
    }
    throw dbError(
      'HASTACK_DB_RESTORE_FAILED',
      `restoring ${o.name} to ${o.toTime.toISOString()} from snapshot ${snapshot.id} failed: ${(e as Error).message}` +
        (tail === '' || (e as Error).message.includes(tail) ? '' : `\nlog tail:\n${tail}`),
      { cause: e, details: { node: o.name, snapshotId: snapshot.id, toTime: o.toTime.toISOString() } },
    );
  }
}

/** The latest snapshot that finished at or before `toTime`. */
export function pickSnapshot(snapshots: readonly SnapshotInfo[], toTime: Date): SnapshotInfo | undefined {
  let best: SnapshotInfo | undefined;
  for (const s of snapshots) {
    const end = Date.parse(s.finishedAt);
    if (end <= toTime.getTime() && (best === undefined || end > Date.parse(best.finishedAt))) best = s;
  }
  return best;
}

/** Waits until the node left recovery, drops the recovery settings, and returns the last replayed commit time. */
async function waitPromoted(node: PostgresNode, deadline: number): Promise<Date | undefined> {
  for (;;) {
    if (!node.running) throw new Error(`${node.name} exited during recovery`);
    const c = new pg.Client({ ...node.clientConfig(), connectionTimeoutMillis: 2_000, query_timeout: 10_000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const [r] = (await c.query<{ rec: boolean; t: string | null }>(
        'SELECT pg_is_in_recovery() AS rec, floor(extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint::text AS t',
      )).rows;
      if (r?.rec === false) {
        for (const name of RECOVERY_ONLY) await c.query(`ALTER SYSTEM RESET ${name}`);
        await c.query('SELECT pg_reload_conf()');
        return r.t === null ? undefined : new Date(Number(r.t));
      }
    } catch (e) {
      if (!node.running) throw new Error(`${node.name} exited during recovery`, { cause: e });
    } finally {
      await c.end().catch(() => undefined);
    }
    if (Date.now() >= deadline) throw new Error(`${node.name} was still recovering when the time ran out`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Copies the snapshot's data folder, keeping modes, owned by the PostgreSQL user, without stale state files. */
async function copySnapshot(from: string, to: string, runAs: RunAsUser | undefined): Promise<void> {
  await cp(from, to, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
  for (const f of STALE_FILES) await rm(path.join(to, f), { force: true });
  await chmod(to, 0o700);
  if (runAs === undefined) return;
  await lchown(to, runAs.uid, runAs.gid);
  for (const entry of await readdir(to, { recursive: true, withFileTypes: true })) {
    await lchown(path.join(entry.parentPath, entry.name), runAs.uid, runAs.gid);
  }
}

/** A timestamptz literal PostgreSQL's configuration parser accepts: `2025-01-31 13:45:00.123+00`. */
function pgTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '+00');
}

async function writeOwned(file: string, text: string, mode: number, runAs: RunAsUser | undefined): Promise<void> {
  await writeFile(file, text, { mode });
  await chmod(file, mode);
  if (runAs !== undefined && (await stat(file)).uid !== runAs.uid) await chown(file, runAs.uid, runAs.gid);
}
