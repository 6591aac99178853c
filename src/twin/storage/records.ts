/**
 * What storage nodes keep, and how replicas agree. Every change — a new object version, a delete
 * marker, a purged version, a bucket created or deleted, a multipart upload and its parts — is an
 * immutable record stamped with a `seq` from the gateway's hybrid clock. For the same identity, the
 * record with the greater seq wins on every node, so replicas converge whatever order changes
 * reach them in, and repair is "copy the winner where it is missing".
 *
 * Keys never name files: a node stores a record under the SHA-256 of its identity.
 */
import type { ChecksumAlgorithm, ChecksumType } from '../s3/checksums.ts';

/** Fixed-width, lexicographically ordered: 12 hex digits of milliseconds, then 6 of a counter. */
export type Seq = string;

export function compareSeq(a: Seq, b: Seq): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The unversioned id S3 uses for objects written while versioning was never enabled or suspended. */
export const NULL_VERSION = 'null';

/** Content-* and user metadata stored with an object, returned on GET and HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
  /** `x-amz-meta-*` without the prefix, names lower-cased. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

export interface PartInfo {
  readonly partNumber: number;
  readonly size: number;
  /** Quoted hex MD5, as S3 shows it. */
  readonly etag: string;
  readonly checksum?: string;
}

/**
 * One version of one key. `object` has bytes; `marker` is an S3 delete marker (it is a version, and
 * the current one hides the key); `tombstone` records that the version was purged (never shown:
 * it stops a returning replica from bringing the version back).
 */
export interface VersionRecord {
  readonly type: 'version';
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly seq: Seq;
  readonly kind: 'object' | 'marker' | 'tombstone';
  /** Epoch ms. */
  readonly lastModified: number;
  /** Byte length; 0 for markers and tombstones. */
  readonly size: number;
  /** Quoted: `"<md5 hex>"`, or `"<md5 of part md5s>-N"` after a multipart upload. */
  readonly etag: string;
  readonly headers: ObjectHeaders;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly type: ChecksumType; readonly value: string };
  /** Set for objects made by CompleteMultipartUpload: GetObject?partNumber and ListParts-like views. */
  readonly parts?: readonly PartInfo[];
}

export interface BucketRecord {
  readonly type: 'bucket';
  readonly bucket: string;
  readonly seq: Seq;
  readonly deleted: boolean;
  readonly createdAt: number;
  /** Absent until PutBucketVersioning first runs, as in S3. */
  readonly versioning?: 'Enabled' | 'Suspended';
}

export interface UploadRecord {
  readonly type: 'upload';
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly seq: Seq;
  readonly state: 'open' | 'completed' | 'aborted';
  readonly initiated: number;
  readonly headers: ObjectHeaders;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly type: ChecksumType };
}

/** A part of an open multipart upload; a later upload of the same part number wins by seq. */
export interface PartRecord {
  readonly type: 'part';
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partNumber: number;
  readonly seq: Seq;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly checksum?: string;
}

export type StoredRecord = VersionRecord | BucketRecord | UploadRecord | PartRecord;

/** The identity two records must share to compete by seq. */
export function recordIdentity(r: StoredRecord): string {
  switch (r.type) {
    case 'version':
      return `v\0${r.bucket}\0${r.key}\0${r.versionId}`;
    case 'bucket':
      return `b\0${r.bucket}`;
    case 'upload':
      return `u\0${r.bucket}\0${r.uploadId}`;
    case 'part':
      return `p\0${r.bucket}\0${r.uploadId}\0${r.partNumber}`;
  }
}

/** Whether a record carries bytes on the node. */
export function hasData(r: StoredRecord): boolean {
  return (r.type === 'version' && r.kind === 'object') || r.type === 'part';
}
