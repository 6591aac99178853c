/**
 * The client the S3 gateway and the repairer use to speak to one storage node (protocol.ts), over
 * a keep-alive connection pool. Metadata calls have a deadline; byte streams have a stall timeout
 * instead (no progress while data is wanted). Failures reject with coded errors that name the
 * node's zone, the route and the status; a code the node answered with is kept.
 */
import http from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isHastackError, type HastackError } from '../../errors.ts';
import type { ChecksumAlgorithm } from '../s3/checksums.ts';
import { isStorageErrorCode, storageError } from './errors.ts';
import type { AssembleRequest, AssembleResult, CommitRequest, CommitResult, InventoryEntry, NodeHealth, PutResult, StageResult } from './node/protocol.ts';
import type { BucketRecord, PartRecord, StoredRecord, UploadRecord, VersionRecord } from './records.ts';

export interface NodeClientOptions {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly token: string;
  /** The node's zone, named in errors. */
  readonly zone: string;
  /** Deadline of a metadata call, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** A byte stream that makes no progress for this long (while data is wanted) fails. @default 5000 */
  readonly stallTimeoutMs?: number;
  /** Connections kept to the node at most. @default 64 */
  readonly maxSockets?: number;
}

export interface StageOptions {
  readonly checksum?: ChecksumAlgorithm;
  readonly signal?: AbortSignal;
}

export interface ListRequest {
  readonly bucket: string;
  readonly prefix?: string;
  /** A key: the page starts after it. */
  readonly after?: string;
  readonly limit?: number;
  /** Every version record, not only each key's newest. */
  readonly all?: boolean;
}

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

interface CallOptions {
  readonly body?: unknown;
  readonly timeoutMs?: number;
  /** Statuses answered with undefined instead of an error. */
  readonly absentOn404?: boolean;
}

/** Time an assembly may take: it reads and writes every byte of the object. */
const ASSEMBLE_TIMEOUT_MS = 10 * 60 * 1000;

export class NodeClient {
  readonly zone: string;
  readonly url: string;
  readonly #host: string;
  readonly #port: number;
  readonly #auth: string;
  readonly #timeoutMs: number;
  readonly #stallMs: number;
  readonly #agent: http.Agent;

  constructor(opts: NodeClientOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:') throw storageError('HASTACK_STORAGE_INVALID_ARGUMENT', `storage node url is ${JSON.stringify(opts.url)}; expected http://127.0.0.1:<port>`);
    this.zone = opts.zone;
    this.url = opts.url;
    this.#host = u.hostname;
    this.#port = Number(u.port || 80);
    this.#auth = `Bearer ${opts.token}`;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#stallMs = opts.stallTimeoutMs ?? 5000;
    // Idle pooled sockets close well before the node's 65 s keep-alive, so a reused socket is open.
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, maxFreeSockets: opts.maxSockets ?? 64, timeout: 30_000 });
  }

  /** Closes pooled connections; calls under way fail. */
  close(): void {
    this.#agent.destroy();
  }

  health(): Promise<NodeHealth> {
    return this.#json('GET', '/health');
  }

  /**
   * Opens a stage request: write the bytes into `body` (with backpressure) and end it; `done`
   * resolves with what the node made durable, and rejects if the node fails, the body is
   * destroyed, the stream stalls or the signal aborts.
   */
  stageStream(opts: StageOptions = {}): { body: Writable; done: Promise<StageResult> } {
    return this.#upload<StageResult>('/stage', opts.checksum === undefined ? '' : `checksum=${opts.checksum}`, opts.signal);
  }

  /**
   * Opens a put request (stage and commit in one, see node/put.ts): write exactly `size` bytes
   * into `body`, then end it with putTrailer(record, checksum) — or destroy it, and nothing is
   * committed. `done` resolves once the node committed (or found a newer record).
   */
  putStream(opts: { size: number; checksum: ChecksumAlgorithm; signal?: AbortSignal }): { body: Writable; done: Promise<PutResult> } {
    return this.#upload<PutResult>('/put', `size=${opts.size}&checksum=${opts.checksum}`, opts.signal);
  }

  #upload<T>(route: string, query: string, signal: AbortSignal | undefined): { body: Writable; done: Promise<T> } {
    const req = this.#open('POST', query === '' ? route : `${route}?${query}`, { 'content-type': 'application/octet-stream' });
    const done = new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (err: HastackError | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(value!);
        else {
          reject(err);
          req.destroy();
        }
      };
      const onAbort = (): void => settle(this.#error('HASTACK_STORAGE_ABORTED', route, 'the upload was aborted by its caller'));
      if (signal?.aborted === true) queueMicrotask(onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.setTimeout(this.#stallMs, () => settle(this.#error('HASTACK_STORAGE_NODE_TIMEOUT', route, `no progress for ${this.#stallMs} ms`)));
      req.on('error', (err) => settle(this.#connectionError(route, err)));
      let answered = false;
      req.on('close', () => {
        if (!answered) settle(this.#error('HASTACK_STORAGE_NODE_UNREACHABLE', route, 'the request closed before the node answered'));
      });
      req.on('response', (res) => {
        answered = true;
        readBody(res).then(
          (body) => {
            if (res.statusCode !== 200) return settle(this.#statusError(route, res.statusCode ?? 0, body));
            try {
              settle(undefined, parseJson<T>(body));
            } catch (err) {
              settle(err as HastackError);
            }
          },
          (err: unknown) => settle(this.#connectionError(route, err)),
        );
      });
    });
    done.catch(() => {});
    return { body: req, done };
  }

  /** Stages bytes from a buffer or a stream. */
  async stage(data: Buffer | Readable, opts: StageOptions = {}): Promise<StageResult> {
    const s = this.stageStream(opts);
    if (Buffer.isBuffer(data)) s.body.end(data);
    else pipeline(data, s.body).catch((err: unknown) => s.body.destroy(err as Error));
    return s.done;
  }

  commit(req: CommitRequest): Promise<CommitResult> {
    return this.#json('POST', '/commit', { body: req });
  }

  async abort(stageIds: readonly string[]): Promise<void> {
    await this.#json('POST', '/abort', { body: { stageIds } });
  }

  record(identity: string): Promise<StoredRecord | undefined> {
    return this.#json('GET', `/record?id=${encodeURIComponent(identity)}`, { absentOn404: true });
  }

  current(bucket: string, key: string): Promise<VersionRecord | undefined> {
    return this.#json('GET', `/current?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}`, { absentOn404: true });
  }

  /**
   * The key's current version record, with its bytes when it is small and the node could read
   * them at once (verified); without them, read them with data().
   */
  async currentWithBytes(bucket: string, key: string): Promise<{ record: VersionRecord; bytes: Buffer | undefined } | undefined> {
    const body = await this.#call('GET', `/current?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&bytes=small`, { absentOn404: true });
    if (body === undefined) return undefined;
    const length = body.length >= 4 ? body.readUInt32BE(0) : -1;
    if (length < 0 || 4 + length > body.length) throw this.#error('HASTACK_STORAGE_NODE_ERROR', '/current', `the answer holds ${body.length} bytes, too few for its record`);
    const record = parseJson<VersionRecord>(body.subarray(4, 4 + length));
    const bytes = body.subarray(4 + length);
    return { record, bytes: record.kind === 'object' && bytes.length === record.size && bytes.length > 0 ? bytes : undefined };
  }

  versions(bucket: string, key: string): Promise<VersionRecord[]> {
    return this.#json('GET', `/versions?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}`);
  }

  /**
   * A record's bytes (an inclusive range of them). Resolves once the node answered with headers;
   * the stream fails with HASTACK_STORAGE_DATA_TRUNCATED if the node ends it early (a damaged
   * block, a crash) and HASTACK_STORAGE_NODE_TIMEOUT if it stalls. With `seq`, a node that holds
   * another record of the identity now (a newer `null` version, say) is refused like a failed one,
   * so bytes never come from another record than the one whose headers were sent.
   */
  data(identity: string, range?: ByteRange, opts: { signal?: AbortSignal; seq?: string } = {}): Promise<Readable> {
    const route = '/data';
    let path = `${route}?id=${encodeURIComponent(identity)}`;
    if (range !== undefined) path += `&start=${range.start}&end=${range.end}`;
    return new Promise<Readable>((resolve, reject) => {
      const req = this.#open('GET', path, {});
      let answered = false;
      const fail = (err: HastackError): void => {
        if (answered) return;
        answered = true;
        reject(err);
        req.destroy();
      };
      const onAbort = (): void => fail(this.#error('HASTACK_STORAGE_ABORTED', route, 'the read was aborted by its caller'));
      if (opts.signal?.aborted === true) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.setTimeout(this.#stallMs, () => fail(this.#error('HASTACK_STORAGE_NODE_TIMEOUT', route, `no answer for ${this.#stallMs} ms`)));
      req.on('error', (err) => fail(this.#connectionError(route, err)));
      req.on('response', (res) => {
        if (answered) {
          res.destroy();
          return;
        }
        if (res.statusCode !== 200) {
          readBody(res).then(
            (body) => fail(this.#statusError(route, res.statusCode ?? 0, body)),
            (err: unknown) => fail(this.#connectionError(route, err)),
          );
          return;
        }
        const held = res.headers['x-hastack-seq'];
        if (opts.seq !== undefined && held !== opts.seq) {
          res.destroy();
          fail(this.#error('HASTACK_STORAGE_NOT_FOUND', route, `the node holds record ${String(held)} of this identity, not ${opts.seq}`));
          return;
        }
        answered = true;
        req.setTimeout(0);
        const stream = new NodeDataStream(req, res, this.#stallMs, (why) => this.#error(why === 'stall' ? 'HASTACK_STORAGE_NODE_TIMEOUT' : 'HASTACK_STORAGE_DATA_TRUNCATED', route, why === 'stall' ? `no bytes for ${this.#stallMs} ms` : 'the node ended the bytes early'));
        if (opts.signal !== undefined) {
          opts.signal.removeEventListener('abort', onAbort);
          const abortStream = (): void => {
            stream.destroy(this.#error('HASTACK_STORAGE_ABORTED', route, 'the read was aborted by its caller'));
          };
          opts.signal.addEventListener('abort', abortStream, { once: true });
          stream.once('close', () => opts.signal?.removeEventListener('abort', abortStream));
        }
        resolve(stream);
      });
      req.end();
    });
  }

  /** A page of version records by key (then seq, newest first); `next` is the `after` of the next page. */
  async list(q: ListRequest): Promise<{ records: VersionRecord[]; next?: string }> {
    let path = `/list?bucket=${encodeURIComponent(q.bucket)}`;
    if (q.prefix !== undefined) path += `&prefix=${encodeURIComponent(q.prefix)}`;
    if (q.after !== undefined) path += `&after=${encodeURIComponent(q.after)}`;
    if (q.limit !== undefined) path += `&limit=${q.limit}`;
    if (q.all === true) path += '&all=1';
    const { items, next } = await this.#lines<VersionRecord>(path);
    return next === undefined ? { records: items } : { records: items, next };
  }

  buckets(): Promise<BucketRecord[]> {
    return this.#json('GET', '/buckets');
  }

  uploads(bucket: string): Promise<UploadRecord[]> {
    return this.#json('GET', `/uploads?bucket=${encodeURIComponent(bucket)}`);
  }

  parts(bucket: string, uploadId: string): Promise<PartRecord[]> {
    return this.#json('GET', `/parts?bucket=${encodeURIComponent(bucket)}&uploadId=${encodeURIComponent(uploadId)}`);
  }

  /** Builds a completed upload's object on the node from its local parts; may take long for big objects. */
  assemble(req: AssembleRequest, opts: { timeoutMs?: number } = {}): Promise<AssembleResult> {
    return this.#json('POST', '/assemble', { body: req, timeoutMs: opts.timeoutMs ?? ASSEMBLE_TIMEOUT_MS });
  }

  /** A page of every record's (identity, seq, hasData) in identity order. */
  async inventory(after?: string, limit?: number): Promise<{ entries: InventoryEntry[]; next?: string }> {
    let path = '/inventory?';
    if (after !== undefined) path += `after=${encodeURIComponent(after)}&`;
    if (limit !== undefined) path += `limit=${limit}`;
    const { items, next } = await this.#lines<InventoryEntry>(path);
    return next === undefined ? { entries: items } : { entries: items, next };
  }

  /** Every record's (identity, seq, hasData), read page by page. */
  async inventoryAll(pageSize = 5000): Promise<InventoryEntry[]> {
    const out: InventoryEntry[] = [];
    let after: string | undefined;
    do {
      const page = await this.inventory(after, pageSize);
      out.push(...page.entries);
      after = page.next;
    } while (after !== undefined);
    return out;
  }

  /** One hash per range of identity hashes: equal digests mean equal inventories in that range. */
  digest(ranges = 256): Promise<{ ranges: string[] }> {
    return this.#json('GET', `/digest?buckets=${ranges}`);
  }

  async #lines<T>(path: string): Promise<{ items: T[]; next?: string }> {
    const body = await this.#call('GET', path, {});
    const items: T[] = [];
    let next: string | undefined;
    const text = body!.toString('utf8');
    let at = 0;
    while (at < text.length) {
      let nl = text.indexOf('\n', at);
      if (nl < 0) nl = text.length;
      if (nl > at) {
        const v = parseJson<T & { next?: string }>(Buffer.from(text.slice(at, nl)));
        if (typeof v.next === 'string' && Object.keys(v).length === 1) next = v.next;
        else items.push(v);
      }
      at = nl + 1;
    }
    return next === undefined ? { items } : { items, next };
  }

  async #json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const body = await this.#call(method, path, opts);
    return (body === undefined ? undefined : parseJson<T>(body)) as T;
  }

  /** One metadata request, its whole answer read; retried once if a pooled socket was found closed. */
  async #call(method: string, path: string, opts: CallOptions): Promise<Buffer | undefined> {
    const route = routeOf(path);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    let answer: Answer;
    try {
      answer = await this.#once(method, path, payload, opts.timeoutMs ?? this.#timeoutMs);
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      answer = await this.#once(method, path, payload, opts.timeoutMs ?? this.#timeoutMs).catch((e: unknown) => {
        throw e instanceof StaleSocketError ? e.coded : e;
      });
    }
    if (answer.status === 200) return answer.body;
    if (answer.status === 404 && opts.absentOn404 === true) return undefined;
    throw this.#statusError(route, answer.status, answer.body);
  }

  #once(method: string, path: string, payload: Buffer | undefined, timeoutMs: number): Promise<Answer> {
    const route = routeOf(path);
    return new Promise<Answer>((resolve, reject) => {
      const req = this.#open(method, path, payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) });
      let done = false;
      let answered = false;
      const finish = (err: Error | undefined, answer?: Answer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err === undefined) resolve(answer!);
        else {
          reject(err);
          req.destroy();
        }
      };
      const timer = setTimeout(() => finish(this.#error('HASTACK_STORAGE_NODE_TIMEOUT', route, `no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        const coded = this.#connectionError(route, err);
        finish(req.reusedSocket && err.code === 'ECONNRESET' && !answered ? new StaleSocketError(coded) : coded);
      });
      req.on('response', (res) => {
        answered = true;
        readBody(res).then(
          (body) => finish(undefined, { status: res.statusCode ?? 0, body }),
          (err: unknown) => finish(this.#connectionError(route, err)),
        );
      });
      req.end(payload);
    });
  }

  #open(method: string, path: string, headers: http.OutgoingHttpHeaders): http.ClientRequest {
    return http.request({ agent: this.#agent, host: this.#host, port: this.#port, method, path, headers: { ...headers, authorization: this.#auth } });
  }

  #error(code: Parameters<typeof storageError>[0], route: string, message: string, status?: number): HastackError {
    return storageError(code, `storage node of zone ${this.zone}: ${route}${status === undefined ? '' : ` answered ${status}`}: ${message}`, {
      details: { zone: this.zone, route, ...(status === undefined ? {} : { status }) },
    });
  }

  #statusError(route: string, status: number, body: Buffer): HastackError {
    let code: unknown;
    let message = body.toString('utf8').slice(0, 300);
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
      code = parsed.code;
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // not JSON: keep the text
    }
    return this.#error(isStorageErrorCode(code) ? code : 'HASTACK_STORAGE_NODE_ERROR', route, message, status);
  }

  #connectionError(route: string, err: unknown): HastackError {
    if (isHastackError(err)) return err;
    return this.#error('HASTACK_STORAGE_NODE_UNREACHABLE', route, (err as Error)?.message ?? String(err));
  }
}

/** A pooled socket the node had closed: safe to retry once. */
class StaleSocketError extends Error {
  constructor(readonly coded: HastackError) {
    super(coded.message);
  }
}

/**
 * The bytes of a /data answer: fails when the node ends early (fewer bytes than announced) or
 * sends nothing for the stall timeout while the consumer wants more. Backpressure passes through.
 */
class NodeDataStream extends Readable {
  readonly #req: http.ClientRequest;
  readonly #res: http.IncomingMessage;
  readonly #expected: number;
  readonly #stallMs: number;
  readonly #onStall: () => void;
  #stall: NodeJS.Timeout | undefined;
  #received = 0;

  constructor(req: http.ClientRequest, res: http.IncomingMessage, stallMs: number, error: (why: 'stall' | 'short') => HastackError) {
    super({ highWaterMark: 256 * 1024 });
    this.#req = req;
    this.#res = res;
    this.#expected = Number(res.headers['content-length'] ?? -1);
    this.#stallMs = stallMs;
    this.#onStall = () => this.destroy(error('stall'));
    this.#arm();
    res.on('data', (chunk: Buffer) => {
      this.#received += chunk.length;
      this.#stall?.refresh();
      if (!this.push(chunk)) {
        res.pause();
        this.#disarm();
      }
    });
    res.on('end', () => {
      this.#disarm();
      if (this.#expected >= 0 && this.#received !== this.#expected) this.destroy(error('short'));
      else this.push(null);
    });
    res.on('error', () => this.destroy(error('short')));
    res.on('aborted', () => this.destroy(error('short')));
    req.on('error', () => this.destroy(error('short')));
  }

  override _read(): void {
    // A paused response may still hold its last bytes after the parser finished the message:
    // resume it even then, or those bytes are never delivered and nothing times out.
    if (this.#res.isPaused()) {
      if (!this.#res.complete) this.#arm();
      this.#res.resume();
    }
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.#disarm();
    if (!this.#res.complete) this.#req.destroy();
    cb(err);
  }

  /** The stall clock runs only while bytes are wanted. */
  #arm(): void {
    if (this.#stall === undefined) {
      this.#stall = setTimeout(this.#onStall, this.#stallMs);
      this.#stall.unref();
    }
  }

  #disarm(): void {
    clearTimeout(this.#stall);
    this.#stall = undefined;
  }
}

/** The JSON that ends a put body, after its `size` bytes. */
export function putTrailer(record: StoredRecord, checksum: string): Buffer {
  return Buffer.from(JSON.stringify({ record, checksum }));
}

function routeOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function readBody(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the answer was cut off')));
  });
}

function parseJson<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw storageError('HASTACK_STORAGE_NODE_ERROR', `a storage node answered with a body that is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
