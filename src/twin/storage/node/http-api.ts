/**
 * The storage node's HTTP API (see protocol.ts): bearer-token check, routing, and each route as a
 * thin shell over the replica store and its index. Bad requests get a coded 4xx and change
 * nothing; the process keeps serving whatever a client sends.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../../s3/checksums.ts';
import { storageError } from '../errors.ts';
import { recordIdentity, type PartRecord, type VersionRecord } from '../records.ts';
import { asCoded, countParam, readJson, requiredParam, sendError, sendJson, sendLines, sendRecordWithBytes } from './http-io.ts';
import { STAGE_ID_PATTERN } from './layout.ts';
import type { NodeHealth, StageResult } from './protocol.ts';
import { invalid, isObject } from './record-check.ts';
import { commitPut, receivePut } from './put.ts';
import type { LogFn } from './recover.ts';
import type { Scrubber } from './scrubber.ts';
import { INLINE_MAX_BYTES, type ReplicaStore } from './store.ts';
import { BATCH_BLOCKS, DamagedReplicaError, readVerifiedBlocks } from './verified-read.ts';

/** Records or entries per /list or /inventory page when no limit is given, and the most allowed. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

export interface ApiContext {
  readonly store: ReplicaStore;
  readonly scrubber: Scrubber;
  readonly zone: string;
  readonly token: string;
  readonly log: LogFn;
  /** True once a stop began: new requests get 503. */
  readonly stopping: () => boolean;
}

type Handler = (ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams) => Promise<void> | void;

const ROUTES: Readonly<Record<string, Handler>> = {
  'GET /health': health,
  'POST /stage': stage,
  'POST /commit': async (ctx, req, res) => sendJson(res, 200, await ctx.store.commit(await readJson(req))),
  'POST /abort': abort,
  'POST /put': put,
  'GET /record': (ctx, _req, res, q) => {
    const e = ctx.store.index.get(requiredParam(q, 'id'));
    if (e === undefined) throw notFound(`no record ${JSON.stringify(q.get('id'))}`);
    sendJson(res, 200, e.meta.record);
  },
  'GET /current': (ctx, _req, res, q) => {
    const r = ctx.store.index.current(requiredParam(q, 'bucket'), requiredParam(q, 'key'));
    if (r === undefined) throw notFound('no version of that key');
    const withBytes = q.get('bytes');
    if (withBytes === null) return sendJson(res, 200, r);
    if (withBytes !== 'small') throw invalid('query parameter bytes', withBytes, `small (the record's bytes too, when it has at most ${INLINE_MAX_BYTES})`);
    const small = r.kind === 'object' ? ctx.store.readSmall(recordIdentity(r)) : undefined;
    sendRecordWithBytes(res, r, typeof small === 'object' && small.entry.meta.record.seq === r.seq ? small.data : undefined);
  },
  'GET /versions': (ctx, _req, res, q) => sendJson(res, 200, ctx.store.index.versions(requiredParam(q, 'bucket'), requiredParam(q, 'key'))),
  'GET /data': data,
  'GET /list': (ctx, _req, res, q) => {
    const all = q.get('all');
    if (all !== null && all !== '0' && all !== '1' && all !== '') throw invalid('query parameter all', all, '0 or 1');
    const page = ctx.store.index.list({
      bucket: requiredParam(q, 'bucket'),
      prefix: q.get('prefix') ?? '',
      ...(q.has('after') ? { after: q.get('after')! } : {}),
      limit: countParam(q, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE,
      all: all === '1',
    });
    sendLines(res, page.next === undefined ? page.records : [...page.records, { next: page.next }]);
  },
  'GET /buckets': (ctx, _req, res) => sendJson(res, 200, ctx.store.index.buckets()),
  'GET /uploads': (ctx, _req, res, q) => sendJson(res, 200, ctx.store.index.uploads(requiredParam(q, 'bucket'))),
  'GET /parts': (ctx, _req, res, q) => sendJson(res, 200, ctx.store.index.parts(requiredParam(q, 'bucket'), requiredParam(q, 'uploadId'))),
  'POST /assemble': async (ctx, req, res) => sendJson(res, 200, await ctx.store.assemble(await readJson(req))),
  'GET /inventory': (ctx, _req, res, q) => {
    const page = ctx.store.index.inventory(q.get('after') ?? undefined, countParam(q, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE);
    sendLines(res, page.next === undefined ? page.entries : [...page.entries, { next: page.next }]);
  },
  'GET /digest': (ctx, _req, res, q) => sendJson(res, 200, { ranges: ctx.store.index.digest(countParam(q, 'buckets', 1, 65536) ?? 256) }),
};

/** The request listener of a node's HTTP server. */
export function createRequestHandler(ctx: ApiContext): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const expected = Buffer.from(`Bearer ${ctx.token}`);
  return (req, res) => {
    const url = req.url ?? '/';
    const qAt = url.indexOf('?');
    const pathname = qAt < 0 ? url : url.slice(0, qAt);
    const q = new URLSearchParams(qAt < 0 ? '' : url.slice(qAt + 1));
    const fail = (err: unknown): void => {
      const coded = asCoded(err);
      if (coded.code === 'HASTACK_STORAGE_IO_FAILED') ctx.log('request-failed', { route: pathname, error: coded.message });
      sendError(req, res, coded);
    };
    try {
      if (!tokenMatches(req.headers.authorization, expected)) {
        throw storageError('HASTACK_STORAGE_UNAUTHORIZED', 'the authorization header is missing or carries a wrong token; expected "Bearer <token from the token file>"');
      }
      if (ctx.stopping()) throw storageError('HASTACK_STORAGE_SHUTTING_DOWN', `the storage node of zone ${ctx.zone} is stopping`);
      const handler = ROUTES[`${req.method ?? ''} ${pathname}`];
      if (handler === undefined) throw storageError('HASTACK_STORAGE_UNKNOWN_ROUTE', `${req.method ?? ''} ${pathname} is not a storage node route`);
      const r = handler(ctx, req, res, q);
      if (r !== undefined) r.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** Constant-time for a header of the right length (the token's length is no secret: every token has the same). */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined || header.length !== expected.length) return false;
  const got = Buffer.from(header, 'latin1');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function notFound(message: string) {
  return storageError('HASTACK_STORAGE_NOT_FOUND', message);
}

function health(ctx: ApiContext, _req: http.IncomingMessage, res: http.ServerResponse): void {
  const body: NodeHealth = {
    zone: ctx.zone,
    pid: process.pid,
    dataDir: ctx.store.dataDir,
    records: ctx.store.index.size,
    bytes: ctx.store.index.bytes,
    quarantined: ctx.store.quarantined,
    scrub: ctx.scrubber.status,
    journal: ctx.store.journal,
  };
  sendJson(res, 200, body);
}

async function stage(ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams): Promise<void> {
  const checksum = checksumParam(q);
  let staged;
  try {
    staged = await ctx.store.staging.receive(req as AsyncIterable<Buffer>, checksum === undefined ? {} : { checksum });
  } catch (err) {
    throw incompleteBody(ctx, req, err);
  }
  const body: StageResult = {
    stageId: staged.id,
    size: staged.size,
    md5: staged.md5!,
    ...(staged.checksum !== undefined ? { checksum: staged.checksum } : {}),
  };
  sendJson(res, 200, body);
}

async function put(ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams): Promise<void> {
  const size = countParam(q, 'size', 0, Number.MAX_SAFE_INTEGER);
  if (size === undefined) throw invalid('query parameter size', q.get('size') ?? undefined, 'the number of data bytes before the trailer');
  const checksum = checksumParam(q);
  if (checksum === undefined) throw invalid('query parameter checksum', undefined, 'one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256');
  let received;
  try {
    received = await receivePut(req as AsyncIterable<Buffer>, ctx.store.staging, size, checksum);
  } catch (err) {
    throw incompleteBody(ctx, req, err);
  }
  sendJson(res, 200, await commitPut(ctx.store, received));
}

/** A body cut off by its connection (rather than refused) is reported as such. */
function incompleteBody(ctx: ApiContext, req: http.IncomingMessage, err: unknown): unknown {
  if (req.complete && req.errored === null) return err;
  ctx.log('stage-incomplete', { route: req.url, received: req.socket.bytesRead });
  return storageError('HASTACK_STORAGE_STAGE_INCOMPLETE', 'the body ended before its announced end (the connection closed mid-body); nothing was kept', { cause: err });
}

/** The optional `checksum` query parameter: an S3 checksum algorithm. */
function checksumParam(q: URLSearchParams): ChecksumAlgorithm | undefined {
  const name = q.get('checksum');
  const checksum = name === null ? undefined : parseChecksumAlgorithm(name);
  if (name !== null && checksum === undefined) throw invalid('query parameter checksum', name, 'one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256');
  return checksum;
}

async function abort(ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readJson(req);
  const ids = isObject(body) ? body['stageIds'] : undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && STAGE_ID_PATTERN.test(id))) {
    throw invalid('stageIds', ids, 'a list of stage ids (32 hex digits each)');
  }
  await ctx.store.staging.abort(ids as string[]);
  sendJson(res, 200, {});
}

async function data(ctx: ApiContext, _req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams): Promise<void> {
  const id = requiredParam(q, 'id');
  const startParam = countParam(q, 'start', 0, Number.MAX_SAFE_INTEGER);
  const endParam = countParam(q, 'end', 0, Number.MAX_SAFE_INTEGER);
  const small = ctx.store.readSmall(id);
  if (small === undefined) throw notFound(`no bytes for ${JSON.stringify(id)}`);
  if (small !== 'use-open') {
    const size = small.data.length;
    const [start, end] = writeDataHead(res, small.entry.meta.record.seq, size, startParam, endParam);
    res.end(start === 0 && end === size - 1 ? small.data : small.data.subarray(start, end + 1));
    return;
  }
  const opened = await ctx.store.openForRead(id);
  if (opened === undefined) throw notFound(`no bytes for ${JSON.stringify(id)}`);
  const { entry, fh, layout } = opened;
  try {
    const record = entry.meta.record as VersionRecord | PartRecord;
    const size = record.size;
    const [start, end] = writeDataHead(res, record.seq, size, startParam, endParam);
    if (size === 0) {
      res.end();
      return;
    }
    res.flushHeaders();
    const first = Math.floor(start / layout.blockSize);
    const last = Math.floor(end / layout.blockSize);
    const buffers = new SendBuffers(res, layout.blockSize * BATCH_BLOCKS);
    try {
      for await (const block of readVerifiedBlocks(fh, layout, first, last, { buffer: () => buffers.next() })) {
        const from = Math.max(0, start - block.offset);
        const to = Math.min(block.data.length, end + 1 - block.offset);
        const slice = from === 0 && to === block.data.length ? block.data : block.data.subarray(from, to);
        const more = block.lastOfBatch ? res.write(slice, buffers.releaseOnFlush()) : res.write(slice);
        if ((!more && !(await drained(res))) || res.destroyed) return;
      }
      res.end();
    } catch (err) {
      if (err instanceof ResponseClosed) return;
      if (!(err instanceof DamagedReplicaError)) throw err;
      res.destroy();
      await ctx.store.quarantine(entry, `read: ${err.message}`);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Checks the inclusive range asked for (all bytes when neither end is given) against a replica of
 * `size` bytes, refusing one that does not fit, then writes /data's answer head; returns the range.
 */
function writeDataHead(res: http.ServerResponse, seq: string, size: number, startParam: number | undefined, endParam: number | undefined): [number, number] {
  const start = startParam ?? 0;
  const end = endParam ?? size - 1;
  const ranged = startParam !== undefined || endParam !== undefined;
  if (ranged && (start > end || end >= size)) {
    throw storageError('HASTACK_STORAGE_RANGE_INVALID', `range ${start}-${end} does not fit an object of ${size} bytes; expected start <= end < ${size}`);
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Math.max(0, end - start + 1), 'x-hastack-seq': seq, 'x-hastack-size': size });
  return [start, end];
}

class ResponseClosed extends Error {}

/**
 * Two read buffers used in turn, so sending an object allocates nothing per batch: a buffer is
 * reused once the socket has taken every byte written from it (or the response closed).
 */
class SendBuffers {
  readonly #res: http.ServerResponse;
  readonly #bytes: number;
  readonly #buffers: (Buffer | undefined)[] = [undefined, undefined];
  readonly #free: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  readonly #closed: Promise<void>;
  #turn = 1;

  constructor(res: http.ServerResponse, bytes: number) {
    this.#res = res;
    this.#bytes = bytes;
    this.#closed = new Promise((resolve) => res.once('close', () => resolve()));
  }

  /** The next buffer, once the socket is done with it; throws ResponseClosed if the client went away. */
  async next(): Promise<Buffer> {
    this.#turn ^= 1;
    await Promise.race([this.#free[this.#turn], this.#closed]);
    if (this.#res.destroyed) throw new ResponseClosed();
    return (this.#buffers[this.#turn] ??= Buffer.allocUnsafe(this.#bytes));
  }

  /** A write callback that frees the current buffer once its last write is flushed. */
  releaseOnFlush(): () => void {
    let release!: () => void;
    this.#free[this.#turn] = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => release();
  }
}

/** Resolves true once the response can take more, false if it closed first. */
function drained(res: http.ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
