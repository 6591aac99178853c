import { PercentileAccumulator } from './percentile.ts';
import type { SecondView } from './series-ring.ts';
import type { Statistic } from './types.ts';

export const STATISTICS: readonly Statistic[] = ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount', 'p50', 'p90', 'p99'];

const PERCENTILES: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };

export function isStatistic(s: unknown): s is Statistic {
  return typeof s === 'string' && (STATISTICS as readonly string[]).includes(s);
}

/** Folds the seconds of one period into one statistic. */
export class PeriodAccumulator {
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  private unusable = false;
  private readonly samples: PercentileAccumulator | undefined;

  constructor(private readonly statistic: Statistic) {
    this.samples = statistic in PERCENTILES ? new PercentileAccumulator() : undefined;
  }

  add(s: SecondView): void {
    this.sum += s.sum;
    this.count += s.count;
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
    if (this.samples !== undefined) {
      if (s.percentileUnusable) this.unusable = true;
      if (s.samples !== undefined) this.samples.add(s.samples);
    }
  }

  /** The statistic, or undefined when the period has no data or no usable samples for a percentile. */
  value(): number | undefined {
    if (this.count === 0) return undefined;
    switch (this.statistic) {
      case 'Sum':
        return this.sum;
      case 'Average':
        return this.sum / this.count;
      case 'Minimum':
        return this.min;
      case 'Maximum':
        return this.max;
      case 'SampleCount':
        return this.count;
      default:
        // CloudWatch withholds percentiles for periods holding statistic sets it cannot split.
        if (this.unusable || this.samples === undefined) return undefined;
        return this.samples.percentile(PERCENTILES[this.statistic]!);
    }
  }
}
