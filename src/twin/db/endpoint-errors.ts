/**
 * Error codes of the database endpoints (the writer and reader addresses apps connect to). Kept
 * beside the database's own registry (errors.ts) and listed under the same area.
 */
import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const DB_ENDPOINT_ERRORS = {
  HASTACK_DB_ENDPOINT_INVALID_OPTIONS: {
    source: 'user',
    summary:
      'A database endpoint setting cannot be used (an empty name, a port outside 0-65535, a negative holdMs, a startupTimeoutMs or maxConnections below 1); the message names the field, the value received and what was expected.',
  },
  HASTACK_DB_ENDPOINT_LISTEN_FAILED: {
    source: 'user',
    summary: 'A database endpoint could not listen on its port on 127.0.0.1 (usually taken by another process); free it or use port 0 to pick a free one.',
  },
  HASTACK_DB_ENDPOINT_INVALID_TARGET: {
    source: 'internal',
    summary: 'A database endpoint was pointed at a target with an empty name, a port outside 1-65535, or the same target twice.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type DbEndpointErrorCode = keyof typeof DB_ENDPOINT_ERRORS;

export const dbEndpointError = errorFactory(DB_ENDPOINT_ERRORS);
