export { DB_ERRORS, dbError, type DbErrorCode } from './errors.ts';
export {
  findPostgresBinaries,
  binPath,
  MIN_POSTGRES_MAJOR,
  POSTGRES_TOOLS,
  type PostgresBinaries,
  type PostgresTool,
  type BinariesSource,
  type FindBinariesOptions,
} from './find-binaries.ts';
export {
  PostgresNode,
  DEFAULT_SETTINGS,
  type PostgresNodeOptions,
  type ServerSetting,
  type StopMode,
  type StopOptions,
  type NodeExit,
} from './postgres-node.ts';
export type { AppDatabase } from './app-database.ts';
export { reachableFolder, type NodePaths } from './node-layout.ts';
export { resolveRunAsUser, type RunAsUser } from './run-as.ts';
export { takeBaseBackup, type BaseBackupOptions, type BaseBackupResult, type CloneMethod } from './base-backup.ts';
export {
  ensureReplicationRole,
  configureStandby,
  repointStandby,
  promote,
  type StandbySource,
} from './replication.ts';
export { applyCommitPolicy, synchronousStandbyNames, type CommitPolicy } from './commit-policy.ts';
export {
  readPrimaryReplication,
  readStandbyPosition,
  type PrimaryReplication,
  type ReplicationRow,
  type StandbyPosition,
} from './replication-status.ts';
export { compareLsn, lsnToBigInt, formatLsn } from './lsn.ts';
