/**
 * CopyObject: the source version's bytes stream from a replica into a new version's write
 * quorum, with the source's metadata (COPY) or the request's (REPLACE). The source's full-object
 * checksum carries over when the bytes are the same; otherwise the replicas compute the one asked.
 */
import { checkCopySourceConditions } from '../conditions.ts';
import { checkObjectKey } from '../names.ts';
import { parseCopySource, parseMetadataDirective, parseStorageClass, readObjectHeaders } from '../object-headers.ts';
import { isS3Error, S3Error } from '../s3-error.ts';
import { copyObjectResultXml } from '../xml.ts';
import { NULL_VERSION, type VersionRecord } from '../../storage/records.ts';
import type { QuorumRead } from '../../storage/cluster.ts';
import { bucketOf, headerOf, keyOf, type RequestContext } from './context.ts';
import { findObject } from './lookup.ts';
import { conditionalWrite, newVersionId, requestedAlgorithm, versionHeaders } from './object-write.ts';
import { sendXml } from './respond.ts';

/** The version `x-amz-copy-source` names, after its conditions held. */
export async function readCopySource(ctx: RequestContext): Promise<QuorumRead<VersionRecord> & { record: VersionRecord }> {
  const source = parseCopySource(headerOf(ctx.req, 'x-amz-copy-source') ?? '');
  ctx.parts.buckets.require(source.bucket);
  const read = await findObject(ctx.parts, source.bucket, source.key, source.versionId ?? null, 'GET').catch((e: unknown) => {
    // A delete marker named by version id: 405 for a read, but 400 for a copy source, as S3 documents.
    if (isS3Error(e) && e.code === 'MethodNotAllowed') {
      throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
    }
    throw e;
  });
  checkCopySourceConditions(ctx.req.headers, read.record);
  return read;
}

export async function copyObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.parts.buckets.require(bucketOf(ctx));
  const key = keyOf(ctx);
  checkObjectKey(key);
  const storageClass = parseStorageClass(headerOf(ctx.req, 'x-amz-storage-class'));
  const directive = parseMetadataDirective(headerOf(ctx.req, 'x-amz-metadata-directive'));
  const { record: source, holders } = await readCopySource(ctx);
  if (source.size > ctx.parts.maxObjectBytes) {
    throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${ctx.parts.maxObjectBytes}`);
  }
  const algorithm = requestedAlgorithm(ctx);
  const sameObject = source.bucket === bucket.bucket && source.key === key;
  if (sameObject && directive === 'COPY' && storageClass === undefined && algorithm === undefined && bucket.versioning !== 'Enabled') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const headers = directive === 'REPLACE' ? readObjectHeaders(ctx.req.headers) : source.headers;
  const keep = source.checksum !== undefined && source.checksum.type === 'FULL_OBJECT' && (algorithm === undefined || algorithm === source.checksum.algorithm);
  const compute = keep ? undefined : (algorithm ?? source.checksum?.algorithm);
  const record = await conditionalWrite(ctx, bucket.bucket, key, () =>
    ctx.parts.cluster.write(
      ctx.parts.cluster.openData(source, holders),
      (digest) => {
        const seq = ctx.parts.clock.next();
        const checksum = keep ? source.checksum : compute !== undefined && digest.checksum !== undefined ? { algorithm: compute, type: 'FULL_OBJECT' as const, value: digest.checksum } : undefined;
        return {
          type: 'version' as const,
          bucket: bucket.bucket,
          key,
          versionId: newVersionId(bucket, seq),
          seq,
          kind: 'object' as const,
          lastModified: Date.now(),
          size: digest.size,
          etag: `"${digest.md5!}"`,
          headers,
          ...(checksum === undefined ? {} : { checksum }),
        };
      },
      compute === undefined ? { size: source.size } : { size: source.size, checksum: compute },
    ),
  );
  const { etag: _etag, ...headersOut } = versionHeaders(record);
  sendXml(ctx.req, ctx.res, copyObjectResultXml({ etag: record.etag, lastModified: record.lastModified, ...(record.checksum === undefined ? {} : { checksum: record.checksum }) }), 200, {
    ...headersOut,
    ...(source.versionId === NULL_VERSION ? {} : { 'x-amz-copy-source-version-id': source.versionId }),
  });
}
