/**
 * The storage nodes as one replicated store: quorum writes (a majority has the bytes on disk before
 * anything is acknowledged), quorum reads (enough nodes answer that at least one of them saw every
 * acknowledged write; the greatest seq wins), and reads of bytes that move on to another replica
 * when one fails or turns out damaged. Knows nothing of S3's API; the gateway does.
 */
import { Readable } from 'node:stream';
import { S3Error } from '../s3/s3-error.ts';
import { createHash } from 'node:crypto';
import { createChecksummer, type ChecksumAlgorithm } from '../s3/checksums.ts';
import { fanOut, type FanOutSink } from './fan-out.ts';
import { putTrailer, type NodeClient } from './node-client.ts';
import { compareSeq, recordIdentity, type PartRecord, type StoredRecord, type VersionRecord } from './records.ts';
import { ReplicaReader } from './replica-reader.ts';

/** How long a quorum waits for its first members before asking the others too. */
const HEDGE_MS = 250;

export interface ClusterMember {
  readonly zone: string;
  readonly client: NodeClient;
}

export interface ClusterOptions {
  /** The nodes now: one per zone; the region swaps a client when a node comes back elsewhere. */
  readonly members: () => readonly ClusterMember[];
  readonly writeQuorum: number;
  /** Ms a metadata answer may take before the node is passed over. @default 3000 */
  readonly answerTimeoutMs?: number;
}

/** What the endpoint computed of the bytes it wrote: size, hex MD5 (unless not asked for), base64 checksum (when one was asked for). */
export interface WriteDigest {
  readonly size: number;
  readonly md5?: string;
  readonly checksum?: string;
}

export interface WriteOptions {
  /** The bytes the source gives, exactly. */
  readonly size: number;
  /** The flexible checksum to compute (and have every node check). */
  readonly checksum?: ChecksumAlgorithm;
  /**
   * The caller's own value of that checksum, known once the source ended (a verified payload
   * computed it): the bytes are then not hashed again here. Rejecting refuses the write.
   */
  readonly checksumValue?: () => Promise<string>;
  /** @default true */
  readonly md5?: boolean;
}

/** A record as a quorum read it, and the members that hold exactly that record. */
export interface QuorumRead<R extends StoredRecord> {
  readonly record: R | undefined;
  readonly holders: readonly ClusterMember[];
  /** Members that answered (holders or not). */
  readonly answered: readonly ClusterMember[];
}

/** ServiceUnavailable (503, SlowDown's text, as S3 answers when it cannot serve): too few replicas answered. */
export function unavailable(what: string, got: number, needed: number): S3Error {
  return new S3Error('ServiceUnavailable', `Please reduce your request rate. (${what}: ${got} of the ${needed} storage replicas needed answered)`);
}

/** Kind rank for equal seqs: a purge beats the version it purges. */
function beats(a: StoredRecord, b: StoredRecord): boolean {
  const c = compareSeq(a.seq, b.seq);
  if (c !== 0) return c > 0;
  const rank = (r: StoredRecord): number => (r.type === 'version' && r.kind === 'tombstone' ? 1 : 0);
  return rank(a) > rank(b);
}

/** The winner of several replicas' answers for the same identity. */
export function newest<R extends StoredRecord>(records: readonly (R | undefined)[]): R | undefined {
  let best: R | undefined;
  for (const r of records) if (r !== undefined && (best === undefined || beats(r, best))) best = r;
  return best;
}

export class StorageCluster {
  readonly writeQuorum: number;
  private readonly answerTimeoutMs: number;
  /** Zones whose node failed its last request; tried last, and not waited for. */
  private readonly suspect = new Set<string>();

  constructor(private readonly opts: ClusterOptions) {
    this.writeQuorum = opts.writeQuorum;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 3000;
  }

  members(): readonly ClusterMember[] {
    return this.opts.members();
  }

  /** Answers needed so that every read meets every acknowledged write. */
  get readQuorum(): number {
    return this.members().length - this.writeQuorum + 1;
  }

  markUp(zone: string): void {
    this.suspect.delete(zone);
  }

  markDown(zone: string): void {
    this.suspect.add(zone);
  }

  isSuspect(zone: string): boolean {
    return this.suspect.has(zone);
  }

  /** Members, healthy first. */
  private ordered(): ClusterMember[] {
    const all = [...this.members()];
    return [...all.filter((m) => !this.suspect.has(m.zone)), ...all.filter((m) => this.suspect.has(m.zone))];
  }

  /**
   * Asks `needed` members (healthy ones first) and resolves once that many answered; a member that
   * fails, or has not answered within the hedge delay, brings in the next one. So a quorum costs
   * `needed` requests when every node is well, and a dead or hung node costs one retry, not a wait.
   * Writes pass `everyone`: every replica gets them, and the quorum is only what is waited for.
   */
  async ask<T>(what: string, needed: number, call: (m: ClusterMember) => Promise<T>, opts: { everyone?: boolean } = {}): Promise<{ member: ClusterMember; value: T }[]> {
    const members = this.ordered();
    if (members.length < needed) throw unavailable(what, members.length, needed);
    return new Promise((resolve, reject) => {
      const answers: { member: ClusterMember; value: T }[] = [];
      let failed = 0;
      let started = 0;
      let done = false;
      const finish = (err?: S3Error): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        clearTimeout(hedge);
        if (err === undefined) resolve(answers);
        else reject(err);
      };
      const launch = (): void => {
        if (done || started >= members.length) return;
        const m = members[started++]!;
        call(m).then(
          (value) => {
            this.suspect.delete(m.zone);
            if (done) return;
            answers.push({ member: m, value });
            if (answers.length >= needed) finish();
          },
          () => {
            this.suspect.add(m.zone);
            failed += 1;
            if (members.length - failed < needed) finish(unavailable(what, answers.length, needed));
            else launch();
          },
        );
      };
      const deadline = setTimeout(() => finish(unavailable(what, answers.length, needed)), this.answerTimeoutMs);
      // A member that neither answers nor fails (a hung process) is covered by asking the rest.
      const hedge = setTimeout(() => {
        while (started < members.length) launch();
      }, HEDGE_MS);
      for (let i = 0; i < (opts.everyone === true ? members.length : needed); i++) launch();
    });
  }

  /** One identity, read by a quorum. */
  async readRecord<R extends StoredRecord>(identity: string): Promise<QuorumRead<R>> {
    const answers = await this.ask('read', this.readQuorum, (m) => m.client.record(identity) as Promise<R | undefined>);
    return this.resolveAnswers(answers);
  }

  private resolveAnswers<R extends StoredRecord>(answers: readonly { member: ClusterMember; value: R | undefined }[]): QuorumRead<R> {
    const record = newest(answers.map((a) => a.value));
    const holders = record === undefined ? [] : answers.filter((a) => a.value !== undefined && a.value.seq === record.seq && a.value.type === record.type && (a.value.type !== 'version' || a.value.kind === (record as VersionRecord).kind)).map((a) => a.member);
    return { record, holders, answered: answers.map((a) => a.member) };
  }

  /**
   * A key's current version by quorum: the newest version that is not purged. A delete marker is
   * returned as such; undefined when the key never existed or every version was purged.
   */
  async readCurrent(bucket: string, key: string): Promise<QuorumRead<VersionRecord>> {
    const answers = await this.ask('read', this.readQuorum, (m) => m.client.current(bucket, key));
    const top = this.resolveAnswers(answers);
    if (top.record?.kind !== 'tombstone') return top;
    return this.currentFromVersions(bucket, key);
  }

  /**
   * readCurrent for a GET: each node asked also sends the record's bytes when they are small (up
   * to 256 KiB, read and verified at once), so a small object is served without another request.
   * `bytes` is set when a holder of the winning record sent them.
   */
  async readCurrentWithBytes(bucket: string, key: string): Promise<QuorumRead<VersionRecord> & { bytes?: Buffer }> {
    const answers = await this.ask('read', this.readQuorum, (m) => m.client.currentWithBytes(bucket, key));
    const top = this.resolveAnswers(answers.map((a) => ({ member: a.member, value: a.value?.record })));
    if (top.record?.kind === 'tombstone') return this.currentFromVersions(bucket, key);
    const bytes = answers.find((a) => a.value?.bytes !== undefined && top.holders.includes(a.member) && a.value.record.seq === top.record?.seq)?.value?.bytes;
    return bytes === undefined ? top : { ...top, bytes };
  }

  /** Every live version of a key, newest first, merged from a quorum (purged ones removed). */
  async readVersions(bucket: string, key: string): Promise<VersionRecord[]> {
    const answers = await this.ask('read', this.readQuorum, (m) => m.client.versions(bucket, key));
    return mergeVersions(answers.map((a) => a.value)).filter((r) => r.kind !== 'tombstone');
  }

  private async currentFromVersions(bucket: string, key: string): Promise<QuorumRead<VersionRecord>> {
    const answers = await this.ask('read', this.readQuorum, (m) => m.client.versions(bucket, key));
    const merged = mergeVersions(answers.map((a) => a.value));
    const record = merged.find((r) => r.kind !== 'tombstone');
    if (record === undefined) return { record: undefined, holders: [], answered: answers.map((a) => a.member) };
    const holders = answers.filter((a) => a.value.some((r) => r.versionId === record.versionId && r.seq === record.seq && r.kind === record.kind)).map((a) => a.member);
    return { record, holders, answered: answers.map((a) => a.member) };
  }

  /** Makes a record without bytes durable on a write quorum (and on every other node that answers). */
  async commit(record: StoredRecord): Promise<void> {
    await this.ask('write', this.writeQuorum, (m) => m.client.commit({ record }), { everyone: true });
  }

  /**
   * Streams `source` (exactly `size` bytes) to every member in one put request each, computing
   * its digest on the way; then lets `finish` build the record from the digest (it may throw to
   * refuse the write: a bad checksum, say) and ends each request with the record and the
   * checksum, which every node checks against the bytes it received before committing. Resolves
   * once a write quorum has committed. Refused or failed, nothing is committed anywhere: a put
   * request cut off before its trailer leaves nothing behind.
   */
  async write<R extends StoredRecord>(source: Readable, finish: (digest: WriteDigest) => Promise<R> | R, opts: WriteOptions): Promise<R> {
    const members = this.ordered();
    const controller = new AbortController();
    // The nodes always check a checksum of the bytes; CRC32 when the caller wants none.
    const algorithm = opts.checksum ?? 'CRC32';
    const puts = members.map((m) => {
      const p = m.client.putStream({ size: opts.size, checksum: algorithm, signal: controller.signal });
      const done = p.done.then(
        (result) => {
          this.suspect.delete(m.zone);
          return result;
        },
        (error: unknown) => {
          this.suspect.add(m.zone);
          throw error;
        },
      );
      done.catch(() => {});
      const sink: FanOutSink = { body: p.body, drop: () => p.body.destroy() };
      return { member: m, sink, done };
    });
    const md5 = opts.md5 === false ? undefined : createHash('md5');
    const sum = opts.checksumValue === undefined ? createChecksummer(algorithm) : undefined;
    let size = 0;
    const digestChunk = (chunk: Buffer): void => {
      md5?.update(chunk);
      sum?.update(chunk);
      size += chunk.length;
    };
    source.on('data', digestChunk);
    let live: FanOutSink[];
    try {
      live = await fanOut(source, puts.map((p) => p.sink), { minLive: this.writeQuorum, end: false });
    } catch (e) {
      controller.abort();
      source.destroy(); // a copy's source stops reading the rest of an object nobody will store
      throw e instanceof S3Error ? e : unavailable('write', 0, this.writeQuorum);
    } finally {
      source.off('data', digestChunk);
    }
    const running = puts.filter((p) => live.includes(p.sink));
    let checksum: string;
    let record: R;
    try {
      if (size !== opts.size) throw new S3Error('InternalError', `We encountered an internal error. Please try again. (the source gave ${size} of the ${opts.size} bytes announced)`);
      checksum = sum === undefined ? await opts.checksumValue!() : sum.digest().toString('base64');
      record = await finish({ size, ...(md5 === undefined ? {} : { md5: md5.digest('hex') }), ...(opts.checksum === undefined ? {} : { checksum }) });
    } catch (e) {
      controller.abort();
      for (const p of running) p.sink.body.destroy();
      throw e;
    }
    const trailer = putTrailer(record, checksum);
    for (const p of running) p.sink.body.end(trailer);
    await this.askAmong('write', running, (p) => p.done);
    return record;
  }

  /** Like ask(), over a fixed set of replicas written to. */
  private async askAmong<T, U>(what: string, among: readonly (T & { member: ClusterMember })[], call: (a: T & { member: ClusterMember }) => Promise<U>): Promise<void> {
    const needed = this.writeQuorum;
    await new Promise<void>((resolve, reject) => {
      let okCount = 0;
      let failed = 0;
      for (const a of among) {
        call(a).then(
          () => {
            okCount += 1;
            if (okCount === needed) resolve();
          },
          () => {
            this.suspect.add(a.member.zone);
            failed += 1;
            if (among.length - failed < needed) reject(unavailable(what, okCount, needed));
          },
        );
      }
    });
  }

  /**
   * The bytes of a record (a range of them, inclusive), from the first holder that serves them
   * intact; a replica that fails mid-way is left for the next one from where it stopped.
   */
  openData(record: VersionRecord | PartRecord, holders: readonly ClusterMember[], range?: { start: number; end: number }): Readable {
    const identity = recordIdentity(record);
    const preferred = [...holders.filter((h) => !this.suspect.has(h.zone)), ...holders.filter((h) => this.suspect.has(h.zone))];
    const others = this.ordered().filter((m) => !holders.includes(m));
    return new ReplicaReader({
      start: range?.start ?? 0,
      end: range?.end ?? record.size - 1,
      sources: [...preferred, ...others].map((m) => ({
        name: m.zone,
        open: (start: number, end: number) => m.client.data(identity, { start, end }, { seq: record.seq }),
        failed: () => this.suspect.add(m.zone),
      })),
    });
  }
}

/** Several replicas' lists merged: the winner for each identity `idOf` gives, in the order the identities were first seen. */
export function newestEach<R extends StoredRecord, K>(lists: readonly (readonly R[])[], idOf: (r: R) => K): R[] {
  const best = new Map<K, R>();
  for (const list of lists) {
    for (const r of list) {
      const id = idOf(r);
      const prev = best.get(id);
      if (prev === undefined || beats(r, prev)) best.set(id, r);
    }
  }
  return [...best.values()];
}

/** Several replicas' version lists for one key merged: one record per version (the winner), newest first. */
export function mergeVersions(lists: readonly (readonly VersionRecord[])[]): VersionRecord[] {
  return newestEach(lists, (r) => r.versionId).sort((a, b) => compareSeq(b.seq, a.seq));
}
