/**
 * Checks a record received as JSON before a node stores it: the fields the node itself relies on
 * (identity parts, seq, kind or state, size) must be present and of the right shape. Other fields
 * (headers, etag, checksums) are the gateway's and kept as given. Pure; errors name the field.
 */
import type { HastackError } from '../../../errors.ts';
import { storageError } from '../errors.ts';
import type { StoredRecord } from '../records.ts';

/** 12 hex digits of milliseconds and 6 of a counter. */
export const SEQ_PATTERN = /^[0-9a-f]{18}$/;

/** A record's identity parts are at most this long (S3 keys are at most 1024 bytes). */
const MAX_NAME = 4096;

export function invalid(field: string, received: unknown, expected: string): HastackError {
  return storageError('HASTACK_STORAGE_INVALID_REQUEST', `${field} is ${describe(received)}; expected ${expected}`, {
    details: { field, expected },
  });
}

export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireString(o: Obj, name: string, field: string, allowEmpty = false): string {
  const v = o[name];
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0) || v.length > MAX_NAME) {
    throw invalid(field, v, `a ${allowEmpty ? '' : 'non-empty '}string of at most ${MAX_NAME} characters`);
  }
  return v;
}

export function requireCount(o: Obj, name: string, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(field, v, `a whole number from ${min} to ${max}`);
  return v;
}

function requireOneOf<T extends string>(o: Obj, name: string, field: string, allowed: readonly T[]): T {
  const v = o[name];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(field, v, `one of ${allowed.join(', ')}`);
  return v as T;
}

/** The record, typed, or a HASTACK_STORAGE_INVALID_REQUEST naming the first bad field under `field`. */
export function checkRecord(value: unknown, field = 'record'): StoredRecord {
  if (!isObject(value)) throw invalid(field, value, 'a record object');
  const type = requireOneOf(value, 'type', `${field}.type`, ['version', 'bucket', 'upload', 'part'] as const);
  requireString(value, 'bucket', `${field}.bucket`);
  const seq = value['seq'];
  if (typeof seq !== 'string' || !SEQ_PATTERN.test(seq)) throw invalid(`${field}.seq`, seq, '18 lowercase hex digits (12 of milliseconds, 6 of a counter)');
  switch (type) {
    case 'version':
      requireString(value, 'key', `${field}.key`);
      requireString(value, 'versionId', `${field}.versionId`);
      requireOneOf(value, 'kind', `${field}.kind`, ['object', 'marker', 'tombstone'] as const);
      requireCount(value, 'size', `${field}.size`);
      if (value['kind'] !== 'object' && value['size'] !== 0) throw invalid(`${field}.size`, value['size'], `0 for a ${String(value['kind'])}`);
      break;
    case 'bucket':
      if (typeof value['deleted'] !== 'boolean') throw invalid(`${field}.deleted`, value['deleted'], 'true or false');
      break;
    case 'upload':
      requireString(value, 'key', `${field}.key`);
      requireString(value, 'uploadId', `${field}.uploadId`);
      requireOneOf(value, 'state', `${field}.state`, ['open', 'completed', 'aborted'] as const);
      break;
    case 'part':
      requireString(value, 'key', `${field}.key`);
      requireString(value, 'uploadId', `${field}.uploadId`);
      requireCount(value, 'partNumber', `${field}.partNumber`, 1, 10000);
      requireCount(value, 'size', `${field}.size`);
      break;
  }
  return value as unknown as StoredRecord;
}

export { isObject };
