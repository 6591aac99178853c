/**
 * Block checksums: every replica's bytes are cut into 256 KiB blocks, each with a CRC32 kept in
 * its meta file, so a read or the scrubber can tell a damaged block before sending or trusting it.
 */
import { createChecksummer, type ChecksumAlgorithm, type Checksummer } from '../../s3/checksums.ts';
import { combineCrcs } from '../../s3/crc-combine.ts';

export const BLOCK_SIZE = 256 * 1024;

/** CRC32 of bytes as an unsigned 32-bit number (zlib's native code where Node has it). */
export function crc32(data: Uint8Array): number {
  const c = createChecksummer('CRC32');
  c.update(data);
  return c.digest().readUInt32BE(0);
}

/** Number of blocks of an object of `size` bytes. */
export function blockCount(size: number, blockSize = BLOCK_SIZE): number {
  return Math.ceil(size / blockSize);
}

/** Computes block CRC32s from bytes fed in chunks of any size. */
export class BlockCrcs {
  readonly #blockSize: number;
  readonly #crcs: number[] = [];
  #current: Checksummer | undefined;
  #filled = 0;

  constructor(blockSize = BLOCK_SIZE) {
    this.#blockSize = blockSize;
  }

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.#blockSize - this.#filled, chunk.length - offset);
      this.#current ??= createChecksummer('CRC32');
      this.#current.update(chunk.subarray(offset, offset + take));
      this.#filled += take;
      offset += take;
      if (this.#filled === this.#blockSize) this.#finishBlock();
    }
  }

  /** The CRC32s, one per block, the last block possibly short; call once, after the last update. */
  finish(): number[] {
    if (this.#filled > 0) this.#finishBlock();
    return this.#crcs;
  }

  #finishBlock(): void {
    this.#crcs.push(this.#current!.digest().readUInt32BE(0));
    this.#current = undefined;
    this.#filled = 0;
  }
}

/**
 * What a node computes of bytes it stores: the block CRC32s and, when asked, one checksum of all
 * the bytes. A whole-bytes CRC32 is combined from the block CRC32s rather than computed again.
 */
export class StoredDigest {
  readonly #blocks: BlockCrcs;
  readonly #blockSize: number;
  readonly #algorithm: ChecksumAlgorithm | undefined;
  readonly #sum: Checksummer | undefined;
  #size = 0;

  constructor(algorithm: ChecksumAlgorithm | undefined, blockSize = BLOCK_SIZE) {
    this.#blocks = new BlockCrcs(blockSize);
    this.#blockSize = blockSize;
    this.#algorithm = algorithm;
    this.#sum = algorithm === undefined || algorithm === 'CRC32' ? undefined : createChecksummer(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.#blocks.update(chunk);
    this.#sum?.update(chunk);
    this.#size += chunk.length;
  }

  /** Call once, after the last update; `checksum` (base64) only when an algorithm was given. */
  finish(): { crcs: number[]; checksum?: string } {
    const crcs = this.#blocks.finish();
    if (this.#algorithm === undefined) return { crcs };
    if (this.#sum !== undefined) return { crcs, checksum: this.#sum.digest().toString('base64') };
    const pieces = crcs.map((crc, i) => ({ checksum: crcBase64(crc), size: Math.min(this.#blockSize, this.#size - i * this.#blockSize) }));
    return { crcs, checksum: combineCrcs('CRC32', pieces) };
  }
}

function crcBase64(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc, 0);
  return b.toString('base64');
}
