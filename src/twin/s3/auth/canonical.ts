/**
 * The pieces of an AWS Signature Version 4 signature as S3 computes them, all pure: S3's URI
 * encoding, the canonical URI, query string and headers, the canonical request, the strings to
 * sign (request, chunk and trailer), the signing key and the hex signature.
 *
 * S3 canonicalises the path as received: decoded once and re-encoded byte by byte, with no
 * normalisation (`//` and `..` stay as they are), so a key is signed exactly as the client sent it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** SHA-256 of no bytes, in hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const HEX = '0123456789ABCDEF';
/** Bytes RFC 3986 leaves unreserved: A-Z a-z 0-9 - . _ ~ */
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const PLAIN_WITH_SLASH = /^[A-Za-z0-9\-._~/]*$/;
const PLAIN = /^[A-Za-z0-9\-._~]*$/;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Percent-decodes once into raw bytes (not `decodeURIComponent`: the bytes need not be UTF-8).
 * A `%` not followed by two hex digits stays a literal `%`; `+` stays `+`.
 */
export function percentDecode(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  if (!src.includes(0x25)) return src;
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]!);
      const lo = hexValue(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** S3's URI encoding: every byte but A-Za-z0-9-._~ (and `/` when `keepSlash`) becomes `%XX`. */
export function uriEncode(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Encodes a received (still percent-encoded) URL component the canonical way. */
function canonicalComponent(raw: string, keepSlash: boolean): string {
  if ((keepSlash ? PLAIN_WITH_SLASH : PLAIN).test(raw)) return raw;
  return uriEncode(percentDecode(raw), keepSlash);
}

/** Splits a request target into its raw path and raw query (absolute-form targets lose scheme and host). */
export function splitUrl(rawUrl: string): { path: string; query: string } {
  let target = rawUrl;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (scheme !== null) target = target.slice(scheme[0].length);
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** The canonical URI of a raw (received) path: decoded once, re-encoded, never normalised. */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return canonicalComponent(rawPath, true);
}

/** Raw `name=value` pairs of a query string, in order; a pair without `=` has the value ''. */
function rawPairs(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push(eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return pairs;
}

/** Decoded query parameters (UTF-8), first occurrence of each name winning. */
export function queryParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of rawPairs(rawQuery)) {
    const key = percentDecode(name).toString('utf8');
    if (!params.has(key)) params.set(key, percentDecode(value).toString('utf8'));
  }
  return params;
}

/**
 * The canonical query string: names and values re-encoded, sorted by name then value, empty
 * values kept as `name=`. `exclude` drops one parameter by its decoded name (`X-Amz-Signature`).
 */
export function canonicalQuery(rawQuery: string, exclude?: string): string {
  const encoded: Array<[string, string]> = [];
  for (const [name, value] of rawPairs(rawQuery)) {
    const n = canonicalComponent(name, false);
    if (exclude !== undefined && percentDecode(name).toString('utf8') === exclude) continue;
    encoded.push([n, canonicalComponent(value, false)]);
  }
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

function normaliseValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/**
 * The values of one header, each trimmed with inner whitespace runs collapsed, several joined
 * with `,`. `rawHeaders` (Node's alternating name/value list) keeps repeated headers apart;
 * without it, the parsed headers are used (Node joins most repeats with `, ` itself).
 */
export function canonicalHeaderValue(name: string, headers: IncomingHttpHeaders, rawHeaders?: readonly string[]): string {
  if (rawHeaders !== undefined) {
    const values: string[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]!.toLowerCase() === name) values.push(normaliseValue(rawHeaders[i + 1]!));
    }
    return values.join(',');
  }
  const value = headers[name];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.map(normaliseValue).join(',') : normaliseValue(value);
}

/** The canonical headers block: one `name:value\n` line per signed header, in the signed order. */
export function canonicalHeaders(signedHeaders: readonly string[], headers: IncomingHttpHeaders, rawHeaders?: readonly string[]): string {
  let out = '';
  for (const h of signedHeaders) {
    const name = h.toLowerCase();
    out += `${name}:${canonicalHeaderValue(name, headers, rawHeaders)}\n`;
  }
  return out;
}

export interface CanonicalRequestParts {
  method: string;
  /** Raw path as received. */
  path: string;
  /** Raw query as received (without `?`). */
  query: string;
  /** Query parameter left out of the canonical query (presigned: `X-Amz-Signature`). */
  excludeQuery?: string;
  headers: IncomingHttpHeaders;
  rawHeaders?: readonly string[];
  /** The `SignedHeaders` value as the client sent it (`host;x-amz-date`). */
  signedHeaders: string;
  /** Hex SHA-256 of the payload, or `UNSIGNED-PAYLOAD` / `STREAMING-…`. */
  payloadHash: string;
}

/** The canonical request S3 hashes into the string to sign. */
export function canonicalRequest(p: CanonicalRequestParts): string {
  const names = p.signedHeaders.split(';');
  return [
    p.method,
    canonicalUri(p.path),
    canonicalQuery(p.query, p.excludeQuery),
    canonicalHeaders(names, p.headers, p.rawHeaders),
    p.signedHeaders,
    p.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacHex(key: Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/** `yyyymmdd/region/service/aws4_request` */
export function credentialScope(dateStamp: string, region: string, service: string): string {
  return `${dateStamp}/${region}/${service}/aws4_request`;
}

/** The string to sign of a request (header or presigned). */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** The string to sign of one aws-chunked chunk, chained on the previous signature. */
export function chunkStringToSign(amzDate: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
}

/** The string to sign of the trailer section (`name:value\n` lines), chained on the last chunk's signature. */
export function trailerStringToSign(amzDate: string, scope: string, previousSignature: string, trailerSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previousSignature}\n${trailerSha256Hex}`;
}

const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, Buffer>();

/**
 * The signing key of one day, region and service: HMAC chain from `AWS4` + secret. Cached, since
 * every request of a day derives the same one.
 */
export function signingKey(secret: string, dateStamp: string, region: string, service: string): Buffer {
  const cacheKey = `${dateStamp}\n${region}\n${service}\n${secret}`;
  const hit = keyCache.get(cacheKey);
  if (hit !== undefined) return hit;
  let key = createHmac('sha256', `AWS4${secret}`).update(dateStamp).digest();
  key = createHmac('sha256', key).update(region).digest();
  key = createHmac('sha256', key).update(service).digest();
  key = createHmac('sha256', key).update('aws4_request').digest();
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

/** Compares two hex signatures in constant time (case-insensitively). */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(provided.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `20130524T000000Z` → epoch ms; undefined when not of that form. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

/** Epoch ms → `20130524T000000Z`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Epoch ms → `2013-05-24T00:00:00Z`, as S3 prints times in errors. */
export function formatIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
