import { offerSample, type SampleReservoir } from './percentile.ts';

/** One second of one series, as the ring hands it to a reader. Reused between calls: copy what you keep. */
export interface SecondView {
  second: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  /** Some samples came as statistic sets that percentiles cannot use (see MetricStore). */
  percentileUnusable: boolean;
  samples: SampleReservoir | undefined;
}

const EMPTY = -1;
const INITIAL_CAPACITY = 64;

/**
 * One series' per-second aggregates over a sliding window of `retentionSeconds` ending at the
 * newest second written. Slots are addressed by `second % capacity`, so a write is O(1) and a
 * second that falls out of the window is overwritten in place. Capacity starts small and doubles
 * (up to the window) only when two live seconds would share a slot, so short or young series stay
 * small. Memory per slot: five float64s and a byte, plus kept raw samples for percentiles.
 */
export class SeriesRing {
  private capacity = 0;
  private tags = new Float64Array(0);
  private sums = new Float64Array(0);
  private counts = new Float64Array(0);
  private mins = new Float64Array(0);
  private maxs = new Float64Array(0);
  private flags = new Uint8Array(0);
  private readonly samples = new Map<number, SampleReservoir>();
  private readonly view: SecondView = {
    second: 0, sum: 0, count: 0, min: 0, max: 0, percentileUnusable: false, samples: undefined,
  };
  /** Newest second written, or -1 before the first write. */
  newest = EMPTY;

  constructor(
    private readonly retentionSeconds: number,
    private readonly samplesPerSecond: number,
    private readonly random: () => number,
  ) {
    this.allocate(Math.min(INITIAL_CAPACITY, retentionSeconds));
  }

  /** Oldest second still inside the window. */
  get oldest(): number {
    return this.newest === EMPTY ? EMPTY : Math.max(0, this.newest - this.retentionSeconds + 1);
  }

  /**
   * Adds samples to one second. `sample` is a raw value percentiles may use; `unusable` marks a
   * statistic set percentiles may not. Returns false when the second is already out of the window.
   */
  add(second: number, sum: number, count: number, min: number, max: number, sample: number | undefined, unusable: boolean): boolean {
    if (this.newest !== EMPTY && second <= this.newest - this.retentionSeconds) return false;
    const slot = this.slotFor(second);
    if (this.counts[slot] === 0) {
      this.sums[slot] = sum;
      this.counts[slot] = count;
      this.mins[slot] = min;
      this.maxs[slot] = max;
    } else {
      this.sums[slot] = this.sums[slot]! + sum;
      this.counts[slot] = this.counts[slot]! + count;
      if (min < this.mins[slot]!) this.mins[slot] = min;
      if (max > this.maxs[slot]!) this.maxs[slot] = max;
    }
    if (unusable) this.flags[slot] = 1;
    if (sample !== undefined && this.samplesPerSecond > 0) {
      let r = this.samples.get(second);
      if (r === undefined) {
        r = { values: [], seen: 0 };
        this.samples.set(second, r);
      }
      offerSample(r, sample, this.samplesPerSecond, this.random);
    }
    if (second > this.newest) this.newest = second;
    return true;
  }

  /** Calls `visit` for each second with data in [from, to], oldest first. */
  forEach(from: number, to: number, visit: (s: SecondView) => void): void {
    if (this.newest === EMPTY) return;
    const lo = Math.max(from, this.oldest);
    const hi = Math.min(to, this.newest);
    const v = this.view;
    for (let s = lo; s <= hi; s++) {
      const slot = s % this.capacity;
      if (this.tags[slot] !== s || this.counts[slot] === 0) continue;
      v.second = s;
      v.sum = this.sums[slot]!;
      v.count = this.counts[slot]!;
      v.min = this.mins[slot]!;
      v.max = this.maxs[slot]!;
      v.percentileUnusable = this.flags[slot] === 1;
      v.samples = this.samples.get(s);
      visit(v);
    }
  }

  private slotFor(second: number): number {
    for (;;) {
      const slot = second % this.capacity;
      const tag = this.tags[slot]!;
      if (tag === second) return slot;
      const oldestLive = Math.max(this.newest, second) - this.retentionSeconds + 1;
      if (tag === EMPTY || tag < oldestLive) {
        if (tag !== EMPTY) this.samples.delete(tag);
        this.tags[slot] = second;
        this.counts[slot] = 0;
        this.flags[slot] = 0;
        return slot;
      }
      // Two live seconds collide: only possible while capacity is below the window.
      this.allocate(Math.min(this.retentionSeconds, this.capacity * 2));
    }
  }

  private allocate(capacity: number): void {
    const old = {
      capacity: this.capacity, tags: this.tags, sums: this.sums, counts: this.counts,
      mins: this.mins, maxs: this.maxs, flags: this.flags,
    };
    this.capacity = capacity;
    this.tags = new Float64Array(capacity).fill(EMPTY);
    this.sums = new Float64Array(capacity);
    this.counts = new Float64Array(capacity);
    this.mins = new Float64Array(capacity);
    this.maxs = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    const oldestLive = this.oldest;
    for (let i = 0; i < old.capacity; i++) {
      const tag = old.tags[i]!;
      if (tag === EMPTY) continue;
      if (tag < oldestLive) {
        this.samples.delete(tag);
        continue;
      }
      const slot = tag % capacity;
      this.tags[slot] = tag;
      this.sums[slot] = old.sums[i]!;
      this.counts[slot] = old.counts[i]!;
      this.mins[slot] = old.mins[i]!;
      this.maxs[slot] = old.maxs[i]!;
      this.flags[slot] = old.flags[i]!;
    }
  }
}
