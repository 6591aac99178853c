/**
 * Percentiles from kept samples. Each second keeps at most a fixed number of raw samples (a uniform
 * reservoir), so when a second saw more samples than it kept, each kept one stands for
 * `seen / kept` of them. The answer is the nearest-rank percentile over those weighted samples:
 * exact while no second overflowed its reservoir, an unbiased estimate afterwards.
 */
export interface SampleReservoir {
  readonly values: number[];
  /** Samples offered, kept or not. */
  seen: number;
}

export function offerSample(r: SampleReservoir, value: number, capacity: number, random: () => number): void {
  r.seen += 1;
  if (r.values.length < capacity) {
    r.values.push(value);
    return;
  }
  // Algorithm R: the n-th sample replaces a kept one with probability capacity / n.
  const j = Math.floor(random() * r.seen);
  if (j < capacity) r.values[j] = value;
}

/** Accumulates weighted samples from many seconds, then answers one percentile. */
export class PercentileAccumulator {
  private readonly values: number[] = [];
  private readonly weights: number[] = [];
  private total = 0;

  add(r: SampleReservoir): void {
    const n = r.values.length;
    if (n === 0) return;
    const w = r.seen / n;
    for (const v of r.values) {
      this.values.push(v);
      this.weights.push(w);
    }
    this.total += r.seen;
  }

  /** `p` in (0, 1]. Undefined when no samples were added. */
  percentile(p: number): number | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => this.values[a]! - this.values[b]!);
    // Nearest rank: the smallest value whose cumulative weight reaches p of the total. The small
    // tolerance keeps fractional weights from skipping past an exact rank.
    const rank = p * this.total - 1e-9;
    let cumulative = 0;
    for (const i of order) {
      cumulative += this.weights[i]!;
      if (cumulative >= rank) return this.values[i]!;
    }
    return this.values[order[n - 1]!]!;
  }
}
