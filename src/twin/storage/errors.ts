/**
 * Coded errors of the replicated object store's storage nodes: the node process (its flags, its
 * HTTP API), the launcher that starts it and the client the S3 gateway speaks through. The node
 * answers API errors as `{ code, message }` JSON; the client turns them back into these codes.
 */
import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const STORAGE_ERRORS = {
  // Starting a node.
  HASTACK_STORAGE_INVALID_ARGUMENT: {
    source: 'user',
    summary:
      'A storage node flag or launcher option is missing or malformed (data folder, zone, token file, port, scrub interval or rate); the message names it, what was received and what was expected.',
  },
  HASTACK_STORAGE_TOKEN_UNREADABLE: {
    source: 'user',
    summary: 'The token file a storage node was given cannot be read or is empty; recreate the state folder or point --token-file at a file holding the token.',
  },
  HASTACK_STORAGE_DATA_DIR_IN_USE: {
    source: 'user',
    summary: 'Another live storage node process already serves this data folder (its pid is in the details); stop it first, or use another folder.',
  },
  HASTACK_STORAGE_START_FAILED: {
    source: 'internal',
    summary: 'A storage node process exited before it was ready; the message carries the tail of its log.',
  },
  HASTACK_STORAGE_START_TIMEOUT: {
    source: 'internal',
    summary: 'A storage node process did not report ready within the start timeout and was killed; the message carries the tail of its log.',
  },
  // Answers of the node's HTTP API.
  HASTACK_STORAGE_UNAUTHORIZED: {
    source: 'internal',
    summary: 'A request to a storage node carried no bearer token or a wrong one; the gateway and the node must read the same token file.',
  },
  HASTACK_STORAGE_UNKNOWN_ROUTE: {
    source: 'internal',
    summary: 'A request named a path or method the storage node API does not have.',
  },
  HASTACK_STORAGE_INVALID_JSON: {
    source: 'internal',
    summary: 'A storage node request body was not valid JSON.',
  },
  HASTACK_STORAGE_BODY_TOO_LARGE: {
    source: 'internal',
    summary: 'A JSON request body to a storage node was larger than 1 MiB.',
  },
  HASTACK_STORAGE_INVALID_REQUEST: {
    source: 'internal',
    summary: 'A storage node request lacked a field or had one of the wrong shape; the message names the field, what was received and what was expected.',
  },
  HASTACK_STORAGE_STAGE_INCOMPLETE: {
    source: 'internal',
    summary: 'The bytes of a stage request ended before the length announced, or the connection closed mid-body; nothing was kept.',
  },
  HASTACK_STORAGE_STAGE_NOT_FOUND: {
    source: 'internal',
    summary: 'A commit named a stage id the node does not hold (never staged, aborted, already committed, or removed after 15 minutes unused); stage the bytes again.',
  },
  HASTACK_STORAGE_SIZE_MISMATCH: {
    source: 'internal',
    summary: 'A record\'s size differs from the bytes staged or assembled for it; nothing was committed.',
  },
  HASTACK_STORAGE_CHECKSUM_MISMATCH: {
    source: 'internal',
    summary: 'The bytes a storage node received for /put do not have the checksum the sender computed of what it sent (damaged on the way); nothing was committed.',
  },
  HASTACK_STORAGE_NOT_FOUND: {
    source: 'internal',
    summary: 'The storage node holds no record (or no bytes) of that identity; another replica may have it.',
  },
  HASTACK_STORAGE_RANGE_INVALID: {
    source: 'internal',
    summary: 'A byte range asked of a storage node is not whole numbers with start <= end < size.',
  },
  HASTACK_STORAGE_SHUTTING_DOWN: {
    source: 'internal',
    summary: 'The storage node is stopping and takes no new requests; another replica or a restart will serve it.',
  },
  HASTACK_STORAGE_IO_FAILED: {
    source: 'internal',
    summary: 'A storage node could not read or write its data folder (disk full, permissions); the message carries the system error.',
  },
  // The client's view.
  HASTACK_STORAGE_NODE_UNREACHABLE: {
    source: 'internal',
    summary: 'A storage node could not be reached or closed the connection before answering; it may be stopped, killed or paused.',
  },
  HASTACK_STORAGE_NODE_TIMEOUT: {
    source: 'internal',
    summary: 'A storage node did not answer (or a stream made no progress) within the timeout; it may be overloaded or paused.',
  },
  HASTACK_STORAGE_NODE_ERROR: {
    source: 'internal',
    summary: 'A storage node answered with an unexpected status or a body that could not be read; the message names the zone, route and status.',
  },
  HASTACK_STORAGE_DATA_TRUNCATED: {
    source: 'internal',
    summary: 'A storage node ended an object\'s bytes early: it found a damaged block (and quarantined the replica) or it died; read another replica.',
  },
  HASTACK_STORAGE_ABORTED: {
    source: 'internal',
    summary: 'A storage node request was cancelled by its caller before it finished.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type StorageErrorCode = keyof typeof STORAGE_ERRORS;

export const storageError = errorFactory(STORAGE_ERRORS);

export function isStorageErrorCode(code: unknown): code is StorageErrorCode {
  return typeof code === 'string' && Object.hasOwn(STORAGE_ERRORS, code);
}
