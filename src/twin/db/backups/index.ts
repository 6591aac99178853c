/**
 * Backups of the twin's database, as RDS keeps them: continuous WAL archiving, automated and manual
 * snapshots with a retention, and point-in-time restore into a new instance.
 */
export {
  archiveSettings,
  restoreCommand,
  prepareArchiveDir,
  flushArchive,
  readRestorableMark,
  ARCHIVE_TIMEOUT_SECONDS,
  RESTORABLE_MARK_FILE,
} from './archive.ts';
export { SnapshotStore, type SnapshotStoreOptions } from './snapshots.ts';
export {
  checkSnapshotName,
  automatedSnapshotId,
  expiredSnapshots,
  unneededWalFiles,
  type SnapshotInfo,
  type SnapshotKind,
} from './snapshot-rules.ts';
export {
  parseBackupWindow,
  nextAutomatedBackup,
  checkRestoreTime,
  checkRestoreDate,
  checkRetentionDays,
  parseIsoWithZone,
  MIN_BACKUP_WINDOW_MINUTES,
  MAX_RETENTION_DAYS,
  type BackupWindow,
  type RestorableWindow,
} from './schedule.ts';
export { restoreToTime, pickSnapshot, type RestoreToTimeOptions, type RestoreResult } from './restore.ts';
