/**
 * The scrubber: a background loop that re-reads every replica's bytes at a bounded rate, checks
 * each block against its CRC32 (and the file's length against the record's size), and quarantines
 * damaged replicas exactly as a read does, so rot is found even in objects nobody reads.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { VersionRecord, PartRecord } from '../records.ts';
import type { LogFn } from './recover.ts';
import type { ReplicaStore } from './store.ts';
import { DamagedReplicaError, readVerifiedBlocks } from './verified-read.ts';

export const DEFAULT_SCRUB_INTERVAL_MS = 60_000;
export const DEFAULT_SCRUB_BYTES_PER_SECOND = 32 * 1024 * 1024;

export interface ScrubberOptions {
  /** A pass starts this long after the previous one started (or at once, if it took longer). */
  readonly intervalMs?: number;
  readonly bytesPerSecond?: number;
}

export interface ScrubStatus {
  readonly passes: number;
  readonly lastPassAt: number | undefined;
  readonly bytesVerified: number;
}

export class Scrubber {
  readonly #store: ReplicaStore;
  readonly #log: LogFn;
  readonly #intervalMs: number;
  readonly #rate: number;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #passes = 0;
  #lastPassAt: number | undefined;
  #bytesVerified = 0;

  constructor(store: ReplicaStore, log: LogFn, opts: ScrubberOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#intervalMs = opts.intervalMs ?? DEFAULT_SCRUB_INTERVAL_MS;
    this.#rate = opts.bytesPerSecond ?? DEFAULT_SCRUB_BYTES_PER_SECOND;
  }

  get status(): ScrubStatus {
    return { passes: this.#passes, lastPassAt: this.#lastPassAt, bytesVerified: this.#bytesVerified };
  }

  /** Starts the loop; the first pass begins one interval from now. */
  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) => this.#log('scrub-failed', { error: (err as Error).message }));
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let nextAt = Date.now() + this.#intervalMs;
    while (!signal.aborted) {
      if (!(await this.#pause(nextAt - Date.now()))) return;
      const started = Date.now();
      nextAt = started + this.#intervalMs;
      const { bytes, damaged } = await this.#pass();
      if (signal.aborted) return;
      this.#passes++;
      this.#lastPassAt = Date.now();
      this.#log('scrub-pass', { pass: this.#passes, bytes, damaged, ms: this.#lastPassAt - started });
    }
  }

  async #pass(): Promise<{ bytes: number; damaged: number }> {
    const ids = [...this.#store.index.dataEntries()].map((e) => e.id);
    const started = Date.now();
    let bytes = 0;
    let damaged = 0;
    for (const id of ids) {
      if (this.#stop.signal.aborted) break;
      const opened = await this.#store.openForRead(id).catch((err: unknown) => {
        this.#log('scrub-read-failed', { id, error: (err as Error).message });
        return undefined;
      });
      if (opened === undefined) continue;
      try {
        const { size } = await opened.fh.stat();
        const expected = (opened.entry.meta.record as VersionRecord | PartRecord).size;
        if (size !== expected) throw new DamagedReplicaError(Math.floor(Math.min(size, expected) / opened.layout.blockSize), 'short');
        for await (const block of readVerifiedBlocks(opened.fh, opened.layout)) {
          bytes += block.data.length;
          this.#bytesVerified += block.data.length;
          const aheadMs = (bytes / this.#rate) * 1000 - (Date.now() - started);
          if (aheadMs > 1 && !(await this.#pause(aheadMs))) break;
        }
      } catch (err) {
        if (!(err instanceof DamagedReplicaError)) {
          this.#log('scrub-read-failed', { id, error: (err as Error).message });
          continue;
        }
        damaged++;
        await this.#store.quarantine(opened.entry, `scrubber: ${err.message}`);
      } finally {
        await opened.fh.close();
      }
    }
    return { bytes, damaged };
  }

  /** Waits ms; false when stopped meanwhile. */
  async #pause(ms: number): Promise<boolean> {
    if (this.#stop.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
      return true;
    } catch {
      return false;
    }
  }
}
