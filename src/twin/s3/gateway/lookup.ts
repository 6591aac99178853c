/**
 * Finding the version a request means: the current one, or the one named by `versionId`, with S3's
 * answers for a missing key, a missing version and a delete marker.
 */
import type { QuorumRead } from '../../storage/cluster.ts';
import { NULL_VERSION, recordIdentity, type VersionRecord } from '../../storage/records.ts';
import { httpDate } from '../object-headers.ts';
import { S3Error } from '../s3-error.ts';
import type { GatewayParts } from './context.ts';

export function versionIdentity(bucket: string, key: string, versionId: string): string {
  return recordIdentity({ type: 'version', bucket, key, versionId } as VersionRecord);
}

export function noSuchKey(key: string, marker?: VersionRecord): S3Error {
  return new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key }, marker === undefined ? {} : { headers: markerHeaders(marker) });
}

function markerHeaders(marker: VersionRecord): Record<string, string> {
  return { 'x-amz-delete-marker': 'true', ...(marker.versionId === NULL_VERSION ? {} : { 'x-amz-version-id': marker.versionId }) };
}

/** A version id S3 would accept as well-formed: ours, or `null`. */
export function checkVersionId(versionId: string): void {
  if (versionId !== NULL_VERSION && !/^[0-9a-f]{18}[A-Za-z0-9_-]{1,64}$/.test(versionId)) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
}

/**
 * The object version to read: current (a delete marker there is NoSuchKey with the marker's
 * headers) or by id (NoSuchVersion if absent; a delete marker is 405, as S3 answers). With
 * `smallBytes`, a current version's bytes come along when they are small (see readCurrentWithBytes).
 */
export async function findObject(
  parts: GatewayParts,
  bucket: string,
  key: string,
  versionId: string | null,
  method: string,
  opts: { smallBytes?: boolean } = {},
): Promise<QuorumRead<VersionRecord> & { record: VersionRecord; bytes?: Buffer }> {
  if (versionId === null) {
    const read = opts.smallBytes === true ? await parts.cluster.readCurrentWithBytes(bucket, key) : await parts.cluster.readCurrent(bucket, key);
    if (read.record === undefined) throw noSuchKey(key);
    if (read.record.kind === 'marker') throw noSuchKey(key, read.record);
    return read as QuorumRead<VersionRecord> & { record: VersionRecord; bytes?: Buffer };
  }
  checkVersionId(versionId);
  const read = await parts.cluster.readRecord<VersionRecord>(versionIdentity(bucket, key, versionId));
  if (read.record === undefined || read.record.kind === 'tombstone') {
    throw new S3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
  }
  if (read.record.kind === 'marker') {
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'DeleteMarker' }, {
      headers: { ...markerHeaders(read.record), allow: 'DELETE', 'last-modified': httpDate(read.record.lastModified) },
    });
  }
  return read as QuorumRead<VersionRecord> & { record: VersionRecord };
}
