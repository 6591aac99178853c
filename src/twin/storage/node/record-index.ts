/**
 * A node's records in memory, loaded from the meta files at start and kept in step with every
 * commit: by identity, and per bucket the keys in a sorted set (with each key's version records,
 * newest first), the uploads and their parts. Every read route of the API answers from here.
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { InventoryEntry } from './protocol.ts';
import { compareSeq, hasData, type BucketRecord, type PartRecord, type StoredRecord, type UploadRecord, type VersionRecord } from '../records.ts';
import { compareKeys } from './key-order.ts';
import type { ReplicaMeta } from './meta.ts';
import { SortedKeys } from './sorted-keys.ts';

export interface IndexEntry {
  /** `recordIdentity(meta.record)`. */
  readonly id: string;
  /** SHA-256 hex of the identity: the replica's file stem. */
  readonly hash: string;
  readonly meta: ReplicaMeta;
  /**
   * The bytes were found damaged (or missing) and moved aside. The record is still known — so a
   * quorum read still sees it and listings still show it — but the node serves no bytes for it and
   * leaves it out of its inventory and digests, so repair copies a good replica back.
   */
  readonly damaged?: boolean;
}

export interface ListQuery {
  readonly bucket: string;
  readonly prefix?: string;
  /** A key; listing starts after it. */
  readonly after?: string;
  /** Records per page. */
  readonly limit: number;
  /** Every version record, not only each key's greatest-seq one. */
  readonly all?: boolean;
}

export interface ListPage {
  readonly records: VersionRecord[];
  /** The last key listed, when more keys follow: pass it as `after`. */
  readonly next?: string;
}

export interface InventoryPage {
  readonly entries: InventoryEntry[];
  readonly next?: string;
}

interface BucketState {
  record: BucketRecord | undefined;
  keys: SortedKeys;
  /** Per key, its version records by seq, newest first. */
  readonly versions: Map<string, VersionRecord[]>;
  readonly uploads: Map<string, UploadRecord>;
  readonly parts: Map<string, Map<number, PartRecord>>;
}

export class RecordIndex {
  readonly #byId = new Map<string, IndexEntry>();
  #ids = new SortedKeys();
  readonly #buckets = new Map<string, BucketState>();
  #bytes = 0;
  #bulk = false;

  /** Builds an index from many entries at once, sorting each key set once instead of inserting. */
  static build(entries: Iterable<IndexEntry>): RecordIndex {
    const index = new RecordIndex();
    index.#bulk = true;
    for (const e of entries) index.set(e);
    index.#bulk = false;
    index.#ids = SortedKeys.from(index.#byId.keys());
    for (const b of index.#buckets.values()) b.keys = SortedKeys.from(b.versions.keys());
    return index;
  }

  /** Number of records. */
  get size(): number {
    return this.#byId.size;
  }

  /** Sum of the sizes of records with bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  get(id: string): IndexEntry | undefined {
    return this.#byId.get(id);
  }

  /** Entries of records with bytes, in identity order. */
  *dataEntries(): Generator<IndexEntry> {
    for (const id of this.#ids.from(undefined)) {
      const e = this.#byId.get(id);
      if (e !== undefined && hasData(e.meta.record)) yield e;
    }
  }

  /** Adds or replaces the entry of an identity (the caller has applied the seq rule). */
  set(entry: IndexEntry): void {
    const old = this.#byId.get(entry.id);
    if (old !== undefined) this.#unlink(old);
    this.#byId.set(entry.id, entry);
    if (!this.#bulk) this.#ids.add(entry.id);
    this.#link(entry);
  }

  delete(id: string): IndexEntry | undefined {
    const old = this.#byId.get(id);
    if (old === undefined) return undefined;
    this.#unlink(old);
    this.#byId.delete(id);
    this.#ids.delete(id);
    return old;
  }

  /** The key's greatest-seq version record (markers and tombstones included). */
  current(bucket: string, key: string): VersionRecord | undefined {
    return this.#buckets.get(bucket)?.versions.get(key)?.[0];
  }

  /** Every version record of the key, newest first. */
  versions(bucket: string, key: string): VersionRecord[] {
    return [...(this.#buckets.get(bucket)?.versions.get(key) ?? [])];
  }

  /**
   * A page of version records sorted by key, then seq descending. A key's versions are never split
   * across pages, so a page holds more than `limit` records only when one key alone has more.
   */
  list(q: ListQuery): ListPage {
    const b = this.#buckets.get(q.bucket);
    const records: VersionRecord[] = [];
    if (b === undefined) return { records };
    const prefix = q.prefix ?? '';
    const fromAfter = q.after !== undefined && compareKeys(q.after, prefix) >= 0;
    let last: string | undefined;
    for (const key of b.keys.from(fromAfter ? q.after : prefix, fromAfter)) {
      if (!key.startsWith(prefix)) break;
      const versions = b.versions.get(key)!;
      const take = q.all === true ? versions : versions.slice(0, 1);
      if (records.length > 0 && records.length + take.length > q.limit) return { records, next: last! };
      for (const r of take) records.push(r);
      last = key;
      if (records.length >= q.limit) {
        const more = b.keys.from(key, true).next();
        return more.done === true || !more.value.startsWith(prefix) ? { records } : { records, next: key };
      }
    }
    return { records };
  }

  buckets(): BucketRecord[] {
    const out: BucketRecord[] = [];
    for (const b of this.#buckets.values()) if (b.record !== undefined) out.push(b.record);
    return out.sort((x, y) => compareKeys(x.bucket, y.bucket));
  }

  uploads(bucket: string): UploadRecord[] {
    return [...(this.#buckets.get(bucket)?.uploads.values() ?? [])].sort((x, y) => compareKeys(x.uploadId, y.uploadId));
  }

  upload(bucket: string, uploadId: string): UploadRecord | undefined {
    return this.#buckets.get(bucket)?.uploads.get(uploadId);
  }

  /** The upload's part records, by part number. */
  parts(bucket: string, uploadId: string): PartRecord[] {
    return [...(this.#buckets.get(bucket)?.parts.get(uploadId)?.values() ?? [])].sort((x, y) => x.partNumber - y.partNumber);
  }

  /** A page of (identity, seq, hasData), in identity order, after `after`. */
  inventory(after: string | undefined, limit: number): InventoryPage {
    const entries: InventoryEntry[] = [];
    const it = this.#ids.from(after, true);
    for (let n = it.next(); !n.done; n = it.next()) {
      if (entries.length >= limit) return { entries, next: entries[entries.length - 1]!.id };
      const e = this.#byId.get(n.value)!;
      if (e.damaged === true) continue;
      entries.push({ id: e.id, seq: e.meta.record.seq, hasData: hasData(e.meta.record) });
    }
    return { entries };
  }

  /**
   * One hash per range of identity hashes (range i holds identities whose SHA-256, read as a
   * number, falls in the i-th of `ranges` equal slices; with 256 ranges, its first byte is i):
   * SHA-256 hex over the range's (identity, seq) pairs in identity order.
   */
  digest(ranges: number): string[] {
    const hashes = Array.from({ length: ranges }, () => createHash('sha256'));
    for (const id of this.#ids.from(undefined)) {
      const e = this.#byId.get(id)!;
      if (e.damaged === true) continue;
      const top = Number.parseInt(e.hash.slice(0, 8), 16);
      hashes[Math.floor((top * ranges) / 0x1_0000_0000)]!.update(`${JSON.stringify(id)} ${e.meta.record.seq}\n`);
    }
    return hashes.map((h) => h.digest('hex'));
  }

  #bucket(name: string): BucketState {
    let b = this.#buckets.get(name);
    if (b === undefined) {
      b = { record: undefined, keys: new SortedKeys(), versions: new Map(), uploads: new Map(), parts: new Map() };
      this.#buckets.set(name, b);
    }
    return b;
  }

  #link(e: IndexEntry): void {
    const r: StoredRecord = e.meta.record;
    if (hasData(r)) this.#bytes += (r as VersionRecord | PartRecord).size;
    const b = this.#bucket(r.bucket);
    switch (r.type) {
      case 'bucket':
        b.record = r;
        break;
      case 'upload':
        b.uploads.set(r.uploadId, r);
        break;
      case 'part': {
        let parts = b.parts.get(r.uploadId);
        if (parts === undefined) b.parts.set(r.uploadId, (parts = new Map()));
        parts.set(r.partNumber, r);
        break;
      }
      case 'version': {
        let list = b.versions.get(r.key);
        if (list === undefined) {
          b.versions.set(r.key, (list = []));
          if (!this.#bulk) b.keys.add(r.key);
        }
        let i = 0;
        while (i < list.length && newerFirst(list[i]!, r) < 0) i++;
        list.splice(i, 0, r);
        break;
      }
    }
  }

  #unlink(e: IndexEntry): void {
    const r: StoredRecord = e.meta.record;
    if (hasData(r)) this.#bytes -= (r as VersionRecord | PartRecord).size;
    const b = this.#buckets.get(r.bucket);
    if (b === undefined) return;
    switch (r.type) {
      case 'bucket':
        b.record = undefined;
        break;
      case 'upload':
        b.uploads.delete(r.uploadId);
        break;
      case 'part': {
        const parts = b.parts.get(r.uploadId);
        parts?.delete(r.partNumber);
        if (parts?.size === 0) b.parts.delete(r.uploadId);
        break;
      }
      case 'version': {
        const list = b.versions.get(r.key);
        if (list === undefined) break;
        const i = list.findIndex((v) => v.versionId === r.versionId);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) {
          b.versions.delete(r.key);
          b.keys.delete(r.key);
        }
        break;
      }
    }
    if (b.record === undefined && b.versions.size === 0 && b.uploads.size === 0 && b.parts.size === 0) this.#buckets.delete(r.bucket);
  }
}

/** Newest first: greater seq first, then versionId for a stable order. */
function newerFirst(a: VersionRecord, b: VersionRecord): number {
  return compareSeq(b.seq, a.seq) || compareKeys(a.versionId, b.versionId);
}
