/**
 * A byte range read from replicas with failover: bytes come from the first source; if it fails
 * before the end (refused, cut off, a damaged block found by the node), the next source continues
 * from the first byte not yet delivered. The reader fails only when every source has failed.
 * Backpressure is the consumer's: one source stream is open at a time and paused with it.
 */
import { Readable } from 'node:stream';

export interface ReplicaSource {
  readonly name: string;
  /** Opens the inclusive byte range [start, end]. */
  open(start: number, end: number): Promise<Readable>;
  /** Told when this source failed, so it can be tried last next time. */
  failed(): void;
}

export interface ReplicaReaderOptions {
  readonly start: number;
  /** Inclusive; below start for an empty range. */
  readonly end: number;
  readonly sources: readonly ReplicaSource[];
}

export class ReplicaReader extends Readable {
  private next: number;
  private index = 0;
  private current: Readable | undefined;
  private opening = false;
  private readonly errors: string[] = [];

  constructor(private readonly opts: ReplicaReaderOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.next = opts.start;
  }

  override _read(): void {
    if (this.current !== undefined) {
      this.current.resume();
      return;
    }
    if (this.next > this.opts.end) {
      this.push(null);
      return;
    }
    void this.openNext();
  }

  private async openNext(): Promise<void> {
    if (this.opening) return;
    this.opening = true;
    try {
      while (this.index < this.opts.sources.length) {
        const source = this.opts.sources[this.index]!;
        try {
          const stream = await source.open(this.next, this.opts.end);
          if (this.destroyed) {
            stream.destroy();
            return;
          }
          this.attach(stream, source);
          return;
        } catch (e) {
          source.failed();
          this.errors.push(`${source.name}: ${(e as Error).message}`);
          this.index += 1;
        }
      }
      this.destroy(new Error(`no replica could serve bytes ${this.next}-${this.opts.end} (${this.errors.join('; ')})`));
    } finally {
      this.opening = false;
    }
  }

  private attach(stream: Readable, source: ReplicaSource): void {
    this.current = stream;
    stream.on('data', (chunk: Buffer) => {
      const room = this.opts.end - this.next + 1;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.next += piece.length;
      if (piece.length > 0 && !this.push(piece)) stream.pause();
    });
    const fail = (why: string): void => {
      if (this.current !== stream) return;
      this.current = undefined;
      stream.destroy();
      if (this.next > this.opts.end) {
        this.push(null);
        return;
      }
      source.failed();
      this.errors.push(`${source.name}: ${why}`);
      this.index += 1;
      void this.openNext();
    };
    stream.once('error', (e: Error) => fail(e.message));
    stream.once('end', () => {
      if (this.current !== stream) return;
      if (this.next > this.opts.end) {
        this.current = undefined;
        this.push(null);
      } else fail(`ended at byte ${this.next} of ${this.opts.end + 1}`);
    });
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.current?.destroy();
    this.current = undefined;
    cb(err);
  }
}
