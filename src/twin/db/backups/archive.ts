/**
 * Continuous WAL archiving into a local folder, as RDS keeps transaction logs for point-in-time
 * restore: the server settings that copy each finished WAL segment there durably, the
 * restore_command that reads them back, and a flush that forces the current segment out and tells
 * up to which time everything committed is restorable.
 *
 * The archive also holds one file of hastack's own, `hastack-restorable.json`: the latest time a
 * flush proved restorable. A flush commits a tiny marker transaction before switching segments, so
 * every time up to that mark has a later commit in the archive, and recovery to such a time always
 * finds its target.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { dbError } from '../errors.ts';
import type { PostgresNode, ServerSetting } from '../postgres-node.ts';
import { preparePostgresFolder, writeFileDurably } from './folders.ts';

/** hastack's record of the latest restorable time, kept in the archive folder. */
export const RESTORABLE_MARK_FILE = 'hastack-restorable.json';

/** Seconds after which a segment with any WAL in it is archived even if not full (RDS ships logs every 5 minutes). */
export const ARCHIVE_TIMEOUT_SECONDS = 60;

const POLL_MS = 100;

/**
 * Server settings that archive every finished WAL segment into `archiveDir`. The command copies to
 * a temporary name, fsyncs it, links it into place (a link never replaces an existing file) and
 * fsyncs the folder. A segment already archived with identical content succeeds; one with different
 * content fails, so PostgreSQL keeps the segment and retries rather than lose either copy.
 */
export function archiveSettings(archiveDir: string): Record<string, ServerSetting> {
  const dir = commandPath(archiveDir);
  const command =
    `f=${dir}/%f; t="$f.tmp.$$"; ` +
    `if test -f "$f"; then exec cmp -s %p "$f"; fi; ` +
    `cp %p "$t" && sync "$t" && ln "$t" "$f" && rm -f "$t" && sync ${dir} || { rm -f "$t"; cmp -s %p "$f"; }`;
  return {
    archive_mode: 'on',
    archive_command: command,
    archive_timeout: ARCHIVE_TIMEOUT_SECONDS,
  };
}

/** The restore_command that fetches archived WAL segments and timeline history files from `archiveDir`. */
export function restoreCommand(archiveDir: string): string {
  const dir = commandPath(archiveDir);
  return `test -f ${dir}/%f && cp ${dir}/%f %p`;
}

/** Creates the archive folder, owned by and private to the user PostgreSQL runs as. */
export async function prepareArchiveDir(dir: string): Promise<void> {
  await preparePostgresFolder(dir);
}

/**
 * Makes everything committed on `primary` so far restorable: commits a marker transaction, switches
 * to a new WAL segment and waits until the finished one is in the archive. Returns the time up to
 * which every commit is restorable, and records it in the archive for restorableWindow().
 */
export async function flushArchive(primary: PostgresNode, archiveDir: string, timeoutMs: number): Promise<Date> {
  const deadline = Date.now() + timeoutMs;
  // Bounded even against a paused server: the connect and every query give up by the deadline.
  const c = new pg.Client({
    ...primary.clientConfig(),
    connectionTimeoutMillis: Math.max(1_000, Math.min(10_000, timeoutMs)),
    query_timeout: Math.max(1_000, timeoutMs),
  });
  c.on('error', () => undefined);
  await c.connect();
  let segment: string;
  let restorable: Date;
  try {
    const [state] = (await c.query<{ mode: string; recovery: boolean }>(
      "SELECT current_setting('archive_mode') AS mode, pg_is_in_recovery() AS recovery",
    )).rows;
    if (state?.recovery === true || state?.mode === 'off') {
      throw dbError(
        'HASTACK_DB_ARCHIVE_NOT_ENABLED',
        state.recovery
          ? `cannot flush the WAL archive through ${primary.name}: it is a standby; flush the primary`
          : `cannot flush the WAL archive through ${primary.name}: archive_mode is off; start it with archiveSettings()`,
        { details: { node: primary.name, archiveMode: state.mode, inRecovery: state.recovery } },
      );
    }
    // The marker: a transaction with an xid writes a commit record, timestamped at or after `t`.
    // It waits for no standby, so a lost synchronous standby does not block the flush.
    await c.query('BEGIN');
    await c.query('SET LOCAL synchronous_commit = local');
    const [mark] = (await c.query<{ t: string }>(
      'SELECT pg_current_xact_id(), floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS t',
    )).rows;
    await c.query('COMMIT');
    restorable = new Date(Number(mark!.t));
    const [sw] = (await c.query<{ seg: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS seg')).rows;
    segment = sw!.seg;
    while (!(await exists(path.join(archiveDir, segment)))) {
      if (Date.now() >= deadline) {
        const [a] = (await c.query<{ last_archived_wal: string | null; last_failed_wal: string | null; last_failed_time: Date | null; failed_count: string }>(
          'SELECT last_archived_wal, last_failed_wal, last_failed_time, failed_count::text FROM pg_stat_archiver',
        )).rows;
        const failure =
          a?.last_failed_wal == null
            ? 'no archiving failure was reported'
            : `${a.failed_count} failure(s), the last for ${a.last_failed_wal} at ${a.last_failed_time?.toISOString()}`;
        throw dbError(
          'HASTACK_DB_ARCHIVE_TIMEOUT',
          `WAL segment ${segment} of ${primary.name} did not reach the archive ${archiveDir} within ${timeoutMs} ms ` +
            `(last archived: ${a?.last_archived_wal ?? 'none'}; ${failure}; see the node's log)`,
          { details: { node: primary.name, segment, archiveDir, lastArchived: a?.last_archived_wal, lastFailed: a?.last_failed_wal } },
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await c.end().catch(() => undefined);
  }
  await recordRestorable(archiveDir, restorable, segment);
  return restorable;
}

/** The latest time a flush proved restorable from `archiveDir`, or undefined when none did. */
export async function readRestorableMark(archiveDir: string): Promise<Date | undefined> {
  const text = await readFile(path.join(archiveDir, RESTORABLE_MARK_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const latest = (JSON.parse(text) as { latest?: unknown }).latest;
    const at = typeof latest === 'string' ? new Date(latest) : undefined;
    return at === undefined || Number.isNaN(at.getTime()) ? undefined : at;
  } catch {
    return undefined;
  }
}

/** The mark only moves forward: a slower, older flush finishing last does not pull it back. */
async function recordRestorable(archiveDir: string, at: Date, segment: string): Promise<void> {
  const previous = await readRestorableMark(archiveDir);
  if (previous !== undefined && previous.getTime() >= at.getTime()) return;
  await writeFileDurably(path.join(archiveDir, RESTORABLE_MARK_FILE), JSON.stringify({ latest: at.toISOString(), segment }) + '\n');
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Archive entries: WAL segments, partial segments, backup history and timeline history files. */
export async function listArchive(archiveDir: string): Promise<string[]> {
  return readdir(archiveDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
}

/**
 * A folder as one POSIX shell word (single-quoted) inside an archive or restore command, where
 * PostgreSQL replaces %p, %f and %%, so a literal % is doubled.
 */
function commandPath(dir: string): string {
  return `'${path.resolve(dir).replace(/'/g, `'\\''`).replace(/%/g, '%%')}'`;
}
