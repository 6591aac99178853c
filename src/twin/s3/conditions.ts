/**
 * Conditional requests as S3 evaluates them (RFC 7232 §6 precedence):
 *
 * - reads (GetObject, HeadObject): If-Match, else If-Unmodified-Since (failure → 412); then
 *   If-None-Match, else If-Modified-Since (failure → 304). So If-Match true with
 *   If-Unmodified-Since false is 200, and If-None-Match false with If-Modified-Since true is 304,
 *   as S3 documents.
 * - copy sources (CopyObject, UploadPartCopy): the same headers prefixed `x-amz-copy-source-`,
 *   every failure a 412.
 * - writes (PutObject, CompleteMultipartUpload): `If-None-Match: *` (the key must not exist) and
 *   `If-Match: <etag>` (the current object must have that ETag).
 *
 * ETags compare without their quotes; If-Match compares strongly (a `W/` tag never matches),
 * If-None-Match weakly. Dates compare at second precision; an unparsable date is ignored.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './s3-error.ts';

/** What a condition is evaluated against: the current version of the object. */
export interface ConditionTarget {
  /** As stored: quoted. */
  readonly etag: string;
  /** Epoch ms. */
  readonly lastModified: number;
}

export type ConditionOutcome = 'ok' | 'not-modified' | 'precondition-failed';

/** An outcome, and for a failure the header that failed (S3's `Condition` element). */
export interface ConditionResult {
  readonly outcome: ConditionOutcome;
  readonly condition?: string;
}

type Headers = IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;

/** Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since for a read. */
export function evaluateConditions(headers: Headers, target: ConditionTarget): ConditionOutcome {
  return checkReadConditions(headers, target).outcome;
}

/** As `evaluateConditions`, naming the header that decided a failure. */
export function checkReadConditions(headers: Headers, target: ConditionTarget): ConditionResult {
  return evaluate(headers, target, '', 'not-modified');
}

/**
 * The error a read answers with for a failed condition: PreconditionFailed (412, with
 * `Condition`) or NotModified (304, whose answer has no body); undefined for 'ok'.
 */
export function conditionError(result: ConditionResult): S3Error | undefined {
  if (result.outcome === 'ok') return undefined;
  if (result.outcome === 'not-modified') return new S3Error('NotModified', 'Not Modified');
  return preconditionFailed(result.condition ?? 'If-Match');
}

/**
 * Evaluates `x-amz-copy-source-if-match`, `-if-unmodified-since`, `-if-none-match` and
 * `-if-modified-since` against the source object.
 *
 * @throws S3Error PreconditionFailed (412, with `Condition`) for any failure.
 */
export function checkCopySourceConditions(headers: Headers, source: ConditionTarget): void {
  const result = evaluate(headers, source, 'x-amz-copy-source-', 'precondition-failed');
  if (result.outcome !== 'ok') throw preconditionFailed(result.condition ?? 'x-amz-copy-source-If-Match');
}

/**
 * Conditional writes: `If-None-Match: *` and `If-Match: <etag>` on PutObject and
 * CompleteMultipartUpload, against the current object (undefined when the key has none, or its
 * current version is a delete marker).
 *
 * @throws S3Error PreconditionFailed (412) when the condition fails; NoSuchKey (404) for If-Match
 *   on a missing key, as S3 answers; NotImplemented (501, with `Header`) for If-None-Match with
 *   anything but `*`.
 */
export function checkWriteConditions(
  headers: Headers,
  current: { readonly etag: string } | undefined,
  key: string,
): void {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', {
      Header: 'If-None-Match',
    });
  }
  if (ifMatch !== undefined) {
    if (current === undefined) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    if (!etagListMatches(ifMatch, current.etag, 'strong')) throw preconditionFailed('If-Match');
  }
  if (ifNoneMatch !== undefined && current !== undefined) throw preconditionFailed('If-None-Match');
}

/** PreconditionFailed (412) naming the header that failed. */
export function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });
}

function evaluate(
  headers: Headers,
  target: ConditionTarget,
  prefix: '' | 'x-amz-copy-source-',
  noneMatchFailure: 'not-modified' | 'precondition-failed',
): ConditionResult {
  const name = (h: string) => (prefix === '' ? h : `${prefix}${h}`);
  const ifMatch = header(headers, `${prefix}if-match`);
  const ifUnmodifiedSince = parseHttpDate(header(headers, `${prefix}if-unmodified-since`));
  const ifNoneMatch = header(headers, `${prefix}if-none-match`);
  const ifModifiedSince = parseHttpDate(header(headers, `${prefix}if-modified-since`));
  const modifiedSec = Math.floor(target.lastModified / 1000);

  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, target.etag, 'strong')) return { outcome: 'precondition-failed', condition: name('If-Match') };
  } else if (ifUnmodifiedSince !== undefined && modifiedSec > ifUnmodifiedSince) {
    return { outcome: 'precondition-failed', condition: name('If-Unmodified-Since') };
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, target.etag, 'weak')) return { outcome: noneMatchFailure, condition: name('If-None-Match') };
  } else if (ifModifiedSince !== undefined && modifiedSec <= ifModifiedSince) {
    return { outcome: noneMatchFailure, condition: name('If-Modified-Since') };
  }
  return { outcome: 'ok' };
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Whether an If-Match/If-None-Match list (`*`, or comma-separated tags) names `etag`. */
export function etagListMatches(list: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  const wanted = unquote(etag.replace(/^W\//, ''));
  for (const raw of list.split(',')) {
    const tag = raw.trim();
    if (tag === '*') return true;
    if (tag === '') continue;
    const weak = tag.startsWith('W/');
    if (weak && comparison === 'strong') continue;
    if (unquote(weak ? tag.slice(2) : tag) === wanted) return true;
  }
  return false;
}

function unquote(tag: string): string {
  return tag.length >= 2 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag;
}

const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** An HTTP-date (IMF-fixdate, RFC 850 or asctime, all GMT), in whole epoch seconds; undefined if invalid. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  const ms = Date.parse(ASCTIME.test(v) ? `${v} GMT` : v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}
