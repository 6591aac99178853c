/**
 * GetObjectAttributes: ETag, checksum, parts, storage class and size of a version, without its bytes.
 */
import { httpDate, parseObjectAttributes } from '../object-headers.ts';
import { NULL_VERSION } from '../../storage/records.ts';
import { objectAttributesXml } from '../xml.ts';
import { bucketOf, keyOf, type RequestContext } from './context.ts';
import { findObject } from './lookup.ts';
import { sendXml } from './respond.ts';

export async function getObjectAttributes(ctx: RequestContext): Promise<void> {
  const bucket = ctx.parts.buckets.require(bucketOf(ctx));
  const attributes = parseObjectAttributes(ctx.req.headers['x-amz-object-attributes']);
  const { record } = await findObject(ctx.parts, bucket.bucket, keyOf(ctx), ctx.route.query.get('versionId'), 'GET');
  const q = ctx.route.query;
  const marker = Number(q.get('part-number-marker') ?? 0) || 0;
  const maxParts = Math.min(Number(q.get('max-parts') ?? 1000) || 1000, 1000);
  const all = (record.parts ?? []).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  sendXml(
    ctx.req,
    ctx.res,
    objectAttributesXml({
      attributes,
      etag: record.etag,
      size: record.size,
      ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
      ...(record.parts === undefined
        ? {}
        : {
            parts: {
              totalPartsCount: record.parts.length,
              partNumberMarker: marker,
              ...(all.length > page.length ? { nextPartNumberMarker: page[page.length - 1]!.partNumber } : {}),
              maxParts,
              isTruncated: all.length > page.length,
              parts: page.map((p) => ({ partNumber: p.partNumber, size: p.size, ...(p.checksum === undefined ? {} : { checksum: p.checksum }) })),
            },
          }),
    }),
    200,
    {
      'last-modified': httpDate(record.lastModified),
      ...(record.versionId === NULL_VERSION ? {} : { 'x-amz-version-id': record.versionId }),
    },
  );
}
