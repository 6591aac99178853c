/**
 * ListObjects (v1), ListObjectsV2 and ListObjectVersions over the merged listing of a read quorum:
 * prefix, delimiter and common prefixes (a whole group is skipped in one step), max-keys,
 * markers, continuation tokens, start-after, encoding-type=url.
 */
import { mergedList, type MergedKey } from '../../storage/merged-list.ts';
import type { VersionRecord } from '../../storage/records.ts';
import { S3Error } from '../s3-error.ts';
import { listObjectsV1Xml, listObjectsV2Xml, listVersionsXml, type ObjectEntry, type VersionEntry } from '../xml.ts';
import { bucketOf, type GatewayParts, type RequestContext } from './context.ts';
import { queryInt } from './query-int.ts';
import { sendXml } from './respond.ts';

/** Sorts after every key that starts with the prefix it follows. */
const AFTER_ALL = '\u{10FFFF}';

function maxKeysOf(query: URLSearchParams): number {
  return queryInt(query, 'max-keys', 1000, 1000);
}

function encodingOf(query: URLSearchParams): 'url' | undefined {
  const raw = query.get('encoding-type');
  if (raw === null) return undefined;
  if (raw.toLowerCase() !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: raw });
  return 'url';
}

/** One item of a listing: a key's records, or a common prefix standing for a group of keys. */
type Item = { readonly kind: 'key'; readonly entry: MergedKey } | { readonly kind: 'prefix'; readonly prefix: string };

/** Whether a key counts in the listing (has a current object, or for versions any version at all). */
type Live = (entry: MergedKey) => Promise<boolean>;

/**
 * Keys after `after` under `prefix`, with delimiter grouping: a group is yielded once, at its first
 * key that is `live` (a group of deleted keys is no common prefix, as in S3), then the listing
 * resumes after the whole group.
 */
async function* items(parts: GatewayParts, bucket: string, prefix: string, delimiter: string, after: string | undefined, all: boolean, live: Live): AsyncGenerator<Item> {
  let from = after;
  restart: for (;;) {
    for await (const entry of mergedList(parts.cluster, { bucket, prefix, ...(from === undefined ? {} : { after: from }), all })) {
      if (delimiter !== '') {
        const at = entry.key.indexOf(delimiter, prefix.length);
        if (at !== -1) {
          if (!(await live(entry))) continue;
          const group = entry.key.slice(0, at + delimiter.length);
          yield { kind: 'prefix', prefix: group };
          from = group + AFTER_ALL;
          continue restart;
        }
      }
      yield { kind: 'key', entry };
    }
    return;
  }
}

/** The current version among a key's merged records (tombstones skipped), reading all versions when the newest is a purge. */
async function currentOf(parts: GatewayParts, bucket: string, entry: MergedKey): Promise<VersionRecord | undefined> {
  const top = entry.records[0];
  if (top === undefined) return undefined;
  if (top.kind !== 'tombstone') return top;
  return (await parts.cluster.readCurrent(bucket, entry.key)).record;
}

function objectEntry(r: VersionRecord): ObjectEntry {
  return {
    key: r.key,
    lastModified: r.lastModified,
    etag: r.etag,
    size: r.size,
    ...(r.checksum === undefined ? {} : { checksumAlgorithm: r.checksum.algorithm, checksumType: r.checksum.type }),
  };
}

interface Page {
  readonly contents: ObjectEntry[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** Where the next page starts (exclusive): the last key, or a group's end. */
  readonly resumeAfter: string | undefined;
  readonly lastItem: string | undefined;
}

async function listCurrent(parts: GatewayParts, bucket: string, prefix: string, delimiter: string, after: string | undefined, maxKeys: number): Promise<Page> {
  const contents: ObjectEntry[] = [];
  const commonPrefixes: string[] = [];
  let resumeAfter: string | undefined;
  let lastItem: string | undefined;
  let isTruncated = false;
  if (maxKeys === 0) return { contents, commonPrefixes, isTruncated: false, resumeAfter, lastItem };
  const live: Live = async (entry) => (await currentOf(parts, bucket, entry))?.kind === 'object';
  for await (const item of items(parts, bucket, prefix, delimiter, after, false, live)) {
    const current = item.kind === 'key' ? await currentOf(parts, bucket, item.entry) : undefined;
    if (item.kind === 'key' && current?.kind !== 'object') continue;
    if (contents.length + commonPrefixes.length === maxKeys) {
      isTruncated = true;
      break;
    }
    if (item.kind === 'prefix') {
      commonPrefixes.push(item.prefix);
      resumeAfter = item.prefix + AFTER_ALL;
      lastItem = item.prefix;
    } else {
      contents.push(objectEntry(current!));
      resumeAfter = item.entry.key;
      lastItem = item.entry.key;
    }
  }
  return { contents, commonPrefixes, isTruncated, resumeAfter, lastItem };
}

/** A marker that is a common prefix resumes after the whole group, as S3 does. */
function resumeAfterMarker(marker: string | undefined, delimiter: string): string | undefined {
  return marker !== undefined && delimiter !== '' && marker.endsWith(delimiter) ? marker + AFTER_ALL : marker;
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // falls through to the error
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
}

/** The parameters every listing shares, read and checked once; the bucket must exist. */
interface ListingParams {
  readonly bucket: string;
  readonly q: URLSearchParams;
  readonly prefix: string;
  readonly delimiter: string;
  readonly maxKeys: number;
  readonly encodingType: 'url' | undefined;
}

function listingParams(ctx: RequestContext): ListingParams {
  const bucket = bucketOf(ctx);
  ctx.parts.buckets.require(bucket);
  const q = ctx.route.query;
  return { bucket, q, prefix: q.get('prefix') ?? '', delimiter: q.get('delimiter') ?? '', maxKeys: maxKeysOf(q), encodingType: encodingOf(q) };
}

/** The fields ListObjects v1 and v2 answers share. */
function pageFields(p: ListingParams, page: Page) {
  return {
    bucket: p.bucket,
    prefix: p.prefix,
    ...(p.delimiter === '' ? {} : { delimiter: p.delimiter }),
    maxKeys: p.maxKeys,
    isTruncated: page.isTruncated,
    ...(p.encodingType === undefined ? {} : { encodingType: p.encodingType }),
    contents: page.contents,
    commonPrefixes: page.commonPrefixes,
  };
}

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const p = listingParams(ctx);
  const token = p.q.get('continuation-token');
  const startAfter = p.q.get('start-after') ?? undefined;
  if (token === '') throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: '' });
  const after = token !== null ? decodeToken(token) : startAfter;
  const page = await listCurrent(ctx.parts, p.bucket, p.prefix, p.delimiter, after, p.maxKeys);
  const body = listObjectsV2Xml({
    ...pageFields(p, page),
    ...(token === null ? {} : { continuationToken: token }),
    ...(page.isTruncated && page.resumeAfter !== undefined ? { nextContinuationToken: encodeToken(page.resumeAfter) } : {}),
    ...(startAfter === undefined ? {} : { startAfter }),
    ...(p.q.get('fetch-owner') === 'true' ? { owner: ctx.parts.owner } : {}),
  });
  sendXml(ctx.req, ctx.res, body);
}

export async function listObjectsV1(ctx: RequestContext): Promise<void> {
  const p = listingParams(ctx);
  const marker = p.q.get('marker') ?? undefined;
  const page = await listCurrent(ctx.parts, p.bucket, p.prefix, p.delimiter, resumeAfterMarker(marker, p.delimiter), p.maxKeys);
  const body = listObjectsV1Xml({
    ...pageFields(p, page),
    ...(marker === undefined ? {} : { marker }),
    ...(page.isTruncated && p.delimiter !== '' && page.lastItem !== undefined ? { nextMarker: page.lastItem } : {}),
    owner: ctx.parts.owner,
  });
  sendXml(ctx.req, ctx.res, body);
}

function versionEntry(r: VersionRecord, isLatest: boolean): VersionEntry {
  if (r.kind === 'marker') return { kind: 'deleteMarker', key: r.key, versionId: r.versionId, isLatest, lastModified: r.lastModified };
  return {
    kind: 'version',
    key: r.key,
    versionId: r.versionId,
    isLatest,
    lastModified: r.lastModified,
    etag: r.etag,
    size: r.size,
    ...(r.checksum === undefined ? {} : { checksumAlgorithm: r.checksum.algorithm, checksumType: r.checksum.type }),
  };
}

export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const { bucket, q, prefix, delimiter, maxKeys, encodingType } = listingParams(ctx);
  const keyMarker = q.get('key-marker') ?? undefined;
  const versionIdMarker = q.get('version-id-marker') ?? undefined;
  if (versionIdMarker !== undefined && keyMarker === undefined) {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
  }
  const entries: VersionEntry[] = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  let nextKeyMarker: string | undefined;
  let nextVersionIdMarker: string | undefined;
  const full = (): boolean => entries.length + commonPrefixes.length >= maxKeys;

  // The rest of the marker key's versions first, when the last page ended inside it.
  const pending: MergedKey[] = [];
  if (keyMarker !== undefined && versionIdMarker !== undefined) {
    const versions = await ctx.parts.cluster.readVersions(bucket, keyMarker);
    const at = versions.findIndex((v) => v.versionId === versionIdMarker);
    if (at !== -1 && at + 1 < versions.length) pending.push({ key: keyMarker, records: versions.slice(at + 1) });
  }
  const emit = (entry: MergedKey, skipLatestFlag: boolean): boolean => {
    const live = entry.records.filter((r) => r.kind !== 'tombstone');
    for (const [i, r] of live.entries()) {
      if (full()) {
        isTruncated = true;
        return false;
      }
      entries.push(versionEntry(r, i === 0 && !skipLatestFlag));
      nextKeyMarker = r.key;
      nextVersionIdMarker = r.versionId;
    }
    return true;
  };
  let going = true;
  for (const p of pending) going = emit(p, true);
  if (going && maxKeys > 0) {
    const live: Live = async (entry) => entry.records.some((r) => r.kind !== 'tombstone');
    for await (const item of items(ctx.parts, bucket, prefix, delimiter, resumeAfterMarker(keyMarker, delimiter), true, live)) {
      if (item.kind === 'prefix') {
        if (full()) {
          isTruncated = true;
          break;
        }
        commonPrefixes.push(item.prefix);
        nextKeyMarker = item.prefix;
        nextVersionIdMarker = undefined;
        continue;
      }
      if (item.entry.records.every((r) => r.kind === 'tombstone')) continue;
      if (!emit(item.entry, false)) break;
    }
  }
  sendXml(
    ctx.req,
    ctx.res,
    listVersionsXml({
      bucket,
      prefix,
      ...(keyMarker === undefined ? {} : { keyMarker }),
      ...(versionIdMarker === undefined ? {} : { versionIdMarker }),
      ...(isTruncated && nextKeyMarker !== undefined ? { nextKeyMarker } : {}),
      ...(isTruncated && nextVersionIdMarker !== undefined ? { nextVersionIdMarker } : {}),
      ...(delimiter === '' ? {} : { delimiter }),
      maxKeys,
      isTruncated,
      ...(encodingType === undefined ? {} : { encodingType }),
      entries,
      commonPrefixes,
      owner: ctx.parts.owner,
    }),
  );
}
