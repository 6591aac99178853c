/**
 * Write-ahead log positions (LSNs) as PostgreSQL prints them, `X/Y` in hex: the high and the low 32
 * bits of a 64-bit byte position. Pure helpers to compare them and to name the WAL segment files
 * that hold a range of them.
 */
import { dbError } from './errors.ts';

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The byte position of an LSN such as `0/3000148`. */
export function lsnToBigInt(lsn: string): bigint {
  const m = LSN.exec(lsn);
  if (m === null) {
    throw dbError('HASTACK_DB_INVALID_LSN', `LSN ${JSON.stringify(lsn)} is not of the form X/Y with 1–8 hex digits each`, {
      details: { lsn },
    });
  }
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** The `X/Y` text of a byte position, as PostgreSQL prints it (upper-case hex, no padding). */
export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** -1, 0 or 1 as `a` is before, at or after `b`. */
export function compareLsn(a: string, b: string): -1 | 0 | 1 {
  const x = lsnToBigInt(a);
  const y = lsnToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A WAL segment file name: 8 hex digits of timeline, then the segment number in two 8-digit halves. */
const WAL_FILE = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/** Timeline and segment number of a WAL segment file name, or undefined for any other file. */
export function parseWalFileName(name: string, segmentSize: number): { timeline: number; segment: bigint } | undefined {
  const m = WAL_FILE.exec(name);
  if (m === null) return undefined;
  const perId = 0x100000000n / BigInt(segmentSize);
  return { timeline: parseInt(m[1]!, 16), segment: BigInt(`0x${m[2]}`) * perId + BigInt(`0x${m[3]}`) };
}

/**
 * The segment numbers a backup needs to be consistent: from the one holding `startLsn` to the one
 * holding the last byte before `stopLsn` (the end of the backup-end record).
 */
export function walSegmentRange(startLsn: string, stopLsn: string, segmentSize: number): { first: bigint; last: bigint } {
  const size = BigInt(segmentSize);
  const start = lsnToBigInt(startLsn);
  const stop = lsnToBigInt(stopLsn);
  const first = start / size;
  const last = stop > start ? (stop - 1n) / size : first;
  return { first, last };
}
