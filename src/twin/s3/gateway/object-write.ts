/**
 * PutObject: the body streams through the signature and checksum checks into every zone's storage
 * node at once; the version is committed — and acknowledged — only once the checks passed and a
 * write quorum has the bytes on disk. Versioned buckets get a new version id; others replace the
 * `null` version.
 */
import { CHECKSUM_ALGORITHMS, checksumHeader, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../checksums.ts';
import { NULL_VERSION, type ObjectHeaders, type StoredRecord, type VersionRecord } from '../../storage/records.ts';
import { versionIdFor } from '../../storage/seq-clock.ts';
import { openPayload, type PayloadResult } from '../auth/payload.ts';
import { checkWriteConditions } from '../conditions.ts';
import { checkObjectKey } from '../names.ts';
import { parseStorageClass, readObjectHeaders } from '../object-headers.ts';
import { S3Error } from '../s3-error.ts';
import type { BucketRecord } from '../../storage/records.ts';
import { bucketOf, headerOf, keyOf, type GatewayParts, type RequestContext } from './context.ts';

/**
 * Streams the request's verified payload to every replica. Every replica checks the bytes it got
 * against the payload's verified flexible checksum (the client's, or CRC32); that checksum and the
 * ETag's MD5 are computed once, by the payload check. `build` makes the record to commit. With
 * `requiredChecksum` (an upload's algorithm), a payload whose headers name another algorithm is
 * refused before its body is read.
 */
export async function writePayload<R extends StoredRecord>(
  ctx: RequestContext,
  defaultChecksum: ChecksumAlgorithm,
  build: (payload: PayloadResult & { checksum: NonNullable<PayloadResult['checksum']> }, md5Hex: string) => R,
  requiredChecksum?: ChecksumAlgorithm,
): Promise<R> {
  const { body, result, checksumAlgorithm, size } = openPayload(ctx.req, ctx.auth, { maxBytes: ctx.parts.maxObjectBytes, computeChecksum: defaultChecksum });
  result.catch(() => {});
  // Refused headers (a malformed checksum, a bad Content-MD5…) fail here, before a replica is asked.
  if (checksumAlgorithm === undefined || size === undefined) await result;
  if (size === undefined) throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  const algorithm = checksumAlgorithm ?? defaultChecksum;
  if (requiredChecksum !== undefined && algorithm !== requiredChecksum) {
    // Decided by the headers alone: refused before a byte of the body goes to a replica.
    const error = new S3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${requiredChecksum.toLowerCase()}, actual checksum Type: ${algorithm.toLowerCase()}`,
    );
    body.destroy(error);
    throw error;
  }
  return ctx.parts.cluster.write(
    body,
    async (digest) => {
      const payload = await result;
      if (payload.checksum === undefined || payload.size !== digest.size) {
        // The bytes written to the replicas are not the ones the endpoint verified: never acknowledge that.
        throw new S3Error('InternalError', 'We encountered an internal error. Please try again. (the storage replicas did not receive the bytes sent)');
      }
      return build(payload as PayloadResult & { checksum: NonNullable<PayloadResult['checksum']> }, Buffer.from(payload.md5Base64, 'base64').toString('hex'));
    },
    { size, checksum: algorithm, md5: false, checksumValue: async () => (await result).checksum!.value },
  );
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
      : { [checksumHeader(record.checksum.algorithm)]: record.checksum.value, 'x-amz-checksum-type': record.checksum.type }),
  };
}

/**
 * Runs a write under S3's conditional headers (`If-None-Match: *`, `If-Match`): the check and the
 * commit happen under the key's lock, so of two racing conditional writes only one can pass.
 * Plain writes neither read the current version nor wait for the lock.
 */
export async function conditionalWrite<T>(ctx: RequestContext, bucket: string, key: string, write: () => Promise<T>): Promise<T> {
  if (headerOf(ctx.req, 'if-match') === undefined && headerOf(ctx.req, 'if-none-match') === undefined) return write();
  return ctx.parts.writeLocks.run(`${bucket}\0${key}`, async () => {
    const current = await ctx.parts.cluster.readCurrent(bucket, key);
    const live = current.record?.kind === 'object' ? current.record : undefined;
    checkWriteConditions(ctx.req.headers, live, key);
    return write();
  });
}

/** Builds the version record from the verified payload (the replicas agreed on its bytes). */
export function objectRecord(parts: GatewayParts, bucket: BucketRecord, key: string, headers: ObjectHeaders, payload: PayloadResult, md5Hex: string): VersionRecord {
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
    etag: `"${md5Hex}"`,
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
  // Objects uploaded without a checksum get a CRC32 one, as S3 gives them a default checksum.
  const record = await conditionalWrite(ctx, bucket.bucket, key, () => writePayload(ctx, 'CRC32', (payload, md5Hex) => objectRecord(ctx.parts, bucket, key, headers, payload, md5Hex)));
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
