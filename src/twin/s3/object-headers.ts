/**
 * The request and response headers that describe an object: what PutObject, CopyObject and
 * CreateMultipartUpload store (Content-*, Expires, `x-amz-meta-*`), what GetObject and HeadObject
 * send back, and the copy headers (`x-amz-copy-source`, `-range`, `x-amz-metadata-directive`) and
 * `x-amz-storage-class`, parsed with S3's errors.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { NULL_VERSION, type ObjectHeaders, type VersionRecord } from '../storage/records.ts';
import { checksumHeader } from './checksums.ts';
import type { ByteRange } from './range.ts';
import { S3Error } from './s3-error.ts';

/** The Content-Type S3 stores when a request sends none. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** The most user metadata (names without `x-amz-meta-`, plus values, in bytes) S3 accepts. */
export const MAX_USER_METADATA_BYTES = 2048;

const META_PREFIX = 'x-amz-meta-';

type Headers = IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;

function single(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Bytes on the wire: header values arrive as latin1 strings of the raw bytes. */
function wireBytes(s: string): number {
  return /^[\u0000-\u00ff]*$/.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * The object headers a write stores. Content-Type defaults to `binary/octet-stream`; the
 * `aws-chunked` token (a transfer detail of streaming uploads) is removed from Content-Encoding;
 * `x-amz-meta-*` names are lower-cased and stored without the prefix.
 *
 * @throws S3Error MetadataTooLarge (400, with `Size` and `MaxSizeAllowed`) when user metadata
 *   exceeds 2 KB.
 */
export function readObjectHeaders(headers: Headers): ObjectHeaders {
  const userMetadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (!name.startsWith(META_PREFIX) || rawValue === undefined) continue;
    const metaName = name.slice(META_PREFIX.length);
    if (metaName === '') continue;
    const value = Array.isArray(rawValue) ? rawValue.join(',') : rawValue;
    userMetadata[metaName] = value;
    metaBytes += wireBytes(metaName) + wireBytes(value);
  }
  if (metaBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', {
      Size: metaBytes,
      MaxSizeAllowed: MAX_USER_METADATA_BYTES,
    });
  }
  const encoding = single(headers, 'content-encoding')
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked')
    .join(', ');
  const out: { -readonly [K in keyof ObjectHeaders]: ObjectHeaders[K] } = {
    contentType: nonEmpty(single(headers, 'content-type')) ?? DEFAULT_CONTENT_TYPE,
    userMetadata,
  };
  if (nonEmpty(encoding) !== undefined) out.contentEncoding = encoding;
  const rest: [keyof ObjectHeaders, string][] = [
    ['contentDisposition', 'content-disposition'],
    ['contentLanguage', 'content-language'],
    ['cacheControl', 'cache-control'],
    ['expires', 'expires'],
  ];
  for (const [field, name] of rest) {
    const v = nonEmpty(single(headers, name));
    if (v !== undefined) (out as Record<string, unknown>)[field] = v;
  }
  return out;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** How a GET/HEAD answer is shaped beyond the stored record. */
export interface WriteHeadersOptions {
  /** `x-amz-checksum-mode: ENABLED` was sent: add `x-amz-checksum-<alg>` and `x-amz-checksum-type`. */
  readonly checksumMode?: boolean;
  /**
   * A `partNumber` read: add `x-amz-mp-parts-count` (S3 sends it only then, and only for a
   * multipart object) and, with `checksumMode`, the part's checksum instead of the object's.
   */
  readonly partNumber?: number;
  /**
   * The bucket's versioning was ever configured: S3 then sends `x-amz-version-id: null` for the
   * null version too. Otherwise the header is left out for it.
   */
  readonly versioningConfigured?: boolean;
}

/**
 * The response headers of GetObject/HeadObject for an object version (not Content-Length or
 * Content-Range, which depend on the bytes sent). Names lower-case. Includes
 * `x-amz-server-side-encryption: AES256`, as S3 encrypts every object at rest by default.
 */
export function writeObjectHeaders(record: VersionRecord, options: WriteHeadersOptions = {}): Record<string, string> {
  const h = record.headers;
  const out: Record<string, string> = {
    etag: record.etag,
    'last-modified': httpDate(record.lastModified),
    'accept-ranges': 'bytes',
    'content-type': h.contentType ?? DEFAULT_CONTENT_TYPE,
  };
  if (h.contentEncoding !== undefined) out['content-encoding'] = h.contentEncoding;
  if (h.contentDisposition !== undefined) out['content-disposition'] = h.contentDisposition;
  if (h.contentLanguage !== undefined) out['content-language'] = h.contentLanguage;
  if (h.cacheControl !== undefined) out['cache-control'] = h.cacheControl;
  if (h.expires !== undefined) out.expires = h.expires;
  for (const [name, value] of Object.entries(h.userMetadata)) out[`${META_PREFIX}${name}`] = value;
  if (record.versionId !== NULL_VERSION || options.versioningConfigured === true) out['x-amz-version-id'] = record.versionId;
  out['x-amz-server-side-encryption'] = 'AES256';
  const parts = record.parts;
  if (options.partNumber !== undefined && parts !== undefined && parts.length > 0) {
    out['x-amz-mp-parts-count'] = String(parts.length);
  }
  if (options.checksumMode === true && record.checksum !== undefined) {
    const { algorithm, type, value } = record.checksum;
    if (options.partNumber !== undefined && parts !== undefined && parts.length > 0) {
      const part = parts[options.partNumber - 1];
      if (part?.checksum !== undefined) {
        out[checksumHeader(algorithm)] = part.checksum;
        out['x-amz-checksum-type'] = type;
      }
    } else {
      out[checksumHeader(algorithm)] = value;
      out['x-amz-checksum-type'] = type;
    }
  }
  return out;
}

/** An RFC 7231 IMF-fixdate: `Tue, 15 Nov 1994 08:12:31 GMT`. */
export function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}

/** The object a CopyObject/UploadPartCopy reads. */
export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  /** From `?versionId=`; undefined means the current version. */
  readonly versionId?: string;
}

/**
 * Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally followed by
 * `?versionId=<id>`. A `+` stays a plus.
 *
 * @throws S3Error InvalidArgument (with `ArgumentName` x-amz-copy-source) when no bucket or key
 *   is named or the encoding is broken; InvalidArgument for an empty versionId.
 */
export function parseCopySource(value: string): CopySource {
  const bad = (message: string) =>
    new S3Error('InvalidArgument', message, { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  const q = value.indexOf('?');
  const path = q === -1 ? value : value.slice(0, q);
  let versionId: string | undefined;
  if (q !== -1) {
    const query = new URLSearchParams(value.slice(q + 1));
    const v = query.get('versionId');
    if (v !== null) {
      if (v === '') throw bad('Invalid version id specified');
      versionId = v;
    }
  }
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw bad('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(trimmed.slice(0, slash));
    key = decodeURIComponent(trimmed.slice(slash + 1));
  } catch {
    throw bad('Invalid copy source encoding');
  }
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

/**
 * Parses `x-amz-copy-source-range` (`bytes=first-last`, both given, inclusive) against the source
 * object's size.
 *
 * @throws S3Error InvalidArgument (with `ArgumentName` x-amz-copy-source-range) for another form,
 *   `first > last`, or a range that goes beyond the source object.
 */
export function parseCopySourceRange(value: string, sourceSize: number): ByteRange {
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  const start = m === null ? NaN : Number(m[1]);
  const end = m === null ? NaN : Number(m[2]);
  if (!(start <= end)) {
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value },
    );
  }
  if (end >= sourceSize) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${sourceSize}`, {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: value,
    });
  }
  return { start, end };
}

export type MetadataDirective = 'COPY' | 'REPLACE';

/**
 * `x-amz-metadata-directive`: COPY (the default) keeps the source's headers and metadata, REPLACE
 * takes them from the request.
 *
 * @throws S3Error InvalidArgument (with `ArgumentName` x-amz-metadata-directive) for another value.
 */
export function parseMetadataDirective(value: string | undefined): MetadataDirective {
  if (value === undefined) return 'COPY';
  const v = value.trim();
  if (v === 'COPY' || v === 'REPLACE') return v;
  throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
    ArgumentName: 'x-amz-metadata-directive',
    ArgumentValue: value,
  });
}

/** The storage classes S3 accepts in `x-amz-storage-class`. This store keeps every object alike. */
export const STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
  'FSX_OPENZFS',
] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/**
 * `x-amz-storage-class`, checked and otherwise ignored (nothing is stored; listings show STANDARD).
 *
 * @throws S3Error InvalidStorageClass (400, with `StorageClassRequested`) for an unknown class.
 */
export function parseStorageClass(value: string | undefined): StorageClass | undefined {
  if (value === undefined) return undefined;
  if ((STORAGE_CLASSES as readonly string[]).includes(value)) return value as StorageClass;
  throw new S3Error('InvalidStorageClass', 'The storage class you specified is not valid', {
    StorageClassRequested: value,
  });
}

/** The attributes GetObjectAttributes can return, as named in `x-amz-object-attributes`. */
export const OBJECT_ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
export type ObjectAttribute = (typeof OBJECT_ATTRIBUTES)[number];

/**
 * Parses `x-amz-object-attributes` (a comma-separated list; the SDK sends one value per header
 * line, which Node joins).
 *
 * @throws S3Error InvalidArgument (with `ArgumentName` x-amz-object-attributes) when empty or
 *   naming an unknown attribute.
 */
export function parseObjectAttributes(value: string | string[] | undefined): ReadonlySet<ObjectAttribute> {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidArgument', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', {
      ArgumentName: 'x-amz-object-attributes',
      ArgumentValue: raw,
    });
  }
  const out = new Set<ObjectAttribute>();
  for (const n of names) {
    if (!(OBJECT_ATTRIBUTES as readonly string[]).includes(n)) {
      throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', {
        ArgumentName: 'x-amz-object-attributes',
        ArgumentValue: n,
      });
    }
    out.add(n as ObjectAttribute);
  }
  return out;
}
