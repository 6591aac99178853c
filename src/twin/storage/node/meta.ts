/**
 * The meta file beside a replica's bytes: the record, and for records with bytes the MD5 (absent
 * for objects assembled from parts, whose etag the record carries), the block size and the CRC32
 * of every block. A commit in progress also names the stage id its bytes come from.
 */
import { hasData, type StoredRecord } from '../records.ts';
import { blockCount } from './blocks.ts';
import { checkRecord, isObject } from './record-check.ts';

export interface ReplicaMeta {
  readonly record: StoredRecord;
  readonly md5?: string;
  readonly blockSize?: number;
  readonly crcs?: readonly number[];
  /** Only in `.meta.next`: the staging file this commit moves into place. */
  readonly stageId?: string;
}

export function encodeMeta(meta: ReplicaMeta): string {
  return JSON.stringify(meta);
}

/** Parses a meta file's text; throws when it is not a meta this node could have written. */
export function parseMeta(text: string): ReplicaMeta {
  const value: unknown = JSON.parse(text);
  if (!isObject(value)) throw new Error('meta is not an object');
  const record = checkRecord(value['record']);
  if (!hasData(record)) return { record };
  const { md5, blockSize, crcs, stageId } = value;
  if (typeof blockSize !== 'number' || !Number.isInteger(blockSize) || blockSize <= 0) throw new Error('meta has no block size');
  const size = (record as { size: number }).size;
  if (!Array.isArray(crcs) || crcs.length !== blockCount(size, blockSize) || !crcs.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffffffff)) {
    throw new Error('meta block CRC32s do not match the record size');
  }
  return {
    record,
    blockSize,
    crcs: crcs as number[],
    ...(typeof md5 === 'string' ? { md5 } : {}),
    ...(typeof stageId === 'string' ? { stageId } : {}),
  };
}
