/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts and
 * ListMultipartUploads. Parts are replicated like objects (quorum on disk). Completing asks every
 * node to build the object from its own part files, so the bytes do not cross the network again;
 * a node missing parts gets them copied first. ETags are S3's `md5-of-md5s-N`; checksums are
 * COMPOSITE (checksum of the parts' checksums, `-N`) or FULL_OBJECT (CRCs combined from the
 * parts' without reading the bytes again).
 */
import { createHash } from 'node:crypto';
import { newestEach, type ClusterMember } from '../../storage/cluster.ts';
import { compareKeys } from '../../storage/node/key-order.ts';
import { NULL_VERSION, recordIdentity, type PartRecord, type UploadRecord, type VersionRecord } from '../../storage/records.ts';
import { newUploadId } from '../../storage/seq-clock.ts';
import { checksumHeader, compositeChecksum, type ChecksumAlgorithm, type ChecksumType } from '../checksums.ts';
import { combineCrcs, isCombinable } from '../crc-combine.ts';
import { checkObjectKey } from '../names.ts';
import { parseCopySourceRange, parseStorageClass, readObjectHeaders } from '../object-headers.ts';
import { parsePartNumber } from '../range.ts';
import { MAX_COMPLETE_BODY_BYTES, parseCompleteMultipartUpload } from '../request-xml.ts';
import { S3Error } from '../s3-error.ts';
import { completeMultipartUploadXml, copyPartResultXml, initiateMultipartUploadXml, listMultipartUploadsXml, listPartsXml, objectLocation } from '../xml.ts';
import { bucketOf, headerOf, keyOf, type GatewayParts, type RequestContext } from './context.ts';
import { conditionalWrite, newVersionId, requestedAlgorithm, versionHeaders, writePayload } from './object-write.ts';
import { checkFinalChecksum } from './final-checksum.ts';
import { readCopySource } from './object-copy.ts';
import { queryInt } from './query-int.ts';
import { sendEmpty, sendXml } from './respond.ts';
import { readSmallBody } from './small-body.ts';

const MAX_PARTS = 10_000;

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

function uploadIdentity(bucket: string, uploadId: string): string {
  return recordIdentity({ type: 'upload', bucket, uploadId } as UploadRecord);
}

/** The open upload a request names (and its key must match). */
async function openUpload(ctx: RequestContext): Promise<UploadRecord> {
  const bucket = bucketOf(ctx);
  ctx.parts.buckets.require(bucket);
  const uploadId = ctx.route.query.get('uploadId') ?? '';
  if (uploadId === '' || uploadId.length > 200) throw noSuchUpload(uploadId);
  const { record } = await ctx.parts.cluster.readRecord<UploadRecord>(uploadIdentity(bucket, uploadId));
  if (record === undefined || record.state !== 'open' || record.key !== keyOf(ctx)) throw noSuchUpload(uploadId);
  return record;
}

/** The upload's parts as a read quorum knows them: newest record per part number, ascending. */
async function partsOf(parts: GatewayParts, upload: UploadRecord): Promise<PartRecord[]> {
  const answers = await parts.cluster.ask('read', parts.cluster.readQuorum, (m) => m.client.parts(upload.bucket, upload.uploadId));
  return newestEach(answers.map((a) => a.value), (p) => p.partNumber).sort((a, b) => a.partNumber - b.partNumber);
}

function defaultChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
}

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = ctx.parts.buckets.require(bucketOf(ctx));
  const key = keyOf(ctx);
  checkObjectKey(key);
  parseStorageClass(headerOf(ctx.req, 'x-amz-storage-class'));
  const headers = readObjectHeaders(ctx.req.headers);
  const algorithm = requestedAlgorithm(ctx);
  const rawType = headerOf(ctx.req, 'x-amz-checksum-type')?.toUpperCase();
  if (rawType !== undefined && rawType !== 'FULL_OBJECT' && rawType !== 'COMPOSITE') {
    throw new S3Error('InvalidRequest', `Value for x-amz-checksum-type header is invalid (received ${JSON.stringify(rawType)}, expected FULL_OBJECT or COMPOSITE).`);
  }
  if (rawType !== undefined && algorithm === undefined) {
    throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
  }
  const type = (rawType as ChecksumType | undefined) ?? (algorithm === undefined ? undefined : defaultChecksumType(algorithm));
  if (algorithm !== undefined && type === 'FULL_OBJECT' && !isCombinable(algorithm)) {
    throw new S3Error('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
  if (algorithm === 'CRC64NVME' && type === 'COMPOSITE') {
    throw new S3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  }
  const seq = ctx.parts.clock.next();
  const upload: UploadRecord = {
    type: 'upload',
    bucket: bucket.bucket,
    key,
    uploadId: newUploadId(seq),
    seq,
    state: 'open',
    initiated: Date.now(),
    headers,
    ...(algorithm === undefined ? {} : { checksum: { algorithm, type: type! } }),
  };
  await ctx.parts.cluster.commit(upload);
  sendXml(ctx.req, ctx.res, initiateMultipartUploadXml({ bucket: bucket.bucket, key, uploadId: upload.uploadId }), 200, {
    ...(upload.checksum === undefined ? {} : { 'x-amz-checksum-algorithm': upload.checksum.algorithm, 'x-amz-checksum-type': upload.checksum.type }),
  });
}

function partRecord(parts: GatewayParts, upload: UploadRecord, partNumber: number, size: number, md5Hex: string, checksum: string | undefined): PartRecord {
  return {
    type: 'part',
    bucket: upload.bucket,
    key: upload.key,
    uploadId: upload.uploadId,
    partNumber,
    seq: parts.clock.next(),
    size,
    etag: `"${md5Hex}"`,
    lastModified: Date.now(),
    ...(checksum === undefined ? {} : { checksum }),
  };
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(ctx.route.query.get('partNumber') ?? '');
  const upload = await openUpload(ctx);
  const algorithm = upload.checksum?.algorithm;
  const record = await writePayload(
    ctx,
    algorithm ?? 'CRC32',
    (payload, md5Hex) => partRecord(ctx.parts, upload, partNumber, payload.size, md5Hex, algorithm === undefined ? undefined : payload.checksum.value),
    algorithm,
  );
  ctx.res.writeHead(200, {
    etag: record.etag,
    'x-amz-server-side-encryption': 'AES256',
    ...(record.checksum === undefined || algorithm === undefined ? {} : { [checksumHeader(algorithm)]: record.checksum }),
    'content-length': 0,
  });
  ctx.res.end();
}

export async function uploadPartCopy(ctx: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(ctx.route.query.get('partNumber') ?? '');
  const upload = await openUpload(ctx);
  const { record: source, holders } = await readCopySource(ctx);
  const rawRange = headerOf(ctx.req, 'x-amz-copy-source-range');
  const range = rawRange === undefined ? (source.size === 0 ? undefined : { start: 0, end: source.size - 1 }) : parseCopySourceRange(rawRange, source.size);
  const size = range === undefined ? 0 : range.end - range.start + 1;
  if (size > ctx.parts.maxObjectBytes) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', { ProposedSize: size, MaxSizeAllowed: ctx.parts.maxObjectBytes });
  const algorithm = upload.checksum?.algorithm;
  const data = ctx.parts.cluster.openData(source, holders, range ?? { start: 0, end: -1 });
  const record = await ctx.parts.cluster.write(
    data,
    (digest) => partRecord(ctx.parts, upload, partNumber, digest.size, digest.md5!, digest.checksum),
    algorithm === undefined ? { size } : { size, checksum: algorithm },
  );
  sendXml(
    ctx.req,
    ctx.res,
    copyPartResultXml({ etag: record.etag, lastModified: record.lastModified, ...(algorithm !== undefined && record.checksum !== undefined ? { checksum: { algorithm, value: record.checksum } } : {}) }),
    200,
    source.versionId === NULL_VERSION ? {} : { 'x-amz-copy-source-version-id': source.versionId },
  );
}

/** S3's multipart ETag: MD5 of the parts' binary MD5s, then `-N`. */
function multipartEtag(parts: readonly PartRecord[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(Buffer.from(p.etag.replace(/"/g, ''), 'hex'));
  return `"${h.digest('hex')}-${parts.length}"`;
}

/** How long a completed upload waits for the nodes beyond its write quorum to build the object too. */
const ASSEMBLE_GRACE_MS = 2000;

/** Copies the listed parts to a node from any other node that serves them, so it can build the object. */
async function copyParts(parts: GatewayParts, to: ClusterMember, chosen: readonly PartRecord[], missing: readonly number[]): Promise<void> {
  for (const n of missing) {
    const part = chosen.find((p) => p.partNumber === n)!;
    let copied = false;
    for (const from of parts.cluster.members()) {
      if (from === to || copied) continue;
      try {
        const staged = await to.client.stage(await from.client.data(recordIdentity(part), undefined, { seq: part.seq }));
        await to.client.commit({ stageId: staged.stageId, record: part });
        copied = true;
      } catch {
        // That node lacks it too, or failed: try the next.
      }
    }
    if (!copied) throw new Error(`no node could serve part ${n}`);
  }
}

/**
 * Asks every node to build the object from its own part files (a node missing parts gets them
 * copied first). Resolves with the number of nodes that built it once every node answered, or once
 * a write quorum has and the others had a short grace: a hung node must not hold the answer up
 * (repair brings it the object later).
 */
async function assembleEverywhere(parts: GatewayParts, upload: UploadRecord, chosen: readonly PartRecord[], record: VersionRecord): Promise<number> {
  const request = { bucket: upload.bucket, uploadId: upload.uploadId, parts: chosen.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), record };
  const members = parts.cluster.members();
  const on = async (m: ClusterMember): Promise<boolean> => {
    const first = await m.client.assemble(request);
    if (first.ok) return true;
    await copyParts(parts, m, chosen, first.missing);
    return (await m.client.assemble(request)).ok;
  };
  return new Promise((resolve) => {
    let built = 0;
    let settled = 0;
    let grace: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(grace);
      resolve(built);
    };
    for (const m of members) {
      on(m)
        .then(
          (ok) => {
            if (ok) built += 1;
          },
          () => undefined,
        )
        .finally(() => {
          settled += 1;
          if (settled === members.length) done();
          else if (built >= parts.cluster.writeQuorum && grace === undefined) grace = setTimeout(done, ASSEMBLE_GRACE_MS);
        });
    }
  });
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = await openUpload(ctx);
  const bucket = ctx.parts.buckets.require(upload.bucket);
  // Checksum headers here describe the whole object, not this XML body: checked once it is known.
  const requested = parseCompleteMultipartUpload(await readSmallBody(ctx, MAX_COMPLETE_BODY_BYTES, { ignoreChecksumHeaders: true }));
  if (requested.length > MAX_PARTS) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const stored = new Map((await partsOf(ctx.parts, upload)).map((p) => [p.partNumber, p]));
  const chosen: PartRecord[] = [];
  for (const [i, want] of requested.entries()) {
    const part = stored.get(want.partNumber);
    const algorithm = upload.checksum?.algorithm;
    const sentChecksum = algorithm === undefined ? undefined : want.checksums[algorithm];
    if (part === undefined || part.etag !== want.etag || (sentChecksum !== undefined && part.checksum !== undefined && sentChecksum !== part.checksum)) {
      throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', {
        UploadId: upload.uploadId,
        PartNumber: want.partNumber,
        ETag: want.etag,
      });
    }
    if (i < requested.length - 1 && part.size < ctx.parts.minPartBytes) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        ProposedSize: part.size,
        MinSizeAllowed: ctx.parts.minPartBytes,
        PartNumber: part.partNumber,
        ETag: part.etag,
      });
    }
    chosen.push(part);
  }
  const size = chosen.reduce((n, p) => n + p.size, 0);
  if (size > 5 * 1024 ** 4) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  const c = upload.checksum;
  const partChecksums = chosen.map((p) => p.checksum);
  const haveAll = partChecksums.every((v): v is string => v !== undefined);
  const checksum =
    c === undefined || !haveAll
      ? undefined
      : c.type === 'COMPOSITE'
        ? { algorithm: c.algorithm, type: c.type, value: compositeChecksum(c.algorithm, partChecksums) }
        : { algorithm: c.algorithm, type: c.type, value: combineCrcs(c.algorithm, chosen.map((p) => ({ checksum: p.checksum!, size: p.size }))) };
  checkFinalChecksum(ctx.req.headers, c, checksum?.value);
  const record = await conditionalWrite(ctx, bucket.bucket, upload.key, async () => {
    const seq = ctx.parts.clock.next();
    const made: VersionRecord = {
      type: 'version',
      bucket: bucket.bucket,
      key: upload.key,
      versionId: newVersionId(bucket, seq),
      seq,
      kind: 'object',
      lastModified: Date.now(),
      size,
      etag: multipartEtag(chosen),
      headers: upload.headers,
      ...(checksum === undefined ? {} : { checksum }),
      parts: chosen.map((p) => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, ...(p.checksum === undefined ? {} : { checksum: p.checksum }) })),
    };
    const assembled = await assembleEverywhere(ctx.parts, upload, chosen, made);
    if (assembled < ctx.parts.cluster.writeQuorum) {
      throw new S3Error('ServiceUnavailable', `Please reduce your request rate. (complete: ${assembled} of the ${ctx.parts.cluster.writeQuorum} storage replicas needed built the object)`);
    }
    return made;
  });
  await ctx.parts.cluster.commit({ ...upload, seq: ctx.parts.clock.next(), state: 'completed' });
  const host = headerOf(ctx.req, 'host') ?? '127.0.0.1';
  const { etag: _etag, ...headers } = versionHeaders(record);
  sendXml(
    ctx.req,
    ctx.res,
    completeMultipartUploadXml({
      location: objectLocation({ protocol: 'http', host, bucket: bucket.bucket, key: upload.key, style: ctx.route.style }),
      bucket: bucket.bucket,
      key: upload.key,
      etag: record.etag,
      ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
    }),
    200,
    headers,
  );
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = await openUpload(ctx);
  await ctx.parts.cluster.commit({ ...upload, seq: ctx.parts.clock.next(), state: 'aborted' });
  sendEmpty(ctx.req, ctx.res, 204);
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const upload = await openUpload(ctx);
  const marker = queryInt(ctx.route.query, 'part-number-marker', 0, MAX_PARTS);
  const maxParts = queryInt(ctx.route.query, 'max-parts', 1000, 1000);
  const all = (await partsOf(ctx.parts, upload)).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const isTruncated = all.length > page.length;
  sendXml(
    ctx.req,
    ctx.res,
    listPartsXml({
      bucket: upload.bucket,
      key: upload.key,
      uploadId: upload.uploadId,
      initiator: ctx.parts.owner,
      owner: ctx.parts.owner,
      partNumberMarker: marker,
      ...(isTruncated ? { nextPartNumberMarker: page[page.length - 1]!.partNumber } : {}),
      maxParts,
      isTruncated,
      parts: page.map((p) => ({ partNumber: p.partNumber, lastModified: p.lastModified, etag: p.etag, size: p.size, ...(p.checksum === undefined ? {} : { checksum: p.checksum }) })),
      ...(upload.checksum === undefined ? {} : { checksumAlgorithm: upload.checksum.algorithm, checksumType: upload.checksum.type }),
    }),
  );
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  ctx.parts.buckets.require(bucket);
  const q = ctx.route.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? undefined;
  const uploadIdMarker = q.get('upload-id-marker') ?? undefined;
  const maxUploads = queryInt(q, 'max-uploads', 1000, 1000);
  const answers = await ctx.parts.cluster.ask('read', ctx.parts.cluster.readQuorum, (m) => m.client.uploads(bucket));
  const open = newestEach(answers.map((a) => a.value), (u) => u.uploadId)
    .filter((u) => u.state === 'open' && u.key.startsWith(prefix))
    .filter((u) => keyMarker === undefined || compareKeys(u.key, keyMarker) > 0 || (u.key === keyMarker && uploadIdMarker !== undefined && u.uploadId > uploadIdMarker))
    // A key marker that is a common prefix (the last page ended on it) resumes after the whole group.
    .filter((u) => keyMarker === undefined || delimiter === '' || !keyMarker.endsWith(delimiter) || !u.key.startsWith(keyMarker))
    .sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  const uploads: typeof open = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  /** Where the next page starts: after this upload, or after this whole group. */
  let last: { key: string; uploadId?: string } | undefined;
  for (const u of open) {
    const at = delimiter === '' ? -1 : u.key.indexOf(delimiter, prefix.length);
    const group = at === -1 ? undefined : u.key.slice(0, at + delimiter.length);
    if (group !== undefined && commonPrefixes[commonPrefixes.length - 1] === group) continue;
    if (uploads.length + commonPrefixes.length >= maxUploads) {
      isTruncated = true;
      break;
    }
    if (group !== undefined) {
      commonPrefixes.push(group);
      last = { key: group };
    } else {
      uploads.push(u);
      last = { key: u.key, uploadId: u.uploadId };
    }
  }
  sendXml(
    ctx.req,
    ctx.res,
    listMultipartUploadsXml({
      bucket,
      ...(keyMarker === undefined ? {} : { keyMarker }),
      ...(uploadIdMarker === undefined ? {} : { uploadIdMarker }),
      ...(isTruncated && last !== undefined ? { nextKeyMarker: last.key, ...(last.uploadId === undefined ? {} : { nextUploadIdMarker: last.uploadId }) } : {}),
      ...(prefix === '' ? {} : { prefix }),
      ...(delimiter === '' ? {} : { delimiter }),
      maxUploads,
      isTruncated,
      uploads: uploads.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated, ...(u.checksum === undefined ? {} : { checksumAlgorithm: u.checksum.algorithm, checksumType: u.checksum.type }) })),
      commonPrefixes,
      owner: ctx.parts.owner,
    }),
  );
}
