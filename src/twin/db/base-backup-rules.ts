/**
 * Pure rules of a base backup: which method clones a node, and which parts of a running server's
 * data folder a file-level copy takes, leaves empty or skips — the same set pg_basebackup skips,
 * because those files are rebuilt at start, belong to the running server only, or (the WAL) are
 * taken separately for exactly the backup's range.
 */
import { dbError } from './errors.ts';
import type { PostgresBinaries } from './find-binaries.ts';

export type CloneMethod = 'pg_basebackup' | 'backup-api-copy';

/** pg_basebackup when the binaries ship it (a system PostgreSQL), else the backup API and a file copy. */
export function chooseCloneMethod(asked: CloneMethod | 'auto', binaries: Pick<PostgresBinaries, 'has' | 'bindir'>): CloneMethod {
  if (asked === 'auto') return binaries.has.pg_basebackup ? 'pg_basebackup' : 'backup-api-copy';
  if (asked === 'pg_basebackup' && !binaries.has.pg_basebackup) {
    throw dbError(
      'HASTACK_DB_TOOL_MISSING',
      `method is 'pg_basebackup' but ${binaries.bindir} has no pg_basebackup; use method 'auto' or 'backup-api-copy', ` +
        'or point HASTACK_PG_BINDIR at a full PostgreSQL installation',
      { details: { tool: 'pg_basebackup', bindir: binaries.bindir } },
    );
  }
  return asked;
}

/** Files of the data folder's top level that only describe the running server or an old backup. */
const SKIPPED_TOP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'tablespace_map.old',
  'backup_manifest',
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
]);

/** Folders whose contents are runtime state: the copy holds them empty. */
const EMPTIED_FOLDERS = new Set(['pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);

/** What a file-level clone does with one entry: copy it (a folder: and look inside), make it empty, or leave it out. */
export type CopyAction = 'copy' | 'empty' | 'skip';

/**
 * The action for `rel`, a path relative to the data folder with `/` separators. pg_wal keeps its
 * sub-folders (archive_status, summaries) but none of its files.
 */
export function classifyDataPath(rel: string, isFolder: boolean): CopyAction {
  const parts = rel.split('/');
  const top = parts[0]!;
  const base = parts[parts.length - 1]!;
  if (base.startsWith('pgsql_tmp') || base.startsWith('pg_internal.init') || base.endsWith('.hastack-tmp')) return 'skip';
  if (parts.length === 1) {
    if (isFolder) return EMPTIED_FOLDERS.has(top) ? 'empty' : 'copy';
    return SKIPPED_TOP_FILES.has(top) ? 'skip' : 'copy';
  }
  if (top === 'pg_wal') return parts.length === 2 && isFolder ? 'empty' : 'skip';
  return 'copy';
}

/** Keeps `label` one printable line, as backup_label needs it. */
export function sanitizeLabel(label: string): string {
  const clean = label.replace(/[^\x20-\x7e]/g, '?').slice(0, 200).trim();
  return clean === '' ? 'hastack clone' : clean;
}

/** The lines of pg_basebackup's `--verbose` output that name the backup's WAL range. */
export function parseBasebackupOutput(output: string): { startLsn: string; stopLsn: string } | undefined {
  const start = /write-ahead log start point: ([0-9A-F]+\/[0-9A-F]+)/i.exec(output)?.[1];
  const stop = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/i.exec(output)?.[1];
  return start === undefined || stop === undefined ? undefined : { startLsn: start, stopLsn: stop };
}

/** The timeline a backup started on, from its backup_label text. */
export function labelTimeline(labelFile: string): number | undefined {
  const m = /^START TIMELINE: (\d+)$/m.exec(labelFile);
  return m === null ? undefined : Number(m[1]);
}
