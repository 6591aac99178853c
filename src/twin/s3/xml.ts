/**
 * S3's XML response bodies, built as strings: element names, nesting and order as S3 sends them,
 * in S3's namespace, with one escaping helper. Each builder takes plain data (its own input type)
 * and returns the whole document, declaration included.
 *
 * Also here: `probeAnswer`, what S3 answers for the configuration sub-resources clients probe
 * (ACL, lifecycle, policy, CORS, tagging, encryption, …) on a bucket that has none. Several of those
 * answers are errors in S3 itself (GetBucketPolicy → 404 NoSuchBucketPolicy, GetBucketCors → 404
 * NoSuchCORSConfiguration, …), and clients expect exactly those.
 */
import type { ChecksumAlgorithm, ChecksumType } from './checksums.ts';
import type { ObjectAttribute } from './object-headers.ts';
import type { S3Operation } from './route.ts';
import { S3Error } from './s3-error.ts';

/** S3's XML namespace. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * Escapes text for an element's content: `& < > "`, and as character references the carriage
 * return (so it survives parsing) and the control characters XML 1.0 cannot carry literally.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => {
    return ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
  });
}

/**
 * `encoding-type=url` as S3 applies it: percent-encodes UTF-8 bytes of everything except
 * `A–Z a–z 0–9 - _ . ~` and `/` (a space becomes `%20`, a plus `%2B`).
 */
export function urlEncodeKey(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

/** ISO 8601 at S3's precision: whole seconds, `.000Z`. */
export function isoTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString();
}

function el(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function opt(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : el(name, value);
}

function doc(root: string, body: string, xmlns = true): string {
  const ns = xmlns ? ` xmlns="${S3_XMLNS}"` : '';
  return body === '' ? `${DECLARATION}<${root}${ns}/>` : `${DECLARATION}<${root}${ns}>${body}</${root}>`;
}

/** The account a listing shows as owner or initiator. */
export interface Owner {
  readonly id: string;
  /** Omitted when undefined (S3 is retiring it). */
  readonly displayName?: string;
}

function owner(tag: string, o: Owner): string {
  return `<${tag}>${el('ID', o.id)}${opt('DisplayName', o.displayName)}</${tag}>`;
}

/** A checksum as results show it: `<ChecksumCRC32>…</ChecksumCRC32>` and `<ChecksumType>`. */
export interface ChecksumValue {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string;
  readonly type?: ChecksumType;
}

function checksumElements(c: ChecksumValue | undefined): string {
  if (c === undefined) return '';
  return el(`Checksum${c.algorithm}`, c.value) + opt('ChecksumType', c.type);
}

type Encode = (s: string) => string;

function encoder(encodingType: 'url' | undefined): Encode {
  return encodingType === 'url' ? urlEncodeKey : (s) => s;
}

// ─── errors ────────────────────────────────────────────────────────────────────────────────────

/** What an error body needs; an `S3Error` fits. */
export interface ErrorBodyInput {
  readonly code: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, string | number>>;
}

/**
 * `<Error>` (no namespace, as S3 sends it): Code, Message, the error's extra fields (`Key`,
 * `BucketName`, `Condition`, …), Resource if given, RequestId, HostId.
 */
export function errorXml(
  error: ErrorBodyInput,
  context: { readonly requestId: string; readonly hostId?: string; readonly resource?: string },
): string {
  let body = el('Code', error.code) + el('Message', error.message);
  for (const [name, value] of Object.entries(error.fields ?? {})) body += el(name, value);
  body += opt('Resource', context.resource) + el('RequestId', context.requestId) + opt('HostId', context.hostId);
  return doc('Error', body, false);
}

// ─── buckets ───────────────────────────────────────────────────────────────────────────────────

export interface BucketEntry {
  readonly name: string;
  /** Epoch ms. */
  readonly creationDate: number;
  readonly region?: string;
}

export interface ListBucketsInput {
  readonly owner: Owner;
  readonly buckets: readonly BucketEntry[];
  readonly continuationToken?: string;
  readonly prefix?: string;
}

/** ListBuckets: `ListAllMyBucketsResult`. */
export function listBucketsXml(input: ListBucketsInput): string {
  let buckets = '';
  for (const b of input.buckets) {
    buckets += `<Bucket>${el('Name', b.name)}${el('CreationDate', isoTime(b.creationDate))}${opt('BucketRegion', b.region)}</Bucket>`;
  }
  return doc(
    'ListAllMyBucketsResult',
    owner('Owner', input.owner) + `<Buckets>${buckets}</Buckets>` + opt('ContinuationToken', input.continuationToken) + opt('Prefix', input.prefix),
  );
}

/** GetBucketLocation: empty for us-east-1 (S3's historical answer), else the region. */
export function locationConstraintXml(region: string): string {
  return doc('LocationConstraint', region === 'us-east-1' ? '' : escapeXml(region));
}

/** GetBucketVersioning: empty until versioning was first configured. */
export function versioningConfigurationXml(status: 'Enabled' | 'Suspended' | undefined): string {
  return doc('VersioningConfiguration', opt('Status', status));
}

// ─── object listings ───────────────────────────────────────────────────────────────────────────

/** One object in ListObjects/ListObjectsV2. */
export interface ObjectEntry {
  readonly key: string;
  /** Epoch ms. */
  readonly lastModified: number;
  /** Quoted, as stored. */
  readonly etag: string;
  readonly size: number;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

function contents(o: ObjectEntry, encode: Encode, ownerOf: Owner | undefined): string {
  return (
    '<Contents>' +
    el('Key', encode(o.key)) +
    el('LastModified', isoTime(o.lastModified)) +
    el('ETag', o.etag) +
    opt('ChecksumAlgorithm', o.checksumAlgorithm) +
    opt('ChecksumType', o.checksumType) +
    el('Size', o.size) +
    (ownerOf === undefined ? '' : owner('Owner', ownerOf)) +
    el('StorageClass', 'STANDARD') +
    '</Contents>'
  );
}

function commonPrefixes(prefixes: readonly string[], encode: Encode): string {
  return prefixes.map((p) => `<CommonPrefixes>${el('Prefix', encode(p))}</CommonPrefixes>`).join('');
}

interface ListingCommon {
  readonly bucket: string;
  readonly prefix?: string;
  /** Omitted from the answer when undefined or empty, as S3 does. */
  readonly delimiter?: string;
  readonly maxKeys: number;
  readonly isTruncated: boolean;
  readonly encodingType?: 'url';
  readonly contents: readonly ObjectEntry[];
  readonly commonPrefixes: readonly string[];
}

export interface ListObjectsV1Input extends ListingCommon {
  readonly marker?: string;
  /**
   * The key to continue after. S3 sends `NextMarker` only when a delimiter was given and the list
   * is truncated (clients otherwise use the last key), and so does this builder.
   */
  readonly nextMarker?: string;
  /** Every entry shows it, as ListObjects (v1) always does. */
  readonly owner: Owner;
}

/** ListObjects (v1): `ListBucketResult` with Marker/NextMarker. */
export function listObjectsV1Xml(input: ListObjectsV1Input): string {
  const encode = encoder(input.encodingType);
  const delimiter = input.delimiter === '' ? undefined : input.delimiter;
  const nextMarker = input.isTruncated && delimiter !== undefined ? input.nextMarker : undefined;
  return doc(
    'ListBucketResult',
    el('Name', input.bucket) +
      el('Prefix', encode(input.prefix ?? '')) +
      el('Marker', encode(input.marker ?? '')) +
      opt('NextMarker', nextMarker === undefined ? undefined : encode(nextMarker)) +
      el('MaxKeys', input.maxKeys) +
      opt('Delimiter', delimiter === undefined ? undefined : encode(delimiter)) +
      opt('EncodingType', input.encodingType) +
      el('IsTruncated', input.isTruncated) +
      input.contents.map((c) => contents(c, encode, input.owner)).join('') +
      commonPrefixes(input.commonPrefixes, encode),
  );
}

export interface ListObjectsV2Input extends ListingCommon {
  readonly continuationToken?: string;
  readonly nextContinuationToken?: string;
  readonly startAfter?: string;
  /** Set when `fetch-owner=true`: entries then show it. */
  readonly owner?: Owner;
}

/** ListObjectsV2: `ListBucketResult` with KeyCount and continuation tokens (never URL-encoded). */
export function listObjectsV2Xml(input: ListObjectsV2Input): string {
  const encode = encoder(input.encodingType);
  const delimiter = input.delimiter === '' ? undefined : input.delimiter;
  return doc(
    'ListBucketResult',
    el('Name', input.bucket) +
      el('Prefix', encode(input.prefix ?? '')) +
      opt('ContinuationToken', input.continuationToken) +
      opt('NextContinuationToken', input.isTruncated ? input.nextContinuationToken : undefined) +
      el('KeyCount', input.contents.length + input.commonPrefixes.length) +
      el('MaxKeys', input.maxKeys) +
      opt('Delimiter', delimiter === undefined ? undefined : encode(delimiter)) +
      opt('EncodingType', input.encodingType) +
      el('IsTruncated', input.isTruncated) +
      opt('StartAfter', input.startAfter === undefined ? undefined : encode(input.startAfter)) +
      input.contents.map((c) => contents(c, encode, input.owner)).join('') +
      commonPrefixes(input.commonPrefixes, encode),
  );
}

/** One entry of ListObjectVersions: an object version or a delete marker. */
export type VersionEntry =
  | {
      readonly kind: 'version';
      readonly key: string;
      readonly versionId: string;
      readonly isLatest: boolean;
      readonly lastModified: number;
      readonly etag: string;
      readonly size: number;
      readonly checksumAlgorithm?: ChecksumAlgorithm;
      readonly checksumType?: ChecksumType;
    }
  | {
      readonly kind: 'deleteMarker';
      readonly key: string;
      readonly versionId: string;
      readonly isLatest: boolean;
      readonly lastModified: number;
    };

export interface ListVersionsInput {
  readonly bucket: string;
  readonly prefix?: string;
  readonly keyMarker?: string;
  readonly versionIdMarker?: string;
  readonly nextKeyMarker?: string;
  readonly nextVersionIdMarker?: string;
  readonly delimiter?: string;
  readonly maxKeys: number;
  readonly isTruncated: boolean;
  readonly encodingType?: 'url';
  /** In listing order (key, then newest first); versions and delete markers interleave. */
  readonly entries: readonly VersionEntry[];
  readonly commonPrefixes: readonly string[];
  readonly owner: Owner;
}

/** ListObjectVersions: `ListVersionsResult`. */
export function listVersionsXml(input: ListVersionsInput): string {
  const encode = encoder(input.encodingType);
  const delimiter = input.delimiter === '' ? undefined : input.delimiter;
  let entries = '';
  for (const e of input.entries) {
    const head = el('Key', encode(e.key)) + el('VersionId', e.versionId) + el('IsLatest', e.isLatest) + el('LastModified', isoTime(e.lastModified));
    if (e.kind === 'deleteMarker') {
      entries += `<DeleteMarker>${head}${owner('Owner', input.owner)}</DeleteMarker>`;
    } else {
      entries +=
        `<Version>${head}${el('ETag', e.etag)}${opt('ChecksumAlgorithm', e.checksumAlgorithm)}${opt('ChecksumType', e.checksumType)}` +
        `${el('Size', e.size)}${el('StorageClass', 'STANDARD')}${owner('Owner', input.owner)}</Version>`;
    }
  }
  return doc(
    'ListVersionsResult',
    el('Name', input.bucket) +
      el('Prefix', encode(input.prefix ?? '')) +
      el('KeyMarker', encode(input.keyMarker ?? '')) +
      el('VersionIdMarker', input.versionIdMarker ?? '') +
      opt('NextKeyMarker', input.isTruncated && input.nextKeyMarker !== undefined ? encode(input.nextKeyMarker) : undefined) +
      opt('NextVersionIdMarker', input.isTruncated ? input.nextVersionIdMarker : undefined) +
      el('MaxKeys', input.maxKeys) +
      opt('Delimiter', delimiter === undefined ? undefined : encode(delimiter)) +
      opt('EncodingType', input.encodingType) +
      el('IsTruncated', input.isTruncated) +
      entries +
      commonPrefixes(input.commonPrefixes, encode),
  );
}

// ─── DeleteObjects ─────────────────────────────────────────────────────────────────────────────

/** One key's outcome in DeleteObjects, in request order. */
export type DeleteResultEntry =
  | {
      readonly kind: 'deleted';
      readonly key: string;
      /** The version asked for, when one was. */
      readonly versionId?: string;
      /** A delete marker was created (no version asked for, versioned bucket) or deleted. */
      readonly deleteMarker?: boolean;
      readonly deleteMarkerVersionId?: string;
    }
  | {
      readonly kind: 'error';
      readonly key: string;
      readonly versionId?: string;
      readonly code: string;
      readonly message: string;
    };

/** DeleteObjects: `DeleteResult`; in quiet mode only the errors. */
export function deleteResultXml(input: { readonly entries: readonly DeleteResultEntry[]; readonly quiet: boolean }): string {
  let body = '';
  for (const e of input.entries) {
    if (e.kind === 'error') {
      body += `<Error>${el('Key', e.key)}${opt('VersionId', e.versionId)}${el('Code', e.code)}${el('Message', e.message)}</Error>`;
    } else if (!input.quiet) {
      body +=
        `<Deleted>${el('Key', e.key)}${opt('VersionId', e.versionId)}` +
        `${e.deleteMarker === true ? el('DeleteMarker', true) : ''}${opt('DeleteMarkerVersionId', e.deleteMarkerVersionId)}</Deleted>`;
    }
  }
  return doc('DeleteResult', body);
}

// ─── copies and multipart uploads ──────────────────────────────────────────────────────────────

export interface CopyResultInput {
  readonly etag: string;
  readonly lastModified: number;
  readonly checksum?: ChecksumValue;
}

/** CopyObject: `CopyObjectResult`. */
export function copyObjectResultXml(input: CopyResultInput): string {
  return doc('CopyObjectResult', el('LastModified', isoTime(input.lastModified)) + el('ETag', input.etag) + checksumElements(input.checksum));
}

/** UploadPartCopy: `CopyPartResult`. */
export function copyPartResultXml(input: CopyResultInput): string {
  return doc('CopyPartResult', el('LastModified', isoTime(input.lastModified)) + el('ETag', input.etag) + checksumElements(input.checksum));
}

/** CreateMultipartUpload: `InitiateMultipartUploadResult`. */
export function initiateMultipartUploadXml(input: { readonly bucket: string; readonly key: string; readonly uploadId: string }): string {
  return doc('InitiateMultipartUploadResult', el('Bucket', input.bucket) + el('Key', input.key) + el('UploadId', input.uploadId));
}

/**
 * The URL of an object, as CompleteMultipartUpload's `Location` shows it: the key URL-encoded,
 * the bucket in the host (virtual-host style) or the path.
 */
export function objectLocation(input: {
  readonly protocol: 'http' | 'https';
  /** The Host the request came to, port included. */
  readonly host: string;
  readonly bucket: string;
  readonly key: string;
  readonly style: 'path' | 'virtual-host';
}): string {
  const path = input.style === 'path' ? `/${input.bucket}/${urlEncodeKey(input.key)}` : `/${urlEncodeKey(input.key)}`;
  return `${input.protocol}://${input.host}${path}`;
}

export interface CompleteMultipartUploadInput {
  readonly location: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly checksum?: ChecksumValue;
}

/** CompleteMultipartUpload: `CompleteMultipartUploadResult`. */
export function completeMultipartUploadXml(input: CompleteMultipartUploadInput): string {
  return doc(
    'CompleteMultipartUploadResult',
    el('Location', input.location) + el('Bucket', input.bucket) + el('Key', input.key) + el('ETag', input.etag) + checksumElements(input.checksum),
  );
}

/** One part in ListParts. */
export interface PartEntry {
  readonly partNumber: number;
  readonly lastModified: number;
  readonly etag: string;
  readonly size: number;
  /** The part's checksum, of the upload's algorithm. */
  readonly checksum?: string;
}

export interface ListPartsInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly initiator: Owner;
  readonly owner: Owner;
  readonly partNumberMarker: number;
  readonly nextPartNumberMarker?: number;
  readonly maxParts: number;
  readonly isTruncated: boolean;
  readonly parts: readonly PartEntry[];
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

/** ListParts: `ListPartsResult`. */
export function listPartsXml(input: ListPartsInput): string {
  const alg = input.checksumAlgorithm;
  const parts = input.parts
    .map(
      (p) =>
        `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', isoTime(p.lastModified))}${el('ETag', p.etag)}${el('Size', p.size)}` +
        `${alg !== undefined && p.checksum !== undefined ? el(`Checksum${alg}`, p.checksum) : ''}</Part>`,
    )
    .join('');
  return doc(
    'ListPartsResult',
    el('Bucket', input.bucket) +
      el('Key', input.key) +
      el('UploadId', input.uploadId) +
      owner('Initiator', input.initiator) +
      owner('Owner', input.owner) +
      el('StorageClass', 'STANDARD') +
      el('PartNumberMarker', input.partNumberMarker) +
      opt('NextPartNumberMarker', input.nextPartNumberMarker) +
      el('MaxParts', input.maxParts) +
      el('IsTruncated', input.isTruncated) +
      parts +
      opt('ChecksumAlgorithm', alg) +
      opt('ChecksumType', input.checksumType),
  );
}

/** One open upload in ListMultipartUploads. */
export interface UploadEntry {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: number;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

export interface ListMultipartUploadsInput {
  readonly bucket: string;
  readonly keyMarker?: string;
  readonly uploadIdMarker?: string;
  readonly nextKeyMarker?: string;
  readonly nextUploadIdMarker?: string;
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxUploads: number;
  readonly isTruncated: boolean;
  readonly encodingType?: 'url';
  readonly uploads: readonly UploadEntry[];
  readonly commonPrefixes: readonly string[];
  /** Shown as both initiator and owner. */
  readonly owner: Owner;
}

/** ListMultipartUploads: `ListMultipartUploadsResult`. */
export function listMultipartUploadsXml(input: ListMultipartUploadsInput): string {
  const encode = encoder(input.encodingType);
  const delimiter = input.delimiter === '' ? undefined : input.delimiter;
  const uploads = input.uploads
    .map(
      (u) =>
        `<Upload>${el('Key', encode(u.key))}${el('UploadId', u.uploadId)}${owner('Initiator', input.owner)}${owner('Owner', input.owner)}` +
        `${el('StorageClass', 'STANDARD')}${el('Initiated', isoTime(u.initiated))}` +
        `${opt('ChecksumAlgorithm', u.checksumAlgorithm)}${opt('ChecksumType', u.checksumType)}</Upload>`,
    )
    .join('');
  return doc(
    'ListMultipartUploadsResult',
    el('Bucket', input.bucket) +
      el('KeyMarker', encode(input.keyMarker ?? '')) +
      el('UploadIdMarker', input.uploadIdMarker ?? '') +
      opt('NextKeyMarker', input.nextKeyMarker === undefined ? undefined : encode(input.nextKeyMarker)) +
      opt('NextUploadIdMarker', input.nextUploadIdMarker) +
      opt('Prefix', input.prefix === undefined ? undefined : encode(input.prefix)) +
      opt('Delimiter', delimiter === undefined ? undefined : encode(delimiter)) +
      el('MaxUploads', input.maxUploads) +
      opt('EncodingType', input.encodingType) +
      el('IsTruncated', input.isTruncated) +
      uploads +
      commonPrefixes(input.commonPrefixes, encode),
  );
}

// ─── GetObjectAttributes ───────────────────────────────────────────────────────────────────────

export interface ObjectAttributesInput {
  /** From `x-amz-object-attributes`: only these are included. */
  readonly attributes: ReadonlySet<ObjectAttribute>;
  /** Quoted as stored; shown unquoted, as S3 does here. */
  readonly etag: string;
  readonly size: number;
  readonly checksum?: ChecksumValue;
  /** For a multipart object: its parts, paged like ListParts. Left out for single-part objects. */
  readonly parts?: {
    readonly totalPartsCount: number;
    readonly partNumberMarker: number;
    readonly nextPartNumberMarker?: number;
    readonly maxParts: number;
    readonly isTruncated: boolean;
    readonly parts: readonly { readonly partNumber: number; readonly size: number; readonly checksum?: string }[];
  };
}

/** GetObjectAttributes: `GetObjectAttributesResponse` with the attributes asked for. */
export function objectAttributesXml(input: ObjectAttributesInput): string {
  const a = input.attributes;
  let body = '';
  if (a.has('ETag')) body += el('ETag', input.etag.replace(/^"(.*)"$/, '$1'));
  if (a.has('Checksum') && input.checksum !== undefined) body += `<Checksum>${checksumElements(input.checksum)}</Checksum>`;
  const p = input.parts;
  if (a.has('ObjectParts') && p !== undefined) {
    const alg = input.checksum?.algorithm;
    const parts = p.parts
      .map(
        (part) =>
          `<Part>${el('PartNumber', part.partNumber)}${el('Size', part.size)}` +
          `${alg !== undefined && part.checksum !== undefined ? el(`Checksum${alg}`, part.checksum) : ''}</Part>`,
      )
      .join('');
    body +=
      '<ObjectParts>' +
      el('PartsCount', p.totalPartsCount) +
      el('PartNumberMarker', p.partNumberMarker) +
      opt('NextPartNumberMarker', p.nextPartNumberMarker) +
      el('MaxParts', p.maxParts) +
      el('IsTruncated', p.isTruncated) +
      parts +
      '</ObjectParts>';
  }
  if (a.has('StorageClass')) body += el('StorageClass', 'STANDARD');
  if (a.has('ObjectSize')) body += el('ObjectSize', input.size);
  return doc('GetObjectAttributesResponse', body);
}

// ─── probed configuration sub-resources ────────────────────────────────────────────────────────

/** What to answer a probe with: a body (200), no content (204 / empty 200), or an S3 error to throw. */
export type ProbeAnswer =
  | { readonly kind: 'xml'; readonly status: 200; readonly body: string }
  | { readonly kind: 'empty'; readonly status: 200 | 204 }
  | { readonly kind: 'error'; readonly error: S3Error };

function notKept(what: string): ProbeAnswer {
  return { kind: 'error', error: new S3Error('NotImplemented', `This S3 store keeps no ${what}; the request is not implemented.`) };
}

function xml(body: string): ProbeAnswer {
  return { kind: 'xml', status: 200, body };
}

const NO_CONTENT: ProbeAnswer = { kind: 'empty', status: 204 };

/**
 * S3's answer to a configuration sub-resource on a bucket (or object) that has no such
 * configuration, for the operations `routeRequest` names but this store does not keep; undefined
 * for any other operation. Call it after the bucket (and key, for object sub-resources) was found.
 *
 * - Errors, as in S3: GetBucketLifecycleConfiguration → NoSuchLifecycleConfiguration,
 *   GetBucketPolicy → NoSuchBucketPolicy, GetBucketTagging → NoSuchTagSet, GetBucketCors →
 *   NoSuchCORSConfiguration (all 404 with `BucketName`).
 * - Bodies S3 gives new buckets: an ACL granting the owner FULL_CONTROL, ownership
 *   BucketOwnerEnforced, every public access block on, SSE-S3 (AES256) default encryption,
 *   BucketOwner pays, and empty accelerate/logging/notification configurations and object tag sets.
 * - Deletes of absent configurations: 204. ACL writes: 200 with nothing stored.
 * - Other writes (lifecycle, policy, CORS, tagging, encryption, public access block, ownership):
 *   NotImplemented (501), since this store would not honour them.
 * - `Unsupported`: NotImplemented naming the sub-resource.
 */
export function probeAnswer(
  route: { readonly operation: S3Operation; readonly bucket?: string; readonly subResource?: string },
  bucketOwner: Owner,
): ProbeAnswer | undefined {
  const fields = { BucketName: route.bucket ?? '' };
  switch (route.operation) {
    case 'GetBucketAcl':
    case 'GetObjectAcl':
      return xml(
        doc(
          'AccessControlPolicy',
          owner('Owner', bucketOwner) +
            '<AccessControlList><Grant>' +
            `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el('ID', bucketOwner.id)}${opt('DisplayName', bucketOwner.displayName)}</Grantee>` +
            el('Permission', 'FULL_CONTROL') +
            '</Grant></AccessControlList>',
        ),
      );
    case 'PutBucketAcl':
    case 'PutObjectAcl':
      return { kind: 'empty', status: 200 };
    case 'GetBucketLifecycleConfiguration':
      return { kind: 'error', error: new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', fields) };
    case 'GetBucketPolicy':
      return { kind: 'error', error: new S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', fields) };
    case 'GetBucketTagging':
      return { kind: 'error', error: new S3Error('NoSuchTagSet', 'The TagSet does not exist', fields) };
    case 'GetBucketCors':
      return { kind: 'error', error: new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', fields) };
    case 'GetObjectTagging':
      return xml(doc('Tagging', '<TagSet></TagSet>'));
    case 'GetBucketEncryption':
      return xml(
        doc(
          'ServerSideEncryptionConfiguration',
          '<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>',
        ),
      );
    case 'GetPublicAccessBlock':
      return xml(
        doc(
          'PublicAccessBlockConfiguration',
          el('BlockPublicAcls', true) + el('IgnorePublicAcls', true) + el('BlockPublicPolicy', true) + el('RestrictPublicBuckets', true),
        ),
      );
    case 'GetBucketOwnershipControls':
      return xml(doc('OwnershipControls', '<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>'));
    case 'GetBucketRequestPayment':
      return xml(doc('RequestPaymentConfiguration', el('Payer', 'BucketOwner')));
    case 'GetBucketAccelerateConfiguration':
      return xml(doc('AccelerateConfiguration', ''));
    case 'GetBucketLogging':
      return xml(doc('BucketLoggingStatus', ''));
    case 'GetBucketNotificationConfiguration':
      return xml(doc('NotificationConfiguration', ''));
    case 'DeleteBucketLifecycle':
    case 'DeleteBucketPolicy':
    case 'DeleteBucketTagging':
    case 'DeleteBucketCors':
    case 'DeleteBucketEncryption':
    case 'DeleteObjectTagging':
      return NO_CONTENT;
    case 'PutBucketLifecycleConfiguration':
      return notKept('lifecycle configuration');
    case 'PutBucketPolicy':
      return notKept('bucket policy');
    case 'PutBucketEncryption':
      return notKept('encryption configuration (objects use the SSE-S3 default)');
    case 'PutBucketTagging':
    case 'PutObjectTagging':
      return notKept('tags');
    case 'PutBucketCors':
      return notKept('CORS configuration');
    case 'PutPublicAccessBlock':
    case 'DeletePublicAccessBlock':
      return notKept('public access block configuration (every block is on)');
    case 'PutBucketOwnershipControls':
    case 'DeleteBucketOwnershipControls':
      return notKept('ownership controls (objects are owned by the bucket owner)');
    case 'Unsupported': {
      const message =
        route.subResource === 'POST'
          ? 'Browser-based uploads (POST to a bucket) are not implemented by this S3 store.'
          : `The "${route.subResource ?? 'unknown'}" sub-resource is not implemented by this S3 store.`;
      return { kind: 'error', error: new S3Error('NotImplemented', message) };
    }
    default:
      return undefined;
  }
}
