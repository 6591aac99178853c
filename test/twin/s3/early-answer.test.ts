/**
 * GIVEN a request the endpoint refuses from its headers alone WHEN the client sends its whole body
 * before it reads any answer (as awscli does) THEN the refusal reaches it promptly and the
 * connection stays open for the next request; a body too large to be worth reading has the
 * connection closed after the answer instead.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { createChecksummer } from '../../../src/twin/s3/checksums.ts';
import { DRAIN_MAX_BYTES } from '../../../src/twin/s3/gateway/respond.ts';
import { errorCode, parseHead, requestBytes, signRaw, type RawRequest, type RawResponse } from '../../helpers/s3-raw.ts';
import { startTestStorage, type TestStorage } from '../../helpers/storage.ts';

/** One keep-alive connection to the store, read one response at a time. */
class Connection {
  readonly #socket: Socket;
  #buffered = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(t: TestStorage) {
    const u = new URL(t.storage.endpoint);
    this.#socket = connect({ host: u.hostname, port: Number(u.port) });
    this.#socket.on('data', (c: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, c]);
      this.#wake?.();
    });
    this.#socket.on('error', () => undefined);
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once every byte was handed to the kernel; rejects when the server cut the connection first. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.write(bytes, (err) => (err ? reject(new Error(`the request could not be sent whole: ${err.message}`)) : resolve())));
  }

  /** The next whole response (by its content-length). */
  async response(timeoutMs: number): Promise<RawResponse> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const { status, headers } = parseHead(this.#buffered.subarray(0, end).toString('latin1'));
        const length = Number(headers['content-length'] ?? 0);
        if (this.#buffered.length >= end + 4 + length) {
          const body = this.#buffered.subarray(end + 4, end + 4 + length).toString('utf8');
          this.#buffered = this.#buffered.subarray(end + 4 + length);
          return { status, headers, body };
        }
      }
      if (this.#closed) throw new Error('the connection closed before a whole response');
      if (Date.now() > until) throw new Error(`no whole response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** A signed request's bytes, keep-alive, with `length` as its content-length. */
async function signedBytes(t: TestStorage, r: RawRequest, length: number): Promise<Buffer> {
  const { target, headers } = await signRaw(t, r);
  return requestBytes(r.method, target, { ...headers, 'content-length': String(length) }, r.body ?? Buffer.alloc(0));
}

function crc32Base64(data: Buffer): string {
  const c = createChecksummer('CRC32');
  c.update(data);
  return c.digest().toString('base64');
}

describe('S3 endpoint answering before it reads the body', { timeout: 120_000 }, () => {
  let t: TestStorage;
  let uploadId: string;
  before(async () => {
    t = await startTestStorage({ buckets: [{ name: 'early' }] });
    const mp = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: 'early', Key: 'big', ChecksumAlgorithm: 'SHA256' }));
    uploadId = mp.UploadId!;
  });
  after(async () => t?.close());

  /** UploadPart with a CRC32 checksum into a SHA256 upload: refused from the headers. */
  const wrongAlgorithmPart = (body: Buffer, headers: Record<string, string> = {}): RawRequest => ({
    method: 'PUT',
    path: '/early/big',
    query: { partNumber: '1', uploadId },
    headers: { 'x-amz-checksum-crc32': crc32Base64(body), ...headers },
    body,
  });

  it('GIVEN a 16 MiB part the headers already refuse WHEN it is sent whole before reading THEN the 400 arrives and the connection serves the next request', async () => {
    const c = new Connection(t);
    try {
      const body = randomBytes(16 * 1024 * 1024);
      const started = Date.now();
      await c.write(await signedBytes(t, wrongAlgorithmPart(body), body.length));
      const refused = await c.response(10_000);
      assert.equal(refused.status, 400);
      assert.equal(errorCode(refused.body), 'InvalidRequest');
      assert.match(refused.body, /expected checksum Type: sha256, actual checksum Type: crc32/);
      assert.notEqual(refused.headers['connection'], 'close');
      assert.ok(Date.now() - started < 8_000, `the answer took ${Date.now() - started} ms`);
      // The body was read and dropped, not taken for a request: the same connection lists the bucket.
      await c.write(await signedBytes(t, { method: 'GET', path: '/early', query: { 'list-type': '2' } }, 0));
      const listed = await c.response(10_000);
      assert.equal(listed.status, 200, listed.body);
      assert.match(listed.body, /<ListBucketResult/);
    } finally {
      c.close();
    }
  });

  it('GIVEN a refused request announcing more than the endpoint will read WHEN answered THEN the answer says the connection closes, and it does', async () => {
    const c = new Connection(t);
    try {
      const announced = DRAIN_MAX_BYTES + 1;
      const start = randomBytes(64 * 1024);
      await c.write(await signedBytes(t, wrongAlgorithmPart(start, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), announced));
      const refused = await c.response(10_000);
      assert.equal(refused.status, 400);
      assert.equal(errorCode(refused.body), 'InvalidRequest');
      assert.equal(refused.headers['connection'], 'close', JSON.stringify(refused));
      const until = Date.now() + 5_000;
      while (!c.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.equal(c.closed, true, 'the endpoint closed the connection');
    } finally {
      c.close();
    }
  });
});
