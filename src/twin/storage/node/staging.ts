/**
 * Staged bytes: received (or assembled) into `staging/<id>` while their MD5, block CRC32s and an
 * optional S3 checksum are computed, fsynced, then held invisible until a commit moves them into
 * place or an abort, a 15-minute expiry or a restart removes them. Memory stays flat whatever the
 * size: at most 1 MiB is gathered while the previous 1 MiB is being written.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ChecksumAlgorithm } from '../../s3/checksums.ts';
import { BLOCK_SIZE, StoredDigest } from './blocks.ts';
import { STAGING_DIR, stagingFile } from './layout.ts';

const FLUSH_BYTES = 1024 * 1024;

/** Staged bytes nobody committed are removed after this long. */
export const STAGE_TTL_MS = 15 * 60 * 1000;

export interface StagedBytes {
  readonly id: string;
  readonly file: string;
  readonly size: number;
  /** Hex MD5; absent when not asked for (assembled objects). */
  readonly md5?: string;
  readonly blockSize: number;
  readonly crcs: readonly number[];
  /** Base64 checksum of the algorithm asked for. */
  readonly checksum?: string;
  readonly readyAt: number;
}

export interface StageWriterOptions {
  readonly md5?: boolean;
  readonly checksum?: ChecksumAlgorithm;
}

/** One staging file being written. */
export class StageWriter {
  readonly id: string;
  readonly file: string;
  readonly #fh: FileHandle;
  readonly #staging: Staging;
  readonly #md5: Hash | undefined;
  readonly #digest: StoredDigest;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #size = 0;
  #position = 0;
  /** The write under way: the next batch is hashed while it goes to disk. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(staging: Staging, id: string, file: string, fh: FileHandle, opts: StageWriterOptions) {
    this.#staging = staging;
    this.id = id;
    this.file = file;
    this.#fh = fh;
    this.#md5 = opts.md5 === false ? undefined : createHash('md5');
    this.#digest = new StoredDigest(opts.checksum);
  }

  static async create(staging: Staging, opts: StageWriterOptions): Promise<StageWriter> {
    const id = randomBytes(16).toString('hex');
    const file = stagingFile(staging.dataDir, id);
    const fh = await open(file, 'wx', 0o600);
    return new StageWriter(staging, id, file, fh, opts);
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.#md5?.update(chunk);
    this.#digest.update(chunk);
    this.#size += chunk.length;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= FLUSH_BYTES) {
      await this.#writing;
      this.#writing = this.#flush();
      this.#writing.catch(() => {});
    }
  }

  /** Writes the rest, fsyncs, and hands the bytes to the staging table. */
  async finish(): Promise<StagedBytes> {
    await this.#writing;
    await this.#flush();
    await this.#fh.sync();
    await this.#fh.close();
    const { crcs, checksum } = this.#digest.finish();
    const staged: StagedBytes = {
      id: this.id,
      file: this.file,
      size: this.#size,
      blockSize: BLOCK_SIZE,
      crcs,
      readyAt: Date.now(),
      ...(this.#md5 !== undefined ? { md5: this.#md5.digest('hex') } : {}),
      ...(checksum !== undefined ? { checksum } : {}),
    };
    this.#staging.hold(staged);
    return staged;
  }

  /** Drops a write that will not finish. */
  async destroy(): Promise<void> {
    this.#pending = [];
    await this.#writing.catch(() => undefined);
    await this.#fh.close().catch(() => undefined);
    await rm(this.file, { force: true });
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunks = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    let written = 0;
    while (written < bytes) {
      const { bytesWritten } = written === 0 ? await this.#fh.writev(chunks, this.#position) : await this.#fh.write(Buffer.concat(chunks).subarray(written), 0, bytes - written, this.#position);
      written += bytesWritten;
      this.#position += bytesWritten;
    }
  }
}

/** The table of staged bytes waiting for a commit. */
export class Staging {
  readonly dataDir: string;
  readonly #ready = new Map<string, StagedBytes>();
  readonly #ttlMs: number;

  constructor(dataDir: string, ttlMs = STAGE_TTL_MS) {
    this.dataDir = dataDir;
    this.#ttlMs = ttlMs;
  }

  get count(): number {
    return this.#ready.size;
  }

  writer(opts: StageWriterOptions = {}): Promise<StageWriter> {
    return StageWriter.create(this, opts);
  }

  /** Streams a body into a new staging file; on any failure the file is removed and the error rethrown. */
  async receive(body: AsyncIterable<Buffer>, opts: StageWriterOptions = {}): Promise<StagedBytes> {
    const w = await this.writer(opts);
    try {
      for await (const chunk of body) await w.write(chunk);
      return await w.finish();
    } catch (err) {
      await w.destroy();
      throw err;
    }
  }

  hold(staged: StagedBytes): void {
    this.#ready.set(staged.id, staged);
  }

  /** Removes a stage from the table for a commit to consume; undefined when unknown. */
  take(id: string): StagedBytes | undefined {
    const s = this.#ready.get(id);
    if (s !== undefined) this.#ready.delete(id);
    return s;
  }

  /** Removes a taken stage's file (a commit that did not apply, or a failed one). */
  async discard(staged: StagedBytes): Promise<void> {
    await rm(staged.file, { force: true });
  }

  async abort(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const s = this.take(id);
      if (s !== undefined) await this.discard(s);
    }
  }

  /** Removes stages older than the expiry; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const old = [...this.#ready.values()].filter((s) => now - s.readyAt >= this.#ttlMs);
    await this.abort(old.map((s) => s.id));
    return old.length;
  }

  /** At start: nothing staged survives a restart. */
  async clearAll(): Promise<number> {
    const dir = path.join(this.dataDir, STAGING_DIR);
    const names = await readdir(dir);
    for (const n of names) await rm(path.join(dir, n), { force: true, recursive: true });
    return names.length;
  }
}
