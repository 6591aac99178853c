/**
 * The node's write-ahead journal: small commits (a record and its bytes, or a record alone) are
 * appended to one file and made durable together: one round of syncing (an fdatasync of each segment
 * written to) for every commit that arrived while the last round ran (group commit), instead of two
 * file fsyncs and a folder fsync each. A commit is
 * answered once its entry is durable; its replica files are then written without fsync.
 *
 * The journal is a series of segments `journal/<n>.log`. When a segment passes its size, appends
 * move to a new one and the old one is checkpointed: once every commit written to it has put its
 * files in place, those files and their folders are made durable — by one syncfs of the node's
 * filesystem (sync-filesystem.ts; a node's data folder is one filesystem), or an fsync each where
 * syncfs cannot be reached — and the segment is deleted. At start,
 * journal-replay.ts applies whatever segments remain, so a crash (of the process or the machine)
 * loses no answered commit. A failed fdatasync fails every commit in that segment not answered yet
 * (also those written while it ran: a later fdatasync could report success over the lost pages) and
 * moves appends to a new segment, so no answered entry sits behind pages that may not have reached
 * the disk.
 *
 * Entry: u32le payload length, u32le CRC32 of the payload, then the payload: u32le meta length,
 * the meta JSON (meta.ts), the bytes. A torn last entry (a crash mid-append) fails its CRC or its
 * length and ends the segment there; it was never answered.
 */
import fs, { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from '../../../util/fsync-path.ts';
import { probeSyncMethod, syncPaths, type SyncMethod } from '../../../util/sync-filesystem.ts';
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

class Segment {
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  /** Entries written and not settled yet (waiting for their sync, or for their commit's files). */
  open = 0;
  /** Whether the segment's name is durable in the journal folder (fsynced after creation). */
  named = false;
  /** Bytes written to it. */
  size = 0;
  /**
   * Why a sync of it failed, if one did. Every entry written to it before then, answered or not,
   * may sit behind pages that never reached the disk (a later fdatasync can report success over
   * them), so its waiters are refused from then on and appends move on.
   */
  failure: unknown = undefined;
  #settled: (() => void) | undefined;
  #closed = false;

  constructor(
    readonly file: string,
    readonly fd: number,
  ) {}

  ticket(): JournalTicket {
    let done = false;
    return {
      settle: (files, dir) => {
        if (done) return;
        done = true;
        for (const f of files) this.files.add(f);
        if (dir !== undefined) this.dirs.add(dir);
        this.release();
      },
    };
  }

  /** One entry fewer to wait for. */
  release(): void {
    if (--this.open === 0) this.#settled?.();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }

  /** Resolves once every entry written is settled. */
  quiet(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#settled = resolve;
    });
  }
}

interface Waiter {
  /** The entry's number: it is durable once a sync that began after it was written completes. */
  readonly n: number;
  readonly segment: Segment;
  readonly resolve: (t: JournalTicket) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Appends are written at once (a page-cache write, no thread hop); durability comes from a sync
 * loop that fdatasyncs whatever was written since its last turn, so every commit that arrived
 * during one fdatasync is covered by the next (group commit).
 */
export class Journal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #method: SyncMethod;
  readonly #syncData: (fd: number) => Promise<void>;
  #segment: Segment;
  #next: number;
  #written = 0;
  #waiters: Waiter[] = [];
  readonly #dirty = new Set<Segment>();
  #syncing = false;
  #syncRun: Promise<void> = Promise.resolve();
  #closed = false;
  #checkpoints: Promise<void> = Promise.resolve();
  #syncs = 0;
  #appends = 0;

  private constructor(dir: string, segment: Segment, next: number, segmentBytes: number, method: SyncMethod, syncData: (fd: number) => Promise<void>) {
    this.#dir = dir;
    this.#syncData = syncData;
    this.#segment = segment;
    this.#next = next;
    this.#segmentBytes = segmentBytes;
    this.#method = method;
  }

  /**
   * Starts a new segment after `after` (the greatest segment number seen, replayed and removed).
   * `syncData` makes a segment's written bytes durable (fdatasync unless given: a seam for faults).
   */
  static async open(dataDir: string, opts: { segmentBytes?: number; after?: number; syncData?: (fd: number) => Promise<void> } = {}): Promise<Journal> {
    const dir = path.join(dataDir, JOURNAL_DIR);
    await mkdir(dir, { recursive: true });
    const n = (opts.after ?? 0) + 1;
    const segment = createSegment(dir, n);
    // The new file's name must be durable before an entry in it counts as durable.
    await fsyncPath(dir);
    segment.named = true;
    return new Journal(dir, segment, n + 1, opts.segmentBytes ?? SEGMENT_BYTES, await probeSyncMethod(dir), opts.syncData ?? fdatasync);
  }

  /** Entries made durable so far. */
  get appends(): number {
    return this.#appends;
  }

  /** Sync rounds of the journal so far that made something durable: fewer than the entries when commits were grouped. */
  get syncs(): number {
    return this.#syncs;
  }

  /** How a checkpoint makes the journaled files durable: one syncfs, or an fsync per file. */
  get checkpointMethod(): SyncMethod {
    return this.#method;
  }

  /** Appends an entry; resolves once it is durable, with the ticket the commit settles after writing its files. */
  append(meta: string, data: Buffer | undefined): Promise<JournalTicket> {
    if (this.#closed) return Promise.reject(new Error('the journal is closed'));
    const parts = encodeEntry(meta, data);
    let segment: Segment;
    try {
      if (this.#segment.size >= this.#segmentBytes || this.#segment.failure !== undefined) this.#rotate();
      segment = this.#segment;
      segment.size += writeAllSync(segment.fd, parts, segment.size);
    } catch (err) {
      return Promise.reject(err);
    }
    segment.open++;
    this.#dirty.add(segment);
    const n = ++this.#written;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ n, segment, resolve, reject });
      if (!this.#syncing) {
        this.#syncing = true;
        this.#syncRun = this.#syncLoop();
      }
    });
  }

  /** Refuses new appends, waits for those and checkpoints under way, then checkpoints the current segment too. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#syncRun;
    await this.#checkpoints;
    await checkpoint(this.#segment, this.#method);
  }

  async #syncLoop(): Promise<void> {
    try {
      let done = 0;
      while (done < this.#written) {
        const target = this.#written;
        const segments = [...this.#dirty].filter((s) => s.failure === undefined);
        this.#dirty.clear();
        let synced = 0;
        for (const s of segments) {
          try {
            if (!s.named) {
              await fsyncPath(this.#dir);
              s.named = true;
            }
            await this.#syncData(s.fd);
            synced++;
          } catch (err) {
            s.failure = err;
          }
        }
        if (synced > 0) this.#syncs++;
        done = target;
        const due = this.#waiters.filter((w) => w.n <= target);
        this.#waiters = this.#waiters.filter((w) => w.n > target);
        for (const w of due) {
          if (w.segment.failure === undefined) {
            this.#appends++;
            w.resolve(w.segment.ticket());
          } else {
            w.segment.release();
            w.reject(w.segment.failure);
          }
        }
      }
    } finally {
      this.#syncing = false;
    }
  }

  /** Moves appends to a new segment (its name is made durable by the next sync) and checkpoints the old one. */
  #rotate(): void {
    // A failed segment is still checkpointed: its answered entries precede the failure.
    const sealed = this.#segment;
    this.#segment = createSegment(this.#dir, this.#next++);
    this.#checkpoints = this.#checkpoints.then(() => checkpoint(sealed, this.#method)).catch(() => undefined);
  }
}

function createSegment(dir: string, n: number): Segment {
  const file = path.join(dir, `${String(n).padStart(16, '0')}.log`);
  return new Segment(file, openSync(file, 'wx', 0o600));
}

/** Once its entries are settled: makes the files their commits wrote durable, then deletes the segment. */
async function checkpoint(segment: Segment, method: SyncMethod): Promise<void> {
  await segment.quiet();
  segment.close();
  await syncPaths(method, segment.file, segment.files, segment.dirs);
  await rm(segment.file, { force: true });
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err === null ? resolve() : reject(err))));
}

/** Writes every part at `position`; returns the bytes written. */
function writeAllSync(fd: number, parts: Buffer[], position: number): number {
  const total = parts.reduce((n, p) => n + p.length, 0);
  let written = writevSync(fd, parts, position);
  if (written === total) return total;
  const all = Buffer.concat(parts);
  while (written < total) written += writeSync(fd, all, written, total - written, position + written);
  return total;
}
