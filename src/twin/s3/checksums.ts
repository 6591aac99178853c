/**
 * The checksums S3 offers (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256) behind one incremental
 * interface, plus MD5 for ETags and Content-MD5. Values travel as S3 sends them: base64 of the
 * big-endian digest. CRC32 uses zlib's native code where Node has it.
 */
import { createHash, type Hash } from 'node:crypto';
import zlib from 'node:zlib';
import { Crc32 } from '@aws-crypto/crc32';
import { Crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Whether the whole object's checksum is of its bytes, or of its parts' checksums (`…-N`). */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** An incremental checksum; `digest()` may be called once. */
export interface Checksummer {
  update(chunk: Uint8Array): void;
  /** The raw big-endian digest. */
  digest(): Buffer;
}

/** `x-amz-checksum-crc32` etc. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Standard base64 with its padding, as S3 sends digests. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Request headers that start with `x-amz-checksum-` but carry no checksum value. */
const NOT_VALUE_HEADERS = new Set(['x-amz-checksum-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-mode']);

/** Whether a (lower-case) header name carries a checksum value: `x-amz-checksum-<alg>`. */
export function isChecksumValueHeader(name: string): boolean {
  return name.startsWith('x-amz-checksum-') && !NOT_VALUE_HEADERS.has(name);
}

/** Whether a value is base64 of a digest of the algorithm's length. */
export function isChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return BASE64_PATTERN.test(value) && Buffer.from(value, 'base64').length === checksumLength(algorithm);
}

/** `crc32c` → `CRC32C`; undefined for anything else. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** Digest length in bytes, to check a received value's shape before comparing. */
export function checksumLength(algorithm: ChecksumAlgorithm): number {
  switch (algorithm) {
    case 'CRC32':
    case 'CRC32C':
      return 4;
    case 'CRC64NVME':
      return 8;
    case 'SHA1':
      return 20;
    case 'SHA256':
      return 32;
  }
}

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

class HashChecksummer implements Checksummer {
  private readonly hash: Hash;
  constructor(name: string) {
    this.hash = createHash(name);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

class Crc32Checksummer implements Checksummer {
  private value = 0;
  private readonly fallback = nativeCrc32 === undefined ? new Crc32() : undefined;
  update(chunk: Uint8Array): void {
    if (this.fallback !== undefined) this.fallback.update(chunk);
    else this.value = nativeCrc32!(chunk, this.value);
  }
  digest(): Buffer {
    return u32(this.fallback !== undefined ? this.fallback.digest() : this.value);
  }
}

class Crc32cChecksummer implements Checksummer {
  private readonly crc = new Crc32c();
  update(chunk: Uint8Array): void {
    this.crc.update(chunk);
  }
  digest(): Buffer {
    return u32(this.crc.digest());
  }
}

class Crc64Checksummer implements Checksummer {
  private readonly crc = new Crc64Nvme();
  update(chunk: Uint8Array): void {
    this.crc.update(chunk);
  }
  digest(): Buffer {
    // The library's digest() is async only by interface; the pure-JS state is two 32-bit halves
    // (reflected, initial value all ones), finished by xor with all ones, high half first.
    const impl = (this.crc as unknown as { impl?: { c1?: unknown; c2?: unknown } }).impl;
    if (typeof impl?.c1 !== 'number' || typeof impl.c2 !== 'number') throw new Error('CRC64NVME: unexpected implementation state');
    const out = Buffer.alloc(8);
    out.writeUInt32BE((impl.c1 ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((impl.c2 ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

export function createChecksummer(algorithm: ChecksumAlgorithm | 'MD5'): Checksummer {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Checksummer();
    case 'CRC32C':
      return new Crc32cChecksummer();
    case 'CRC64NVME':
      return new Crc64Checksummer();
    case 'SHA1':
      return new HashChecksummer('sha1');
    case 'SHA256':
      return new HashChecksummer('sha256');
    case 'MD5':
      return new HashChecksummer('md5');
  }
}

/** One-shot base64 checksum of a buffer. */
export function checksumOf(algorithm: ChecksumAlgorithm | 'MD5', data: Uint8Array): string {
  const c = createChecksummer(algorithm);
  c.update(data);
  return c.digest().toString('base64');
}

/** S3's composite checksum of a multipart object: the checksum of the parts' raw checksums, then `-N`. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: readonly string[]): string {
  const c = createChecksummer(algorithm);
  for (const p of partChecksums) c.update(Buffer.from(p, 'base64'));
  return `${c.digest().toString('base64')}-${partChecksums.length}`;
}
