/**
 * Which bytes a GetObject/HeadObject answers with: the `Range` header (one byte range, as S3
 * supports) or the `partNumber` query parameter (one part of a multipart object), resolved against
 * the object's size. Pure: the gateway turns the result into 200 or 206 + Content-Range.
 */
import type { PartInfo } from '../storage/records.ts';
import { S3Error } from './s3-error.ts';

/** Inclusive byte offsets, `0 <= start <= end < size`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The highest part number S3 allows. */
export const MAX_PART_NUMBER = 10_000;

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Resolves a `Range` header against an object of `size` bytes. Undefined means "send the whole
 * object with 200", as S3 does when the header is absent, is not a `bytes=` range, is
 * syntactically invalid (e.g. `bytes=5-3`) or asks for several ranges.
 *
 * @throws S3Error InvalidRange (416, with `ActualObjectSize`, `RangeRequested` and a
 *   `Content-Range: bytes *\/size` header) when the range starts at or beyond the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const m = SINGLE_RANGE.exec(value);
  if (m === null) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw invalidRange(value, size);
    if (size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) throw invalidRange(value, size);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

/** `bytes 0-99/1000`, the Content-Range of a 206 answer. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** What a read answers with: the bytes, and whether that is a 206 partial answer. */
export interface ReadSelection {
  /** Undefined: the whole object with 200. */
  readonly range: ByteRange | undefined;
  /**
   * The part asked for with `partNumber`, for `x-amz-mp-parts-count` and the part's checksum. S3
   * answers a part read with 206 and a Content-Range, even when the part is the whole object.
   */
  readonly partNumber?: number;
  /** The object's part count when `partNumber` was given (1 for a single-part object). */
  readonly partsCount?: number;
}

/**
 * Resolves `partNumber` (a query parameter) against an object: the byte range of that part of a
 * multipart object; for an object uploaded in one piece, part 1 is the whole object.
 *
 * @throws S3Error InvalidArgument (400) unless `partNumber` is an integer 1..10000;
 *   InvalidPartNumber (416, with `PartNumberRequested` and `ActualPartCount`) beyond the last part.
 */
export function selectPart(
  partNumber: string,
  object: { readonly size: number; readonly parts?: readonly PartInfo[] | undefined },
): ReadSelection {
  const n = parsePartNumber(partNumber);
  const parts = object.parts;
  const count = parts === undefined || parts.length === 0 ? 1 : parts.length;
  if (n > count) {
    throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', {
      PartNumberRequested: n,
      ActualPartCount: count,
    });
  }
  if (parts === undefined || parts.length === 0) {
    return { range: object.size === 0 ? undefined : { start: 0, end: object.size - 1 }, partNumber: n, partsCount: 1 };
  }
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += parts[i]!.size;
  const size = parts[n - 1]!.size;
  return { range: size === 0 ? undefined : { start, end: start + size - 1 }, partNumber: n, partsCount: count };
}

/**
 * The one entry point for GetObject/HeadObject: `Range` or `partNumber` (never both), resolved.
 *
 * @throws S3Error InvalidRequest (400) when both are given, and the errors of `parseRange` and
 *   `selectPart`.
 */
export function selectRead(
  request: { readonly range?: string | undefined; readonly partNumber?: string | null | undefined },
  object: { readonly size: number; readonly parts?: readonly PartInfo[] | undefined },
): ReadSelection {
  const partNumber = request.partNumber ?? undefined;
  if (partNumber !== undefined) {
    if (request.range !== undefined) {
      throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
    }
    return selectPart(partNumber, object);
  }
  return { range: parseRange(request.range, object.size) };
}

/**
 * Parses a part number (`partNumber` in UploadPart, GetObject, HeadObject).
 *
 * @throws S3Error InvalidArgument (with `ArgumentName` partNumber) unless it is an integer 1..10000.
 */
export function parsePartNumber(value: string): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, {
      ArgumentName: 'partNumber',
      ArgumentValue: value,
    });
  }
  return n;
}

function invalidRange(requested: string, size: number): S3Error {
  return new S3Error(
    'InvalidRange',
    'The requested range is not satisfiable',
    { RangeRequested: requested, ActualObjectSize: size },
    { headers: { 'content-range': `bytes */${size}` } },
  );
}
