/**
 * PutObject: the body streams through the signature and checksum checks into every zone's storage
 * node at once; the version is committed — and acknowledged — only once the checks passed and a
 * write quorum has the bytes on disk. Versioned buckets get a new version id; others replace the
 * `null` version.
 */
import { CHECKSUM_ALGORITHMS, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../checksums.ts';
import { NULL_VERSION, type ObjectHeaders, type VersionRecord } from '../../storage/records.ts';
import { versionIdFor } from '../../storage/seq-clock.ts';
import type { StageResult } from '../../storage/node/protocol.ts';
import { openPayload, type PayloadResult } from '../auth/payload.ts';
import { checkWriteConditions } from '../conditions.ts';
import { checkObjectKey } from '../names.ts';
import { parseStorageClass, readObjectHeaders } from '../object-headers.ts';
import { S3Error } from '../s3-error.ts';
import type { BucketRecord } from '../../storage/records.ts';
import { bucketOf, headerOf, keyOf, type GatewayParts, type RequestContext } from './context.ts';

/** Replicas reported other bytes than the gateway received: never acknowledge that. */
export function checkReplicaMd5(stage: StageResult, payload: PayloadResult): void {
  if (Buffer.from(payload.md5Base64, 'base64').toString('hex') !== stage.md5) {
    throw new S3Error('InternalError', 'We encountered an internal error. Please try again. (the storage replicas did not receive the bytes sent)');
  }
}

/** A new version's id: fresh in a versioning-enabled bucket, `null` otherwise. */
export function newVersionId(bucket: BucketRecord, seq: string): string {
  return bucket.versioning === 'Enabled' ? versionIdFor(seq) : NULL_VERSION;
}

/** The headers PutObject, CopyObject and CompleteMultipartUpload answer with for a new version. */
export function versionHeaders(record: VersionRecord): Record<string, string> {
  return {
    etag: record.etag,
    'x-amz-server-side-encryption': 'AES256',
    ...(record.versionId === NULL_VERSION ? {} : { 'x-amz-version-id': record.versionId }),
    ...(record.checksum === undefined
      ? {}
      : { [`x-amz-checksum-${record.checksum.algorithm.toLowerCase()}`]: record.checksum.value, 'x-amz-checksum-type': record.checksum.type }),
  };
}

/** Conditional writes need the current version; plain ones do not pay for the read. */
export async function checkConditionalWrite(ctx: RequestContext, bucket: string, key: string): Promise<void> {
  if (headerOf(ctx.req, 'if-match') === undefined && headerOf(ctx.req, 'if-none-match') === undefined) return;
  const current = await ctx.parts.cluster.readCurrent(bucket, key);
  const live = current.record?.kind === 'object' ? current.record : undefined;
  checkWriteConditions(ctx.req.headers, live, key);
}

/** Builds the version record from what the replicas and the verified payload report. */
export function objectRecord(
  parts: GatewayParts,
  bucket: BucketRecord,
  key: string,
  headers: ObjectHeaders,
  stage: StageResult,
  payload: PayloadResult,
): VersionRecord {
  const seq = parts.clock.next();
  const checksum = payload.checksum;
  return {
    type: 'version',
    bucket: bucket.bucket,
    key,
    versionId: newVersionId(bucket, seq),
    seq,
    kind: 'object',
    lastModified: Date.now(),
    size: payload.size,
    etag: `"${stage.md5}"`,
    headers,
    ...(checksum === undefined ? {} : { checksum: { algorithm: checksum.algorithm, type: 'FULL_OBJECT' as const, value: checksum.value } }),
  };
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.parts.buckets.require(bucketOf(ctx));
  const key = keyOf(ctx);
  checkObjectKey(key);
  parseStorageClass(headerOf(ctx.req, 'x-amz-storage-class'));
  const headers = readObjectHeaders(ctx.req.headers);
  await checkConditionalWrite(ctx, bucket.bucket, key);
  const { body, result } = openPayload(ctx.req, ctx.auth, { maxBytes: ctx.parts.maxObjectBytes });
  result.catch(() => {});
  const record = await ctx.parts.cluster.write(body, async (stage) => {
    const payload = await result;
    checkReplicaMd5(stage, payload);
    return objectRecord(ctx.parts, bucket, key, headers, stage, payload);
  });
  ctx.res.writeHead(200, { ...versionHeaders(record), 'content-length': 0 });
  ctx.res.end();
}

/** An algorithm named by `x-amz-checksum-algorithm` (CreateMultipartUpload, CopyObject). */
export function requestedAlgorithm(ctx: RequestContext): ChecksumAlgorithm | undefined {
  const raw = headerOf(ctx.req, 'x-amz-checksum-algorithm') ?? headerOf(ctx.req, 'x-amz-sdk-checksum-algorithm');
  if (raw === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(raw);
  if (algorithm === undefined) {
    throw new S3Error('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}] (received ${JSON.stringify(raw)}).`);
  }
  return algorithm;
}
