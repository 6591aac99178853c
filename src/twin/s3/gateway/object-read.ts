/**
 * GetObject and HeadObject: conditional headers, one byte range or one part, response-* header
 * overrides, checksums on request; bytes stream from a replica that verifies every block it sends,
 * and move on to another replica if one fails mid-way. A small current version's bytes come with
 * its record from the quorum read, verified by the node that sent them.
 */
import { pipeline } from 'node:stream/promises';
import { checkReadConditions, conditionError } from '../conditions.ts';
import { httpDate, writeObjectHeaders } from '../object-headers.ts';
import { contentRange, selectRead } from '../range.ts';
import { bucketOf, headerOf, keyOf, type RequestContext } from './context.ts';
import { findObject } from './lookup.ts';

const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

export async function getObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.parts.buckets.require(bucketOf(ctx));
  const key = keyOf(ctx);
  const { record, holders, bytes } = await findObject(ctx.parts, bucket.bucket, key, ctx.route.query.get('versionId'), ctx.req.method ?? 'GET', { smallBytes: ctx.req.method === 'GET' });
  const failed = conditionError(checkReadConditions(ctx.req.headers, record));
  if (failed !== undefined) {
    if (failed.code === 'NotModified') {
      // A 304 carries the validators, as S3 sends them.
      ctx.res.writeHead(304, { etag: record.etag, 'last-modified': httpDate(record.lastModified) });
      ctx.res.end();
      return;
    }
    throw failed;
  }
  const selection = selectRead({ range: headerOf(ctx.req, 'range'), partNumber: ctx.route.query.get('partNumber') }, record);
  const partial = selection.partNumber !== undefined || (selection.range !== undefined && headerOf(ctx.req, 'range') !== undefined);
  const headers = writeObjectHeaders(record, {
    checksumMode: headerOf(ctx.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && (selection.range === undefined || selection.partNumber !== undefined),
    ...(selection.partNumber === undefined ? {} : { partNumber: selection.partNumber }),
    versioningConfigured: bucket.versioning !== undefined,
  });
  for (const [param, header] of Object.entries(OVERRIDES)) {
    const v = ctx.route.query.get(param);
    if (v !== null) headers[header] = v;
  }
  const range = selection.range;
  const length = range === undefined ? record.size : range.end - range.start + 1;
  ctx.res.writeHead(partial ? 206 : 200, {
    ...headers,
    'content-length': String(length),
    ...(partial && range !== undefined ? { 'content-range': contentRange(range, record.size) } : {}),
  });
  if (ctx.req.method === 'HEAD' || length === 0) {
    ctx.res.end();
    return;
  }
  if (bytes !== undefined) {
    ctx.res.end(range === undefined ? bytes : bytes.subarray(range.start, range.end + 1));
    return;
  }
  const data = ctx.parts.cluster.openData(record, holders, range ?? { start: 0, end: record.size - 1 });
  await pipeline(data, ctx.res);
}
