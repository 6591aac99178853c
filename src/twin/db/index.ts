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
export type { NodePaths } from './node-layout.ts';
export { resolveRunAsUser, type RunAsUser } from './run-as.ts';
