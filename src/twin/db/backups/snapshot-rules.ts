/**
 * Pure rules of snapshots as RDS names and keeps them: ids (`rds:<stack>-YYYY-MM-DD-HH-mm` for
 * automated ones, the user's name for manual ones), the folder each lives in, which ones a
 * retention period removes, and which archived WAL files no kept snapshot needs any more.
 */
import { dbError } from '../errors.ts';
import { lsnToBigInt, parseWalFileName } from '../lsn.ts';

export type SnapshotKind = 'automated' | 'manual';

/** One snapshot as listed; times are ISO 8601 strings. */
export interface SnapshotInfo {
  /** `rds:<stack>-YYYY-MM-DD-HH-mm` (UTC) for automated snapshots, the user's name for manual ones. */
  readonly id: string;
  readonly kind: SnapshotKind;
  /** The node it was taken from. */
  readonly node: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Where replay of the snapshot starts; WAL from here on must be kept. */
  readonly startLsn: string;
  /** Where the snapshot is consistent. */
  readonly stopLsn: string;
  /** Size of the copy, its WAL included. */
  readonly bytes: number;
  readonly method: 'pg_basebackup' | 'backup-api-copy';
}

const NAME_RE = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/;
const DAY_MS = 86_400_000;

/**
 * Validates a snapshot name (RDS identifier rules): 1–63 letters, digits or hyphens, starting with
 * a letter, no two hyphens in a row, not ending with a hyphen.
 */
export function checkSnapshotName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length < 1 || name.length > 63 || !NAME_RE.test(name) || name.endsWith('-')) {
    throw dbError(
      'HASTACK_DB_SNAPSHOT_NAME_INVALID',
      `${field} must be 1–63 letters, digits or hyphens, starting with a letter, without "--" and not ending with "-"; ` +
        `received ${name === undefined ? 'nothing' : JSON.stringify(name)}`,
      { details: { field, received: name, expected: '1-63 of [A-Za-z0-9-], a letter first, no "--", no trailing "-"' } },
    );
  }
  return name;
}

/** The id of an automated snapshot started at `at`: `rds:<stack>-YYYY-MM-DD-HH-mm` in UTC. */
export function automatedSnapshotId(stack: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `rds:${stack}-${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}-${p(at.getUTCHours())}-${p(at.getUTCMinutes())}`;
}

/**
 * The folder name of a snapshot id. Manual names cannot hold `_` or `:`, so `rds_…` never clashes
 * with one; folder names starting with `.` are the store's own work in progress.
 */
export function snapshotFolderName(id: string): string {
  return id.startsWith('rds:') ? `rds_${id.slice(4)}` : id;
}

/**
 * Which snapshots a retention of `retentionDays` removes at `now`: automated ones started more
 * than that many days ago (0 removes them all, as turning automated backups off does on RDS).
 * Manual snapshots stay until deleted.
 */
export function expiredSnapshots(snapshots: readonly SnapshotInfo[], now: Date, retentionDays: number): SnapshotInfo[] {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return snapshots.filter((s) => s.kind === 'automated' && (retentionDays === 0 || Date.parse(s.startedAt) < cutoff));
}

/**
 * The archive files older than the oldest kept snapshot needs: WAL segments, partial segments,
 * backup history files and leftover temporary copies whose segment lies before the one holding
 * the oldest start LSN. Timeline history files stay (tiny, and recovery needs them); with no
 * snapshot kept nothing is removed.
 */
export function unneededWalFiles(files: readonly string[], kept: readonly Pick<SnapshotInfo, 'startLsn'>[], segmentSize: number): string[] {
  if (kept.length === 0) return [];
  const oldest = kept.map((s) => lsnToBigInt(s.startLsn)).reduce((a, b) => (b < a ? b : a));
  const firstNeeded = oldest / BigInt(segmentSize);
  return files.filter((f) => {
    if (!/^[0-9A-F]{24}(?:$|\.)/.test(f) || f.endsWith('.history')) return false;
    const seg = parseWalFileName(f.slice(0, 24), segmentSize);
    return seg !== undefined && seg.segment < firstNeeded;
  });
}
