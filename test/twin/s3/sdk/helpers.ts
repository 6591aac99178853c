/**
 * Shared helpers for the AWS SDK tests against the twin's S3 store: deterministic pseudo-random
 * bytes that can be regenerated for any byte range (so large objects are compared by SHA-256 of
 * streams, never held twice), error assertions on what the SDK surfaces (code and HTTP status),
 * and raw requests signed with the store's credentials for what the SDK will not send.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { TestStorage } from '../../../helpers/storage.ts';
import { encodeKey, signer } from '../auth/sign-helpers.ts';

export { encodeKey };

/** Bytes per generator block: any range is rebuilt from the blocks that cover it. */
const BLOCK = 64 * 1024;

/** Block `index` of the stream `seed`: xorshift32 seeded from both, so blocks are independent. */
function block(seed: number, index: number): Buffer {
  const out = Buffer.allocUnsafe(BLOCK);
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0 || 1;
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

/** Bytes [start, end) of the pseudo-random stream `seed`. */
export function bytesAt(seed: number, start: number, end: number): Buffer {
  const pieces: Buffer[] = [];
  for (let b = Math.floor(start / BLOCK); b * BLOCK < end; b++) {
    const data = block(seed, b);
    const from = Math.max(start - b * BLOCK, 0);
    const to = Math.min(end - b * BLOCK, BLOCK);
    pieces.push(data.subarray(from, to));
  }
  return Buffer.concat(pieces);
}

/** The first `size` bytes of stream `seed`, generated block by block as they are read. */
export function randomStream(seed: number, size: number, start = 0): Readable {
  let at = start;
  const end = start + size;
  return new Readable({
    read() {
      if (at >= end) {
        this.push(null);
        return;
      }
      const next = Math.min(end, (Math.floor(at / BLOCK) + 1) * BLOCK);
      this.push(bytesAt(seed, at, next));
      at = next;
    },
  });
}

/** SHA-256 (hex) of bytes [start, end) of stream `seed`. */
export function sha256At(seed: number, start: number, end: number): string {
  const h = createHash('sha256');
  for (let at = start; at < end; ) {
    const next = Math.min(end, (Math.floor(at / BLOCK) + 1) * BLOCK);
    h.update(bytesAt(seed, at, next));
    at = next;
  }
  return h.digest('hex');
}

/** SHA-256 (hex) of everything a stream yields, and how many bytes that was. */
export async function sha256OfStream(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), size };
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** A GetObject body as bytes. */
export async function bodyBytes(body: { transformToByteArray(): Promise<Uint8Array> } | undefined): Promise<Buffer> {
  assert.ok(body !== undefined, 'the answer has a body');
  return Buffer.from(await body.transformToByteArray());
}

/**
 * Asserts the SDK call failed with S3's `code` and HTTP `status`. Pass `code` undefined for an
 * answer without a body (a 304 Not Modified, which the SDK names after no code S3 could send).
 */
export async function rejectsWith(call: Promise<unknown>, code: string | undefined, status: number): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (e) {
    const err = e as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
    if (code !== undefined) assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status, `${code ?? err.name} status`);
    return err;
  }
  assert.fail(`expected ${code ?? 'an error'} (${status}), but the call succeeded`);
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  /** `/bucket/key`, already encoded (see encodeKey). */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  /** Sign with these instead of the store's credentials. */
  readonly secret?: string;
  /** Headers to set after signing (unsigned, e.g. a Content-Length that is not the body's). */
  readonly unsignedHeaders?: Record<string, string>;
  /** Do not wait to send a body: end the request after the headers (for answers given before any byte is read). */
  readonly headersOnly?: boolean;
}

/** A request signed with SigV4 the way the S3 client signs (path already encoded), sent with node:http. */
export async function rawRequest(store: TestStorage, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(store.storage.endpoint);
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const payloadHash = body === undefined ? sha256('') : sha256(body);
  const signed = await signer({
    accessKeyId: store.storage.credentials.accessKeyId,
    secret: r.secret ?? store.storage.credentials.secretAccessKey,
    region: store.env.AWS_REGION ?? 'us-east-1',
  }).sign({
    method: r.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: r.path,
    query: r.query ?? {},
    headers: {
      host: url.host,
      'x-amz-content-sha256': r.headersOnly === true ? 'UNSIGNED-PAYLOAD' : payloadHash,
      ...(body === undefined ? {} : { 'content-length': String(body.length) }),
      ...(r.headers ?? {}),
    },
  } as never);
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  const headers = { ...(signed.headers as Record<string, string>), ...(r.unsignedHeaders ?? {}) };
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path: `${r.path}${query === '' ? '' : `?${query}`}`, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('raw request timed out')));
    if (r.headersOnly === true) req.flushHeaders();
    else req.end(body);
  });
}

/** The `<Code>` of an S3 error body. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
