/**
 * A base backup: a running node's whole data folder copied into a new folder that can start on its
 * own — as a standby of the source (see configureStandby) or as a restored instance. Two methods
 * give the same result: pg_basebackup with the WAL streamed alongside, or, with binaries that lack
 * it (the npm fallback), PostgreSQL's low-level backup API around a file copy, after which the
 * backup's WAL segments are copied too. The copy never inherits the source's commit policy
 * (synchronous_standby_names, default_transaction_read_only).
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { fsyncPath } from '../../util/fsync-path.ts';
import { removeSettings, rewriteAutoConf, writeDataFile } from './auto-conf.ts';
import {
  chooseCloneMethod,
  classifyDataPath,
  labelTimeline,
  parseBasebackupOutput,
  sanitizeLabel,
  type CloneMethod,
} from './base-backup-rules.ts';
import { dbError } from './errors.ts';
import { binPath, type PostgresBinaries } from './find-binaries.ts';
import { parseWalFileName, walSegmentRange } from './lsn.ts';
import { runToEnd, type PostgresNode } from './postgres-node.ts';
import { ensureBinariesReachable } from './reachable-binaries.ts';
import { firstBlockedFolder, resolveRunAsUser, type RunAsUser } from './run-as.ts';

export type { CloneMethod } from './base-backup-rules.ts';

export interface BaseBackupResult {
  readonly method: CloneMethod;
  /** Where replay of the copy starts (the backup's checkpoint redo point). */
  readonly startLsn: string;
  /** Where the copy is consistent: replay must reach this point before the copy is usable. */
  readonly stopLsn: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Bytes in the finished folder, WAL included. */
  readonly bytes: number;
}

export interface BaseBackupOptions {
  /** A running node; its superuser runs the backup. */
  readonly source: PostgresNode;
  /** Created (mode 0700, owned by the user PostgreSQL runs as); must not exist or be empty. */
  readonly targetDir: string;
  readonly binaries: PostgresBinaries;
  /** @default 'auto' — pg_basebackup when the binaries have it, else 'backup-api-copy'. */
  readonly method?: CloneMethod | 'auto';
  /** Recorded in the copy's backup_label, e.g. `standby db-b`. */
  readonly label: string;
  /** Milliseconds before a backup that does not finish (a paused source, say) is abandoned. @default 600000 */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** Settings a clone must not inherit: the source's commit policy and its fencing. */
const INHERITED_POLICY = ['synchronous_standby_names', 'default_transaction_read_only'];

/** Copies a running node's whole data folder into targetDir (created; must not exist or be empty). */
export async function takeBaseBackup(o: BaseBackupOptions): Promise<BaseBackupResult> {
  const method = chooseCloneMethod(o.method ?? 'auto', o.binaries);
  if (!o.source.running) {
    throw dbError('HASTACK_DB_NOT_RUNNING', `cannot clone ${o.source.name}: it is not running`, { details: { node: o.source.name } });
  }
  const runAs = await resolveRunAsUser();
  const target = path.resolve(o.targetDir);
  const created = await prepareTarget(target, runAs);
  const startedAt = new Date();
  const label = sanitizeLabel(o.label);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const range =
      method === 'pg_basebackup'
        ? await viaPgBasebackup(o.source, target, o.binaries, label, runAs, timeoutMs)
        : await viaBackupApi(o.source, target, label, runAs, timeoutMs);
    await rewriteAutoConf(target, (text) => removeSettings(text, INHERITED_POLICY));
    await chmod(target, 0o700);
    await fsyncPath(target);
    await fsyncPath(path.dirname(target));
    return { method, ...range, startedAt, finishedAt: new Date(), bytes: await folderBytes(target) };
  } catch (e) {
    await clearTarget(target, created);
    throw e;
  }
}

/** Creates the target (or checks that it is empty) and hands it to the server's user; true when created. */
async function prepareTarget(target: string, runAs: RunAsUser | undefined): Promise<boolean> {
  const st = await lstat(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (st !== undefined && (!st.isDirectory() || (await readdir(target)).length > 0)) {
    throw dbError(
      'HASTACK_DB_CLONE_TARGET_NOT_EMPTY',
      `targetDir ${target} ${st.isDirectory() ? 'is a folder that is not empty' : 'exists and is not a folder'}; expected a missing or empty folder`,
      { details: { targetDir: target } },
    );
  }
  if (st === undefined) {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await mkdir(target, { mode: 0o700 });
  }
  await chmod(target, 0o700);
  if (runAs !== undefined) await lchown(target, runAs.uid, runAs.gid);
  return st === undefined;
}

/** After a failure: the target goes away if this call made it, else it is emptied again. */
async function clearTarget(target: string, created: boolean): Promise<void> {
  if (created) {
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
    return;
  }
  for (const name of await readdir(target).catch(() => [] as string[])) {
    await rm(path.join(target, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

async function viaPgBasebackup(
  source: PostgresNode,
  target: string,
  binaries: PostgresBinaries,
  label: string,
  runAs: RunAsUser | undefined,
  timeoutMs: number,
): Promise<{ startLsn: string; stopLsn: string }> {
  // pg_basebackup writes the copy itself, so it runs as the user that will own it.
  const usable = runAs === undefined ? binaries : await ensureBinariesReachable(binaries, runAs);
  if (runAs !== undefined) {
    const blocked = await firstBlockedFolder(target, runAs);
    if (blocked !== undefined) {
      throw dbError(
        'HASTACK_DB_NOT_ACCESSIBLE',
        `user ${runAs.name}, which runs PostgreSQL, cannot enter ${blocked} to write the clone into ${target}; make it traversable (chmod o+x)`,
        { details: { targetDir: target, blocked, user: runAs.name } },
      );
    }
  }
  const cfg = source.clientConfig();
  const args = [
    `--pgdata=${target}`,
    '--format=plain',
    '--wal-method=stream',
    '--checkpoint=fast',
    `--label=${label}`,
    `--host=${cfg.host}`,
    `--port=${cfg.port}`,
    `--username=${cfg.user}`,
    '--no-password',
    '--verbose',
  ];
  const r = await runToEnd(binPath(usable, 'pg_basebackup'), args, {
    cwd: '/',
    runAs,
    // The password travels in the environment, never on the command line that `ps` shows.
    env: { PGPASSWORD: String(cfg.password ?? ''), PGCONNECT_TIMEOUT: '10' },
    timeoutMs,
  });
  const range = parseBasebackupOutput(r.output);
  if (r.code !== 0 || range === undefined) {
    const why = r.timedOut ? `did not finish within ${timeoutMs} ms` : `failed (${r.signal ?? `exit ${r.code}`})`;
    throw dbError(
      'HASTACK_DB_CLONE_FAILED',
      `pg_basebackup of ${source.name} into ${target} ${why}: ${r.output.trim().split('\n').slice(-10).join('\n')}`,
      { details: { node: source.name, targetDir: target, method: 'pg_basebackup' } },
    );
  }
  return range;
}

interface StopResult {
  lsn: string;
  labelfile: string;
  spcmapfile: string | null;
}

async function viaBackupApi(
  source: PostgresNode,
  target: string,
  label: string,
  runAs: RunAsUser | undefined,
  timeoutMs: number,
): Promise<{ startLsn: string; stopLsn: string }> {
  const deadline = Date.now() + timeoutMs;
  const fail = (step: string, cause?: unknown) =>
    dbError('HASTACK_DB_CLONE_FAILED', `copying ${source.name} into ${target} failed while ${step}${cause instanceof Error ? `: ${cause.message}` : ''}`, {
      cause,
      details: { node: source.name, targetDir: target, method: 'backup-api-copy' },
    });
  const own = async (p: string) => {
    if (runAs !== undefined) await lchown(p, runAs.uid, runAs.gid);
  };
  // One session from start to stop: a non-exclusive backup belongs to it, and ends if it drops.
  const client = new pg.Client({
    ...source.clientConfig(),
    connectionTimeoutMillis: Math.min(10_000, timeoutMs),
    query_timeout: timeoutMs,
    application_name: 'hastack base backup',
  });
  client.on('error', () => undefined);
  try {
    await client.connect().catch((e: unknown) => {
      throw fail('connecting', e);
    });
    const info = (
      await client.query<{ version: number; dir: string; segsize: string; spaces: string }>(
        `SELECT current_setting('server_version_num')::int AS version, current_setting('data_directory') AS dir,
                (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segsize,
                (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global'))::text AS spaces`,
      )
    ).rows[0]!;
    if (info.spaces !== '0') {
      throw fail(`checking tablespaces: ${source.name} has ${info.spaces} tablespace(s) outside its data folder, which one folder cannot hold`);
    }
    const modern = info.version >= 150000;
    const segmentSize = Number(info.segsize);
    // A temporary slot keeps every WAL segment from the backup's start until this session ends,
    // so the segments copied after the stop are still there.
    await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [`hastack_clone_${randomBytes(6).toString('hex')}`]);
    const startLsn = (
      await client.query<{ lsn: string }>(
        modern ? 'SELECT pg_backup_start($1, true)::text AS lsn' : 'SELECT pg_start_backup($1, true, false)::text AS lsn',
        [label],
      )
    ).rows[0]!.lsn;

    await copyTree(info.dir, target, own);
    if (Date.now() > deadline) throw fail(`copying the files: they took longer than ${timeoutMs} ms`);

    const stop = (
      await client.query<StopResult>(
        modern
          ? 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(false)'
          : 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)',
      )
    ).rows[0]!;
    const timeline = labelTimeline(stop.labelfile);
    if (timeline === undefined) throw fail('reading the backup label (no START TIMELINE line)');

    await copyBackupWal(path.join(info.dir, 'pg_wal'), path.join(target, 'pg_wal'), { startLsn, stopLsn: stop.lsn, segmentSize, timeline }, own, fail);
    await writeDataFile(target, 'backup_label', stop.labelfile);
    if (stop.spcmapfile !== null && stop.spcmapfile !== '') await writeDataFile(target, 'tablespace_map', stop.spcmapfile);
    return { startLsn, stopLsn: stop.lsn };
  } catch (e) {
    throw (e as { code?: string }).code === 'HASTACK_DB_CLONE_FAILED' ? e : fail('running the backup', e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Copies the data folder by the rules of classifyDataPath, keeping modes; files the server removes
 * meanwhile are skipped (WAL replay recreates what matters). Everything is fsynced at the end.
 */
async function copyTree(src: string, dst: string, own: (p: string) => Promise<void>): Promise<void> {
  const written: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(src, rel)).catch(ignoreGone);
    for (const name of entries ?? []) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const from = path.join(src, r);
      const to = path.join(dst, r);
      const st = await lstat(from).catch(ignoreGone);
      if (st === undefined) continue;
      // pg_wal may be a link to another disk; the copy gets a folder of its own.
      const folder = st.isDirectory() || (r === 'pg_wal' && st.isSymbolicLink());
      const action = classifyDataPath(r, folder);
      if (action === 'skip') continue;
      if (folder) {
        await mkdir(to, { mode: 0o700 });
        await chmod(to, st.isDirectory() ? st.mode & 0o777 : 0o700);
        await own(to);
        written.push(to);
        if (action === 'copy') await walk(r);
      } else if (st.isSymbolicLink()) {
        await symlink(await readlink(from), to);
        await own(to);
      } else if (st.isFile()) {
        if ((await copyFile(from, to).then(() => true, ignoreGone)) === undefined) continue;
        await chmod(to, st.mode & 0o777);
        await own(to);
        written.push(to);
      }
    }
  };
  await walk('');
  await fsyncAll(written);
}

/** Copies the WAL segments of the backup's range (and the timeline history files) out of the source's pg_wal. */
async function copyBackupWal(
  srcWal: string,
  dstWal: string,
  b: { startLsn: string; stopLsn: string; segmentSize: number; timeline: number },
  own: (p: string) => Promise<void>,
  fail: (step: string) => Error,
): Promise<void> {
  const { first, last } = walSegmentRange(b.startLsn, b.stopLsn, b.segmentSize);
  const found = new Set<bigint>();
  const copied: string[] = [];
  for (const name of await readdir(srcWal)) {
    const seg = parseWalFileName(name, b.segmentSize);
    const wanted = seg !== undefined ? seg.timeline <= b.timeline && seg.segment >= first && seg.segment <= last : /^[0-9A-F]{8}\.history$/.test(name);
    if (!wanted) continue;
    const to = path.join(dstWal, name);
    await copyFile(path.join(srcWal, name), to);
    await chmod(to, 0o600);
    await own(to);
    copied.push(to);
    if (seg !== undefined) found.add(seg.segment);
  }
  for (let s = first; s <= last; s++) {
    if (!found.has(s)) throw fail(`copying the backup's WAL: segment ${s} of ${b.startLsn}..${b.stopLsn} is missing from ${srcWal}`);
  }
  await fsyncAll([...copied, dstWal]);
}

/** fsyncs many paths a few at a time: one by one is slow, all at once opens too many files. */
async function fsyncAll(paths: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) await fsyncPath(paths[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, worker));
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const st = await stat(path.join(entry.parentPath, entry.name)).catch(ignoreGone);
    total += st?.size ?? 0;
  }
  return total;
}

/** undefined for a file that vanished (ENOENT); any other error is rethrown. */
function ignoreGone(e: NodeJS.ErrnoException): undefined {
  if (e.code === 'ENOENT') return undefined;
  throw e;
}
