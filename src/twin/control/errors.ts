import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const TWIN_ERRORS = {
  HASTACK_TWIN_ALREADY_RUNNING: {
    source: 'user',
    summary: 'A twin for this config is already running (its supervisor is alive); `hastack down` stops it.',
  },
  HASTACK_TWIN_NO_DATABASE: {
    source: 'user',
    summary: 'A database command was sent to a twin started without a database.',
  },
  HASTACK_TWIN_NO_STORAGE: {
    source: 'user',
    summary: 'An object storage command was sent to a twin running without object storage: declare a bucket in the spec (storage.buckets) or start it with `hastack up --storage`.',
  },
  HASTACK_TWIN_NOT_RUNNING: {
    source: 'user',
    summary: 'No twin is running for this config; `hastack up` starts one.',
  },
  HASTACK_TWIN_START_FAILED: {
    source: 'internal',
    summary: 'The twin could not start a component (database, load balancer, instances); the message names it and the log to read.',
  },
  HASTACK_TWIN_NOT_HEALTHY: {
    source: 'internal',
    summary: 'Not every target became healthy in time; `hastack logs <instance>` shows why an instance failed its checks.',
  },
  HASTACK_TWIN_STATE_UNREADABLE: {
    source: 'user',
    summary: 'The state folder (.hastack/) exists but cannot be read by this user; run the command as the user who started the twin.',
  },
  HASTACK_TWIN_STOP_TIMEOUT: {
    source: 'internal',
    summary: 'The supervisor did not stop in time after `hastack down`; its pid is in the message, and `hastack logs` shows what it was doing.',
  },
  HASTACK_CONTROL_BAD_REQUEST: {
    source: 'user',
    summary: 'A control API request had a missing or malformed field; the message names the field, what was received and what was expected.',
  },
  HASTACK_CONTROL_UNAUTHORIZED: {
    source: 'user',
    summary: 'A control API request had no valid bearer token (the token is in .hastack/control.token).',
  },
  HASTACK_CONTROL_NOT_FOUND: {
    source: 'user',
    summary: 'The control API has no such route (`hastack --help` lists what the CLI can ask).',
  },
  HASTACK_CONTROL_UNREACHABLE: {
    source: 'user',
    summary: 'The CLI could not reach the twin\'s control API; the twin may have stopped (`hastack status` tells).',
  },
} as const satisfies Record<string, ErrorDefinition>;

export const twinError = errorFactory(TWIN_ERRORS);
