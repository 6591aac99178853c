/**
 * DeleteObject and DeleteObjects as S3 versioning defines them: without a version id, a versioned
 * bucket gets a delete marker (a `null` one when suspended) and an unversioned bucket loses the
 * object; with one, that version is purged (a tombstone keeps a returning replica from bringing
 * it back). Deleting what does not exist succeeds, as in S3.
 */
import { NULL_VERSION, type VersionRecord } from '../../storage/records.ts';
import { versionIdFor } from '../../storage/seq-clock.ts';
import { checkObjectKey } from '../names.ts';
import { MAX_DELETE_BODY_BYTES, parseDeleteRequest } from '../request-xml.ts';
import { isS3Error, S3Error } from '../s3-error.ts';
import { deleteResultXml, type DeleteResultEntry } from '../xml.ts';
import { bucketOf, keyOf, type GatewayParts, type RequestContext } from './context.ts';
import { checkVersionId, versionIdentity } from './lookup.ts';
import { sendEmpty, sendXml } from './respond.ts';
import { readSmallBody } from './small-body.ts';

export interface DeleteOutcome {
  readonly versionId?: string;
  readonly deleteMarker: boolean;
}

function emptyVersion(parts: GatewayParts, bucket: string, key: string, versionId: string, kind: 'marker' | 'tombstone'): VersionRecord {
  return { type: 'version', bucket, key, versionId, seq: parts.clock.next(), kind, lastModified: Date.now(), size: 0, etag: '', headers: { userMetadata: {} } };
}

/** One key's delete, as both operations need it. */
export async function deleteOne(parts: GatewayParts, bucketName: string, key: string, versionId: string | undefined): Promise<DeleteOutcome> {
  const bucket = parts.buckets.require(bucketName);
  if (versionId !== undefined) {
    checkVersionId(versionId);
    const read = await parts.cluster.readRecord<VersionRecord>(versionIdentity(bucketName, key, versionId));
    // The tombstone is written even when a quorum does not know the version: a replica that
    // holds it alone (a write that reached too few nodes) must not bring it back through repair.
    await parts.cluster.commit(emptyVersion(parts, bucketName, key, versionId, 'tombstone'));
    return { versionId, deleteMarker: read.record?.kind === 'marker' };
  }
  if (bucket.versioning === undefined) {
    await parts.cluster.commit(emptyVersion(parts, bucketName, key, NULL_VERSION, 'tombstone'));
    return { deleteMarker: false };
  }
  const marker = emptyVersion(parts, bucketName, key, NULL_VERSION, 'marker');
  const record = bucket.versioning === 'Enabled' ? { ...marker, versionId: versionIdFor(marker.seq) } : marker;
  await parts.cluster.commit(record);
  return { versionId: record.versionId, deleteMarker: true };
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const key = keyOf(ctx);
  const outcome = await deleteOne(ctx.parts, bucketOf(ctx), key, ctx.route.query.get('versionId') ?? undefined);
  sendEmpty(ctx.req, ctx.res, 204, {
    ...(outcome.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
    ...(outcome.versionId === undefined ? {} : { 'x-amz-version-id': outcome.versionId }),
  });
}

const PARALLEL_DELETES = 8;

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  ctx.parts.buckets.require(bucket);
  const request = parseDeleteRequest(await readSmallBody(ctx, MAX_DELETE_BODY_BYTES));
  const entries: DeleteResultEntry[] = new Array(request.objects.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < request.objects.length; i = next++) {
      const o = request.objects[i]!;
      try {
        checkObjectKey(o.key);
        const outcome = await deleteOne(ctx.parts, bucket, o.key, o.versionId);
        entries[i] = {
          kind: 'deleted',
          key: o.key,
          ...(o.versionId === undefined ? {} : { versionId: o.versionId }),
          ...(outcome.deleteMarker ? { deleteMarker: true } : {}),
          ...(outcome.deleteMarker && o.versionId === undefined && outcome.versionId !== undefined ? { deleteMarkerVersionId: outcome.versionId } : {}),
          ...(outcome.deleteMarker && o.versionId !== undefined ? { deleteMarkerVersionId: o.versionId } : {}),
        };
      } catch (e) {
        const error = isS3Error(e) ? e : new S3Error('InternalError', 'We encountered an internal error. Please try again.');
        entries[i] = { kind: 'error', key: o.key, ...(o.versionId === undefined ? {} : { versionId: o.versionId }), code: error.code, message: error.message };
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_DELETES }, worker));
  sendXml(ctx.req, ctx.res, deleteResultXml({ entries, quiet: request.quiet }));
}
