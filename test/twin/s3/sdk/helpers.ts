/**
 * Shared helpers for the AWS SDK tests against the twin's S3 store: deterministic pseudo-random
 * bytes that can be regenerated for any byte range (so large objects are compared by SHA-256 of
 * streams, never held twice), error assertions on what the SDK surfaces (code and HTTP status),
 * and the checksums S3 shows, computed with the SDK's own libraries.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

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

/** A flexible checksum algorithm S3 offers. */
export type Algorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

/** The raw big-endian digest of `data`, computed with the same libraries the SDK uses (never the store's code). */
export async function digestOf(algorithm: Algorithm, data: Uint8Array): Promise<Buffer> {
  switch (algorithm) {
    case 'CRC32': {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(zlib.crc32(data) >>> 0);
      return out;
    }
    case 'CRC32C': {
      const c = new Crc32c();
      c.update(data);
      const out = Buffer.alloc(4);
      out.writeUInt32BE(c.digest() >>> 0);
      return out;
    }
    case 'CRC64NVME': {
      const c = new Crc64Nvme();
      c.update(data);
      return Buffer.from(await c.digest());
    }
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
  }
}

/** Base64 checksum of `data`, as S3 shows it. */
export async function checksumOf(algorithm: Algorithm, data: Uint8Array): Promise<string> {
  return (await digestOf(algorithm, data)).toString('base64');
}

/** S3's COMPOSITE checksum of a multipart object: the checksum of the parts' raw checksums, `-N`. */
export async function compositeOf(algorithm: Algorithm, parts: readonly Uint8Array[]): Promise<string> {
  const raw = await Promise.all(parts.map((p) => digestOf(algorithm, p)));
  return `${await checksumOf(algorithm, Buffer.concat(raw))}-${parts.length}`;
}
