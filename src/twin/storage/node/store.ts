/**
 * A node's replicas on disk and in memory: commits (with the seq rule), reads opened under the
 * identity's lock, quarantine of damaged replicas, and assembly of multipart objects from local
 * part files. A commit answers only once its bytes and meta are durable, in one of two ways.
 *
 * Staged bytes (large objects, assemblies, repairs):
 *   1. write `<hash>.meta.next` (naming the stage id) and fsync it
 *   2. rename the staged bytes to `<hash>.data`
 *   3. rename `.meta.next` to `.meta`
 *   4. fsync the shard folder (shared with concurrent commits there), then update the index
 * recover.ts puts a folder killed between any two steps back in order.
 *
 * Journaled (records without bytes, and bytes up to INLINE_MAX_BYTES held in memory): the meta and
 * the bytes are appended to the journal, durable with the commits grouped with them (journal.ts);
 * then the files are written without fsync (synchronously: small writes to the page cache cost
 * less than a thread-pool hop each) and the index updated. journal-replay.ts rewrites them
 * at start if they did not reach the disk.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { HastackError } from '../../../errors.ts';
import { parseChecksumAlgorithm } from '../../s3/checksums.ts';
import { storageError } from '../errors.ts';
import { compareSeq, hasData, recordIdentity, type PartRecord, type StoredRecord, type VersionRecord } from '../records.ts';
import { DirSyncer } from './dir-sync.ts';
import { writeFileDurably } from './durable-file.ts';
import { KeyedMutex } from '../../../util/keyed-mutex.ts';
import { ensureLayout, identityHash, metaNextFile, replicaFilesByHash, shardDir, STAGE_ID_PATTERN, stagingFile } from './layout.ts';
import { encodeMeta, type ReplicaMeta } from './meta.ts';
import type { AssembleRequest, AssembleResult, CommitResult, NodeHealth } from './protocol.ts';
import { moveDataToQuarantine } from './quarantine.ts';
import { checkRecord, describe, invalid, isObject, requireCount, requireString } from './record-check.ts';
import { Journal } from './journal.ts';
import { replayJournal } from './journal-replay.ts';
import { RecordIndex, type IndexEntry } from './record-index.ts';
import { recoverReplicas, type LogFn } from './recover.ts';
import { Staging, type StagedBytes } from './staging.ts';
import { checkBlocks, DamagedReplicaError, readVerifiedBlocks, type BlockLayout } from './verified-read.ts';

export interface OpenedReplica {
  readonly entry: IndexEntry;
  readonly layout: BlockLayout;
  /** Open on the bytes that match `entry`; the caller closes it. */
  readonly fh: FileHandle;
}

/** Bytes up to this size are received in memory and committed through the journal. */
export const INLINE_MAX_BYTES = 256 * 1024;

/** Bytes received in memory for a journaled commit, with what the node computed of them. */
export interface InlineBytes {
  readonly data: Buffer;
  readonly blockSize: number;
  readonly crcs: readonly number[];
}

export class ReplicaStore {
  readonly dataDir: string;
  readonly staging: Staging;
  readonly #journal: Journal;
  #index: RecordIndex;
  #quarantined: number;
  readonly #log: LogFn;
  readonly #locks = new KeyedMutex();
  readonly #dirs = new DirSyncer();
  readonly #inflight = new Set<Promise<unknown>>();

  private constructor(dataDir: string, journal: Journal, index: RecordIndex, quarantined: number, log: LogFn, stageTtlMs: number | undefined) {
    this.dataDir = dataDir;
    this.#journal = journal;
    this.#index = index;
    this.#quarantined = quarantined;
    this.#log = log;
    this.staging = new Staging(dataDir, stageTtlMs);
  }

  /** Recovers the folder (creating its layout if new) and loads every record. */
  static async open(dataDir: string, log: LogFn, opts: { stageTtlMs?: number } = {}): Promise<ReplicaStore> {
    await ensureLayout(dataDir);
    const t0 = Date.now();
    const replayed = await replayJournal(dataDir, log);
    const recovered = await recoverReplicas(dataDir, log);
    const journal = await Journal.open(dataDir, { after: replayed.last });
    const store = new ReplicaStore(dataDir, journal, RecordIndex.build(recovered.entries), recovered.quarantined, log, opts.stageTtlMs);
    const cleared = await store.staging.clearAll();
    log('store-loaded', { records: store.#index.size, bytes: store.#index.bytes, quarantined: recovered.quarantined, stagedRemoved: cleared, ms: Date.now() - t0 });
    return store;
  }

  get index(): RecordIndex {
    return this.#index;
  }

  /** Replicas moved to quarantine since start (including while loading). */
  get quarantined(): number {
    return this.#quarantined;
  }

  /** Directory fsyncs issued (commits share them). */
  get dirFsyncs(): number {
    return this.#dirs.fsyncs;
  }

  /** Journaled commits, and the fdatasyncs that made them durable (grouped: fewer syncs than commits under load). */
  get journal(): NodeHealth['journal'] {
    return { commits: this.#journal.appends, syncs: this.#journal.syncs, checkpoint: this.#journal.checkpointMethod };
  }

  /** Applies a commit request received as JSON (validated here). */
  async commit(body: unknown): Promise<CommitResult> {
    if (!isObject(body)) throw invalid('body', body, 'a JSON object { stageId?, record }');
    const record = checkRecord(body['record']);
    const stageId = body['stageId'];
    if (stageId !== undefined && (typeof stageId !== 'string' || !STAGE_ID_PATTERN.test(stageId))) throw invalid('stageId', stageId, 'a stage id (32 hex digits) from /stage');
    if (hasData(record) && stageId === undefined) throw invalid('stageId', stageId, `a stage id: ${record.type === 'part' ? 'a part' : 'an object version'} record needs staged bytes`);
    if (!hasData(record) && stageId !== undefined) throw invalid('stageId', stageId, 'no stage id: this record has no bytes');
    if (stageId === undefined) return { applied: await this.commitInline(record, undefined) };
    const staged = this.staging.take(stageId);
    if (staged === undefined) throw storageError('HASTACK_STORAGE_STAGE_NOT_FOUND', `stage ${stageId} is not held by this node (never staged, aborted, already committed or expired)`);
    const size = (record as VersionRecord | PartRecord).size;
    if (staged.size !== size) {
      this.staging.discard(staged).catch(() => undefined);
      throw storageError('HASTACK_STORAGE_SIZE_MISMATCH', `record.size is ${size} but stage ${stageId} holds ${staged.size} bytes`);
    }
    return { applied: await this.commitStaged(record, staged) };
  }

  /** Commits a checked record with its staged bytes (the fsync path); the stage is consumed either way. */
  commitStaged(record: StoredRecord, staged: StagedBytes): Promise<boolean> {
    return this.#track(this.#apply(record, staged));
  }

  /**
   * Commits a record with bytes received in memory, or without bytes, through the journal. The
   * caller checked the record and that the bytes are the ones it describes.
   */
  commitInline(record: StoredRecord, bytes: InlineBytes | undefined): Promise<boolean> {
    return this.#track(this.#applyInline(record, bytes));
  }

  /** Waits for every commit and assembly under way (for a graceful stop). */
  async drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** After drain(): makes the journaled files durable and closes the journal. */
  async close(): Promise<void> {
    await this.drain();
    await this.#journal.close();
  }

  /** Opens a replica's bytes under its lock; undefined when the node holds no bytes for the identity. */
  async openForRead(id: string): Promise<OpenedReplica | undefined> {
    return this.#locks.run(id, async () => {
      const entry = this.#withBytes(id);
      if (entry === undefined) return undefined;
      let fh: FileHandle;
      try {
        fh = await open(replicaFilesByHash(this.dataDir, entry.hash).data, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioFailed('opening a replica', err);
        await this.#quarantineLocked(entry, 'data file missing');
        return undefined;
      }
      return { entry, fh, layout: layoutOf(entry.meta) };
    });
  }

  /**
   * A replica of at most INLINE_MAX_BYTES read whole and verified at once — no thread hop — when no
   * commit or read of its identity holds the lock (a synchronous read cannot interleave with one
   * that starts later). 'use-open' when it is larger or the lock is held: read it through
   * openForRead. Undefined when the node holds no good bytes for the identity: a missing file, or
   * one whose blocks fail their check, is quarantined.
   */
  readSmall(id: string): { entry: IndexEntry; data: Buffer } | 'use-open' | undefined {
    const entry = this.#withBytes(id);
    if (entry === undefined) return undefined;
    const layout = layoutOf(entry.meta);
    if (layout.size > INLINE_MAX_BYTES || this.#locks.held(id)) return 'use-open';
    const data = Buffer.allocUnsafe(layout.size);
    let got = 0;
    let fd: number;
    try {
      fd = openSync(replicaFilesByHash(this.dataDir, entry.hash).data, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioFailed('opening a replica', err);
      void this.quarantine(entry, 'data file missing').catch(() => undefined);
      return undefined;
    }
    try {
      while (got < data.length) {
        const n = readSync(fd, data, got, data.length - got, got);
        if (n === 0) break;
        got += n;
      }
    } catch (err) {
      throw ioFailed('reading a replica', err);
    } finally {
      closeSync(fd);
    }
    try {
      checkBlocks(data, got, layout);
    } catch (err) {
      if (!(err instanceof DamagedReplicaError)) throw err;
      void this.quarantine(entry, `read: ${err.message}`).catch(() => undefined);
      return undefined;
    }
    return { entry, data };
  }

  /** The identity's entry when the node should hold good bytes for it. */
  #withBytes(id: string): IndexEntry | undefined {
    const entry = this.#index.get(id);
    return entry === undefined || entry.damaged === true || !hasData(entry.meta.record) ? undefined : entry;
  }

  /** Moves a damaged replica aside and forgets it, unless a commit replaced it meanwhile. */
  async quarantine(entry: IndexEntry, reason: string): Promise<boolean> {
    return this.#locks.run(entry.id, () => this.#quarantineLocked(entry, reason));
  }

  /** Builds a completed upload's object from the local part files; see AssembleRequest. */
  async assemble(body: unknown): Promise<AssembleResult> {
    const req = checkAssemble(body);
    return await this.#track(this.#assemble(req));
  }

  async #assemble(req: AssembleRequest): Promise<AssembleResult> {
    const found: IndexEntry[] = [];
    const missing: number[] = [];
    for (const p of req.parts) {
      const e = this.#index.get(partIdentity(req.bucket, req.uploadId, p.partNumber));
      if (e === undefined || (e.meta.record as PartRecord).etag !== p.etag) missing.push(p.partNumber);
      else found.push(e);
    }
    if (missing.length > 0) return { ok: false, missing };
    const total = found.reduce((n, e) => n + (e.meta.record as PartRecord).size, 0);
    if (total !== req.record.size) throw storageError('HASTACK_STORAGE_SIZE_MISMATCH', `record.size is ${req.record.size} but the listed parts hold ${total} bytes`);
    const writer = await this.staging.writer({ md5: false, ...(req.checksum !== undefined ? { checksum: req.checksum } : {}) });
    let staged: StagedBytes;
    try {
      for (const [i, p] of req.parts.entries()) {
        const opened = await this.openForRead(found[i]!.id);
        if (opened === undefined || (opened.entry.meta.record as PartRecord).etag !== p.etag) {
          await opened?.fh.close();
          missing.push(p.partNumber);
          continue;
        }
        try {
          for await (const block of readVerifiedBlocks(opened.fh, opened.layout)) await writer.write(block.data);
        } catch (err) {
          if (!(err instanceof DamagedReplicaError)) throw err;
          await this.quarantine(opened.entry, err.message);
          missing.push(p.partNumber);
        } finally {
          await opened.fh.close();
        }
      }
      if (missing.length > 0) {
        await writer.destroy();
        return { ok: false, missing };
      }
      staged = await writer.finish();
    } catch (err) {
      await writer.destroy();
      throw err;
    }
    this.staging.take(staged.id);
    await this.#apply(req.record, staged);
    return staged.checksum !== undefined ? { ok: true, checksum: staged.checksum } : { ok: true };
  }

  /** Whether a commit of `record` (with bytes or not) must be refused: the seq rule, and parts of finished uploads. */
  #refused(record: StoredRecord, existing: IndexEntry | undefined, withBytes: boolean): boolean {
    // A damaged replica takes its own record again (same seq) when repair brings good bytes.
    const order = existing === undefined ? 1 : compareSeq(record.seq, existing.meta.record.seq);
    const stale = existing !== undefined && (order < 0 || (order === 0 && !(existing.damaged === true && withBytes)));
    return stale || (record.type === 'part' && this.#uploadFinished(record.bucket, record.uploadId));
  }

  /** The seq rule, then the durable write; the staged bytes are consumed either way. */
  async #apply(record: StoredRecord, staged: StagedBytes | undefined): Promise<boolean> {
    const id = recordIdentity(record);
    const applied = await this.#locks.run(id, async () => {
      const existing = this.#index.get(id);
      if (this.#refused(record, existing, staged !== undefined)) {
        if (staged !== undefined) await this.staging.discard(staged);
        return false;
      }
      const hash = existing?.hash ?? identityHash(id);
      const files = replicaFilesByHash(this.dataDir, hash);
      const next = metaNextFile(this.dataDir, hash);
      const meta: ReplicaMeta =
        staged === undefined
          ? { record }
          : { record, blockSize: staged.blockSize, crcs: staged.crcs, ...(staged.md5 !== undefined ? { md5: staged.md5 } : {}) };
      try {
        await writeFileDurably(next, encodeMeta(staged === undefined ? meta : { ...meta, stageId: staged.id }));
        if (staged !== undefined) await rename(staged.file, files.data);
        await rename(next, files.meta);
        if (staged === undefined && existing !== undefined && hasData(existing.meta.record)) await rm(files.data, { force: true });
        await this.#dirs.sync(shardDir(this.dataDir, hash));
      } catch (err) {
        await rm(next, { force: true }).catch(() => undefined);
        if (staged !== undefined) await this.staging.discard(staged).catch(() => undefined);
        throw ioFailed('committing a record', err);
      }
      this.#index.set({ id, hash, meta });
      return true;
    });
    if (applied) await this.#afterApply(record);
    return applied;
  }

  async #applyInline(record: StoredRecord, bytes: InlineBytes | undefined): Promise<boolean> {
    const id = recordIdentity(record);
    const applied = await this.#locks.run(id, async () => {
      const existing = this.#index.get(id);
      if (this.#refused(record, existing, bytes !== undefined)) return false;
      const hash = existing?.hash ?? identityHash(id);
      const files = replicaFilesByHash(this.dataDir, hash);
      const meta: ReplicaMeta =
        bytes === undefined ? { record } : { record, blockSize: bytes.blockSize, crcs: bytes.crcs };
      const text = encodeMeta(meta);
      let ticket;
      try {
        ticket = await this.#journal.append(text, bytes?.data);
      } catch (err) {
        throw ioFailed('journaling a record', err);
      }
      // Small files in the page cache: written in place, without a thread hop per call.
      try {
        const held = existing !== undefined && existing.damaged !== true && hasData(existing.meta.record);
        if (bytes !== undefined && held) {
          // A reader may have the old bytes open: new bytes go in beside them, then take their name.
          const tmp = stagingFile(this.dataDir, randomBytes(16).toString('hex'));
          writeFileSync(tmp, bytes.data, { mode: 0o600 });
          renameSync(tmp, files.data);
        } else if (bytes !== undefined) writeFileSync(files.data, bytes.data, { mode: 0o600 });
        else if (held) rmSync(files.data, { force: true });
        writeFileSync(files.meta, text, { mode: 0o600 });
      } catch (err) {
        throw ioFailed('writing a journaled record', err);
      } finally {
        ticket.settle([files.data, files.meta], shardDir(this.dataDir, hash));
      }
      this.#index.set({ id, hash, meta });
      return true;
    });
    if (applied) await this.#afterApply(record);
    return applied;
  }

  /** A finished upload's parts are dropped, whichever commit finished it. */
  async #afterApply(record: StoredRecord): Promise<void> {
    if (record.type === 'upload' && record.state !== 'open') await this.#dropParts(record.bucket, record.uploadId);
    if (record.type === 'part' && this.#uploadFinished(record.bucket, record.uploadId)) await this.#dropParts(record.bucket, record.uploadId);
  }

  #uploadFinished(bucket: string, uploadId: string): boolean {
    const u = this.#index.upload(bucket, uploadId);
    return u !== undefined && u.state !== 'open';
  }

  /** Removes a finished upload's part records and bytes: nothing needs them any more. */
  async #dropParts(bucket: string, uploadId: string): Promise<void> {
    for (const part of this.#index.parts(bucket, uploadId)) {
      const id = recordIdentity(part);
      await this.#locks.run(id, async () => {
        const e = this.#index.get(id);
        if (e === undefined) return;
        const files = replicaFilesByHash(this.dataDir, e.hash);
        await rm(files.meta, { force: true });
        await rm(files.data, { force: true });
        this.#index.delete(id);
      });
    }
  }

  async #quarantineLocked(entry: IndexEntry, reason: string): Promise<boolean> {
    if (this.#index.get(entry.id) !== entry || entry.damaged === true) return false;
    const to = await moveDataToQuarantine(this.dataDir, entry.hash);
    this.#index.set({ ...entry, damaged: true });
    this.#quarantined++;
    this.#log('replica-quarantined', { id: entry.id, hash: entry.hash, seq: entry.meta.record.seq, reason, movedTo: to.data });
    return true;
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    const done = (): void => {
      this.#inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }
}

function partIdentity(bucket: string, uploadId: string, partNumber: number): string {
  return recordIdentity({ type: 'part', bucket, uploadId, partNumber } as PartRecord);
}

function layoutOf(meta: ReplicaMeta): BlockLayout {
  return { size: (meta.record as VersionRecord | PartRecord).size, blockSize: meta.blockSize!, crcs: meta.crcs! };
}

function ioFailed(what: string, err: unknown): HastackError {
  return storageError('HASTACK_STORAGE_IO_FAILED', `${what} failed: ${(err as Error).message}`, { cause: err });
}

function checkAssemble(body: unknown): AssembleRequest {
  if (!isObject(body)) throw invalid('body', body, 'a JSON object { bucket, uploadId, parts, record, checksum? }');
  const bucket = requireString(body, 'bucket', 'bucket');
  requireString(body, 'uploadId', 'uploadId');
  const parts = body['parts'];
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > 10000) throw invalid('parts', parts, 'a list of 1 to 10000 { partNumber, etag }');
  parts.forEach((p: unknown, i) => {
    if (!isObject(p)) throw invalid(`parts[${i}]`, p, 'an object { partNumber, etag }');
    requireCount(p, 'partNumber', `parts[${i}].partNumber`, 1, 10000);
    requireString(p, 'etag', `parts[${i}].etag`);
  });
  const record = checkRecord(body['record']);
  if (record.type !== 'version' || record.kind !== 'object') throw invalid('record', `${record.type}${record.type === 'version' ? ` ${record.kind}` : ''}`, 'an object version record');
  if (record.bucket !== bucket) throw invalid('record.bucket', record.bucket, `the upload's bucket ${describe(bucket)}`);
  const checksum = body['checksum'];
  if (checksum !== undefined && (typeof checksum !== 'string' || parseChecksumAlgorithm(checksum) !== checksum)) {
    throw invalid('checksum', checksum, 'one of CRC32, CRC32C, CRC64NVME, SHA1, SHA256');
  }
  return body as unknown as AssembleRequest;
}
