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
  const { size, blockSize } = layout;
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
    for (; b <= batchEnd; b++) yield { block: b, offset: b * blockSize, data: verifiedBlock(buf, got, layout, start, b), lastOfBatch: b === batchEnd };
  }
}

/**
 * Checks every block of a whole replica read into `buf` (`got` bytes of it were read): throws
 * DamagedReplicaError at the first block that is short or fails its CRC32.
 */
export function checkBlocks(buf: Buffer, got: number, layout: BlockLayout): void {
  for (let b = 0; b < layout.crcs.length; b++) verifiedBlock(buf, got, layout, 0, b);
}

/** Block `b` of bytes read into `buf` from file offset `base` (`got` of them read), once it is whole and matches its CRC32. */
function verifiedBlock(buf: Buffer, got: number, layout: BlockLayout, base: number, b: number): Buffer {
  const from = b * layout.blockSize - base;
  const to = Math.min(layout.size, (b + 1) * layout.blockSize) - base;
  if (got < to) throw new DamagedReplicaError(b, 'short');
  const data = buf.subarray(from, to);
  if (crc32(data) !== layout.crcs[b]) throw new DamagedReplicaError(b, 'crc');
  return data;
}
