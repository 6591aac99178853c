/**
 * Reading a replica's bytes block by block, each checked against its stored CRC32 before it is
 * handed on. A short file or a mismatching block throws `DamagedReplicaError`, and nothing of the
 * damaged block is yielded. Reads batch a few blocks per system call.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from './blocks.ts';

/** Blocks read per system call. */
export const BATCH_BLOCKS = 4;

export class DamagedReplicaError extends Error {
  override readonly name = 'DamagedReplicaError';
  constructor(
    readonly block: number,
    readonly reason: 'crc' | 'short',
  ) {
    super(reason === 'crc' ? `block ${block} does not match its CRC32` : `the file ends inside block ${block}`);
  }
}

export interface BlockLayout {
  readonly size: number;
  readonly blockSize: number;
  readonly crcs: readonly number[];
}

export interface VerifiedBlock {
  readonly block: number;
  /** File offset of the block's first byte. */
  readonly offset: number;
  readonly data: Buffer;
  /** The last block read into its buffer: once it is consumed, the buffer may be reused. */
  readonly lastOfBatch: boolean;
}

export interface ReadOptions {
  /**
   * Supplies the buffer a batch of at most BATCH_BLOCKS blocks is read into (at least `bytes`
   * long), so a caller can recycle buffers; by default each batch gets a fresh one, which the
   * caller may keep.
   */
  readonly buffer?: (bytes: number) => Buffer | Promise<Buffer>;
}

/** Yields blocks first..last (inclusive), verified. */
export async function* readVerifiedBlocks(fh: FileHandle, layout: BlockLayout, first = 0, last = layout.crcs.length - 1, opts: ReadOptions = {}): AsyncGenerator<VerifiedBlock> {
  const { size, blockSize, crcs } = layout;
  for (let b = first; b <= last; ) {
    const batchEnd = Math.min(last, b + BATCH_BLOCKS - 1);
    const start = b * blockSize;
    const end = Math.min(size, (batchEnd + 1) * blockSize);
    const buf = opts.buffer === undefined ? Buffer.allocUnsafe(end - start) : (await opts.buffer(end - start)).subarray(0, end - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    for (; b <= batchEnd; b++) {
      const from = b * blockSize - start;
      const to = Math.min(end, (b + 1) * blockSize) - start;
      if (got < to) throw new DamagedReplicaError(b, 'short');
      const data = buf.subarray(from, to);
      if (crc32(data) !== crcs[b]) throw new DamagedReplicaError(b, 'crc');
      yield { block: b, offset: start + from, data, lastOfBatch: b === batchEnd };
    }
  }
}

/**
 * Checks blocks first..last of bytes read from a replica (`buf` holds the file from the start of
 * block `first`; `got` of them were read): throws DamagedReplicaError at the first block that is
 * short or fails its CRC32.
 */
export function checkBlocks(buf: Buffer, got: number, layout: BlockLayout, first = 0, last = layout.crcs.length - 1): void {
  const base = first * layout.blockSize;
  for (let b = first; b <= last; b++) {
    const from = b * layout.blockSize - base;
    const to = Math.min(layout.size, (b + 1) * layout.blockSize) - base;
    if (got < to) throw new DamagedReplicaError(b, 'short');
    if (crc32(buf.subarray(from, to)) !== layout.crcs[b]) throw new DamagedReplicaError(b, 'crc');
  }
}
