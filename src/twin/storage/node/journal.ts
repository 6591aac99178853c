/**
 * The node's write-ahead journal: small commits (a record and its bytes, or a record alone) are
 * appended to one file and made durable together, one fdatasync for every commit that arrived while
 * the last one ran (group commit), instead of two file fsyncs and a folder fsync each. A commit is
 * answered once its entry is durable; its replica files are then written without fsync.
 *
 * The journal is a series of segments `journal/<n>.log`. When a segment passes its size, appends
 * move to a new one and the old one is checkpointed: once every commit written to it has put its
 * files in place, those files and their folders are fsynced and the segment is deleted. At start,
 * journal-replay.ts applies whatever segments remain, so a crash (of the process or the machine)
 * loses no answered commit.
 *
 * Entry: u32le payload length, u32le CRC32 of the payload, then the payload: u32le meta length,
 * the meta JSON (meta.ts), the bytes. A torn last entry (a crash mid-append) fails its CRC or its
 * length and ends the segment there; it was never answered.
 */
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from '../../../util/fsync-path.ts';
import { createChecksummer } from '../../s3/checksums.ts';
import { crc32 } from './blocks.ts';

export const JOURNAL_DIR = 'journal';
const SEGMENT_PATTERN = /^(\d{16})\.log$/;
const HEADER_BYTES = 8;

/** A segment is sealed and checkpointed once it holds this much. @default 16 MiB */
export const SEGMENT_BYTES = 16 * 1024 * 1024;

export interface JournalEntry {
  /** The meta JSON, as meta.ts encodes it. */
  readonly meta: string;
  readonly data: Buffer | undefined;
}

/** The entry's bytes as appended. */
export function encodeEntry(meta: string, data: Buffer | undefined): Buffer[] {
  const metaBytes = Buffer.from(meta, 'utf8');
  const head = Buffer.allocUnsafe(HEADER_BYTES + 4);
  const payloadLength = 4 + metaBytes.length + (data?.length ?? 0);
  head.writeUInt32LE(metaBytes.length, HEADER_BYTES);
  const parts = data === undefined || data.length === 0 ? [head, metaBytes] : [head, metaBytes, data];
  const crc = createChecksummer('CRC32');
  crc.update(head.subarray(HEADER_BYTES));
  for (const p of parts.slice(1)) crc.update(p);
  head.writeUInt32LE(payloadLength, 0);
  head.writeUInt32LE(crc.digest().readUInt32BE(0), 4);
  return parts;
}

/**
 * The whole entries of a segment's bytes, in order; `torn` counts the bytes after the last whole
 * entry (a crash mid-append), which are ignored.
 */
export function decodeEntries(buf: Buffer): { entries: JournalEntry[]; torn: number } {
  const entries: JournalEntry[] = [];
  let at = 0;
  while (at + HEADER_BYTES + 4 <= buf.length) {
    const length = buf.readUInt32LE(at);
    const crc = buf.readUInt32LE(at + 4);
    const start = at + HEADER_BYTES;
    if (length < 4 || start + length > buf.length) break;
    const payload = buf.subarray(start, start + length);
    if (crc32(payload) !== crc) break;
    const metaLength = payload.readUInt32LE(0);
    if (4 + metaLength > length) break;
    const meta = payload.subarray(4, 4 + metaLength).toString('utf8');
    const data = length > 4 + metaLength ? Buffer.from(payload.subarray(4 + metaLength)) : undefined;
    entries.push({ meta, data });
    at = start + length;
  }
  return { entries, torn: buf.length - at };
}

/** The segment files of a journal folder, oldest first. */
export async function segmentFiles(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, JOURNAL_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => SEGMENT_PATTERN.test(n)).sort().map((n) => path.join(dir, n));
}

/** What a commit reports once its entry is durable: where it then put its files, for the checkpoint. */
export interface JournalTicket {
  /** The files the commit wrote (or removed) and their folder; call once, also after a failure. */
  settle(files: readonly string[], dir: string | undefined): void;
}

interface Pending {
  readonly parts: Buffer[];
  readonly bytes: number;
  readonly resolve: (t: JournalTicket) => void;
  readonly reject: (e: unknown) => void;
}

class Segment {
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  /** Tickets handed out and not settled yet. */
  open = 0;
  #settled: (() => void) | undefined;

  constructor(
    readonly file: string,
    readonly fh: FileHandle,
    public size: number,
  ) {}

  ticket(): JournalTicket {
    this.open++;
    let done = false;
    return {
      settle: (files, dir) => {
        if (done) return;
        done = true;
        for (const f of files) this.files.add(f);
        if (dir !== undefined) this.dirs.add(dir);
        if (--this.open === 0) this.#settled?.();
      },
    };
  }

  /** Resolves once every ticket is settled. */
  quiet(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#settled = resolve;
    });
  }
}

export class Journal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  #segment: Segment;
  #next: number;
  #pending: Pending[] = [];
  #flushing = false;
  #flushRun: Promise<void> = Promise.resolve();
  #closed = false;
  #checkpoints: Promise<void> = Promise.resolve();
  #syncs = 0;
  #appends = 0;

  private constructor(dir: string, segment: Segment, next: number, segmentBytes: number) {
    this.#dir = dir;
    this.#segment = segment;
    this.#next = next;
    this.#segmentBytes = segmentBytes;
  }

  /** Starts a new segment after `after` (the greatest segment number seen, replayed and removed). */
  static async open(dataDir: string, opts: { segmentBytes?: number; after?: number } = {}): Promise<Journal> {
    const dir = path.join(dataDir, JOURNAL_DIR);
    await mkdir(dir, { recursive: true });
    const n = (opts.after ?? 0) + 1;
    const segment = await createSegment(dir, n);
    return new Journal(dir, segment, n + 1, opts.segmentBytes ?? SEGMENT_BYTES);
  }

  /** Entries made durable so far. */
  get appends(): number {
    return this.#appends;
  }

  /** fdatasyncs of the journal so far: fewer than the entries when commits were grouped. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Appends an entry; resolves once it is durable, with the ticket the commit settles after writing its files. */
  append(meta: string, data: Buffer | undefined): Promise<JournalTicket> {
    if (this.#closed) return Promise.reject(new Error('the journal is closed'));
    const parts = encodeEntry(meta, data);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    return new Promise((resolve, reject) => {
      this.#pending.push({ parts, bytes, resolve, reject });
      if (!this.#flushing) this.#flushRun = this.#flush();
    });
  }

  /** Refuses new appends, waits for those and checkpoints under way, then checkpoints the current segment too. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushRun;
    await this.#checkpoints;
    await checkpoint(this.#segment);
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        const segment = this.#segment;
        try {
          await writeAll(segment.fh, batch.flatMap((p) => p.parts), segment.size);
          await segment.fh.datasync();
          this.#syncs++;
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        segment.size += batch.reduce((n, p) => n + p.bytes, 0);
        this.#appends += batch.length;
        for (const p of batch) p.resolve(segment.ticket());
        if (segment.size >= this.#segmentBytes) await this.#rotate();
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #rotate(): Promise<void> {
    const sealed = this.#segment;
    try {
      this.#segment = await createSegment(this.#dir, this.#next++);
    } catch {
      return; // keep appending to the sealed one; the next flush tries again
    }
    this.#checkpoints = this.#checkpoints.then(() => checkpoint(sealed)).catch(() => undefined);
  }
}

async function createSegment(dir: string, n: number): Promise<Segment> {
  const file = path.join(dir, `${String(n).padStart(16, '0')}.log`);
  const fh = await open(file, 'wx', 0o600);
  // The new file's name must be durable before an entry in it counts as durable.
  await fsyncPath(dir);
  return new Segment(file, fh, 0);
}

/** Once its commits have written their files: fsyncs those files and folders, then deletes the segment. */
async function checkpoint(segment: Segment): Promise<void> {
  await segment.quiet();
  await segment.fh.close().catch(() => undefined);
  for (const file of segment.files) await fsyncIfPresent(file);
  for (const dir of segment.dirs) await fsyncPath(dir);
  await rm(segment.file, { force: true });
}

async function fsyncIfPresent(file: string): Promise<void> {
  try {
    await fsyncPath(file);
  } catch (err) {
    // Replaced or moved since: what took its place is durable on its own.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function writeAll(fh: FileHandle, parts: Buffer[], position: number): Promise<void> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  let written = (await fh.writev(parts, position)).bytesWritten;
  if (written === total) return;
  const all = Buffer.concat(parts);
  while (written < total) written += (await fh.write(all, written, total - written, position + written)).bytesWritten;
}
