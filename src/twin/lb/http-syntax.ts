/**
 * The HTTP/1.1 grammar both head parsers check against, and ALB's size limits.
 * @see https://www.rfc-editor.org/rfc/rfc9112
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html
 */

/** ALB: request line plus headers may not exceed 64 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** ALB: 16 KiB per request line and per single header. */
export const MAX_LINE_BYTES = 16 * 1024;

/**
 * Every header line at once: a token name directly followed by a colon (no space before it, no
 * obs-fold continuation lines), a value of visible characters, spaces and tabs, and CRLF. One
 * regular expression over the block is much cheaper than a per-byte loop in JavaScript, and it
 * rejects bare CR, bare LF and NUL, the usual smuggling tools.
 */
export const HEADER_BLOCK = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*\r\n)*$/;

export const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;

export const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;

const OWS = /^[ \t]+|[ \t]+$/g;

/** A header value without the optional whitespace around it. */
export function headerValue(head: string, colon: number, lineEnd: number): string {
  const v = head.slice(colon + 1, lineEnd);
  const c0 = v.charCodeAt(0);
  const cl = v.charCodeAt(v.length - 1);
  // Most values have no surrounding space beyond the one after the colon.
  if (c0 === 0x20 && cl !== 0x20 && cl !== 0x09 && v.charCodeAt(1) !== 0x20 && v.charCodeAt(1) !== 0x09) return v.slice(1);
  return v.replace(OWS, '');
}

/** Whether a comma-separated header value (Connection) holds `token`, case-insensitively. */
/** A Content-Length value: digits only, and no more than fit a safe integer. */
export const CONTENT_LENGTH = /^\d{1,15}$/;

/** Whether the connection persists after this message (RFC 9112 §9.3): HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`. */
export function persistent(minor: number, connection: string | undefined): boolean {
  if (minor === 1) return connection === undefined || !hasToken(connection, 'close');
  return connection !== undefined && hasToken(connection, 'keep-alive');
}

export function hasToken(value: string, token: string): boolean {
  const lower = value.toLowerCase();
  if (lower === token) return true;
  // Nearly every Connection header holds one token; only a list needs splitting.
  if (!lower.includes(',')) return false;
  for (const part of lower.split(',')) if (part.trim() === token) return true;
  return false;
}

/**
 * Whether the header name at `pos` equals `lower` (a lowercase name of the same length), without
 * allocating. OR-ing 0x20 folds ASCII letters to lowercase and leaves '-' and digits as they are;
 * the header block was already checked to hold only token characters.
 */
export function nameIs(s: string, pos: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((s.charCodeAt(pos + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}
