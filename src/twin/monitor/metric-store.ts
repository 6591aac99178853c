import { metricsError } from './errors.ts';
import { dimensionsInclude, seriesKey } from './series-key.ts';
import { SeriesRing } from './series-ring.ts';
import { PeriodAccumulator, STATISTICS, isStatistic } from './statistics.ts';
import type {
  Datapoint,
  Dimensions,
  MetricDatum,
  MetricIdentity,
  MetricSink,
  MetricStatisticsSource,
  Statistic,
  StatisticsQuery,
} from './types.ts';

export interface MetricStoreOptions {
  /** Seconds of history kept per series, at 1-second resolution. @default 10800 (3 hours) */
  readonly retentionSeconds?: number;
  /** Most series kept; past it the series written least recently is dropped. @default 1000 */
  readonly maxSeries?: number;
  /** Raw samples kept per series per second for percentiles (a uniform reservoir). @default 64 */
  readonly samplesPerSecond?: number;
  /** Randomness for the reservoirs; tests pass a seeded one. @default Math.random */
  readonly random?: () => number;
}

export interface MetricStoreStats {
  readonly series: number;
  readonly accepted: number;
  /** Malformed datums (non-finite numbers, bad statistic sets, negative times). */
  readonly rejected: number;
  /** Well-formed datums older than their series' window. */
  readonly tooOld: number;
  /** Series dropped to stay under maxSeries, or because nothing was written to them for a whole window. */
  readonly evictedSeries: number;
}

export interface MetricFilter {
  readonly namespace?: string;
  readonly name?: string;
  /** Metrics that have at least these dimensions with these values. */
  readonly dimensions?: Dimensions;
}

interface Series {
  readonly identity: MetricIdentity;
  readonly ring: SeriesRing;
}

// How often (in data seconds) to drop series nobody has written to for a whole window.
const SWEEP_EVERY_SECONDS = 60;

/**
 * The twin's CloudWatch: an in-memory, bounded metric store.
 *
 * Bounds: every series keeps `retentionSeconds` of per-second aggregates (sum, count, min, max)
 * counted back from its newest datum, and at most `samplesPerSecond` raw values per second for
 * percentiles; at most `maxSeries` series exist at once. Worst case memory is about
 * maxSeries × retentionSeconds × 41 bytes (≈ 440 MB at the defaults) plus samples, but a series
 * only grows its buffer as its data spans more seconds, so a twin with a few dozen busy series
 * uses tens of megabytes. Datums older than their series' window are dropped and counted.
 *
 * `put` never throws: it is called from data-plane hot paths, so malformed datums are counted in
 * `stats().rejected` instead. Queries validate their input and throw coded errors.
 */
export class MetricStore implements MetricSink, MetricStatisticsSource {
  private readonly series = new Map<string, Series>();
  private readonly retentionSeconds: number;
  private readonly maxSeries: number;
  private readonly samplesPerSecond: number;
  private readonly random: () => number;
  private newestSecond = -1;
  private lastSweepSecond = -1;
  private accepted = 0;
  private rejected = 0;
  private tooOld = 0;
  private evicted = 0;

  constructor(options: MetricStoreOptions = {}) {
    this.retentionSeconds = Math.max(1, Math.floor(options.retentionSeconds ?? 10_800));
    this.maxSeries = Math.max(1, Math.floor(options.maxSeries ?? 1000));
    this.samplesPerSecond = Math.max(0, Math.floor(options.samplesPerSecond ?? 64));
    this.random = options.random ?? Math.random;
  }

  put(datum: MetricDatum): void {
    const second = Math.floor(datum.timestamp / 1000);
    if (!(second >= 0) || !Number.isFinite(second)) {
      this.rejected++;
      return;
    }
    let sum: number, count: number, min: number, max: number;
    let sample: number | undefined;
    let unusable = false;
    const set = datum.statisticValues;
    if (set === undefined) {
      if (!Number.isFinite(datum.value)) {
        this.rejected++;
        return;
      }
      sum = min = max = datum.value;
      count = 1;
      sample = datum.value;
    } else {
      if (
        !(set.sampleCount > 0) || !Number.isFinite(set.sampleCount) || !Number.isFinite(set.sum) ||
        !Number.isFinite(set.minimum) || !Number.isFinite(set.maximum) || set.minimum > set.maximum
      ) {
        this.rejected++;
        return;
      }
      ({ sum, sampleCount: count, minimum: min, maximum: max } = set);
      // A set of one sample is a plain sample; any other set cannot be split into samples, so
      // (like CloudWatch) percentiles over periods that hold it are withheld.
      if (count === 1) sample = min;
      else unusable = true;
    }
    const s = this.seriesFor(datum);
    if (!s.ring.add(second, sum, count, min, max, sample, unusable)) {
      this.tooOld++;
      return;
    }
    this.accepted++;
    if (second > this.newestSecond) {
      this.newestSecond = second;
      if (second - this.lastSweepSecond >= SWEEP_EVERY_SECONDS) this.sweep();
    }
  }

  /**
   * CloudWatch GetMetricStatistics: one datapoint per period that has data, oldest first.
   * Periods are aligned to multiples of the period since the epoch and `start` is rounded down to
   * one, as CloudWatch does; `end` is exclusive. Dimensions must match exactly.
   */
  getStatistics(query: StatisticsQuery): Datapoint[] {
    checkQuery(query);
    const s = this.series.get(seriesKey(query.namespace, query.name, query.dimensions));
    if (s === undefined) return [];
    const periodSec = query.period;
    const firstSecond = Math.floor(query.start / 1000 / periodSec) * periodSec;
    const lastSecond = Math.ceil(query.end / 1000) - 1;
    const out: Datapoint[] = [];
    let bucket = -1;
    let acc: PeriodAccumulator | undefined;
    const flush = (): void => {
      const value = acc?.value();
      if (acc !== undefined && value !== undefined) {
        out.push({ timestamp: bucket * periodSec * 1000, value, sampleCount: acc.count });
      }
    };
    s.ring.forEach(firstSecond, lastSecond, (v) => {
      const b = Math.floor(v.second / periodSec);
      if (b !== bucket) {
        flush();
        bucket = b;
        acc = new PeriodAccumulator(query.statistic);
      }
      acc!.add(v);
    });
    flush();
    return out;
  }

  /** The newest second that has data, as a one-second datapoint. @default statistic 'Average' */
  latest(query: MetricIdentity & { readonly statistic?: Statistic }): Datapoint | undefined {
    const statistic = query.statistic ?? 'Average';
    if (!isStatistic(statistic)) throw invalidStatistic(statistic);
    const s = this.series.get(seriesKey(query.namespace, query.name, query.dimensions));
    if (s === undefined || s.ring.newest < 0) return undefined;
    const acc = new PeriodAccumulator(statistic);
    s.ring.forEach(s.ring.newest, s.ring.newest, (v) => acc.add(v));
    const value = acc.value();
    return value === undefined ? undefined : { timestamp: s.ring.newest * 1000, value, sampleCount: acc.count };
  }

  /** CloudWatch ListMetrics: the series that match, sorted by namespace, name, then dimensions. */
  listMetrics(filter: MetricFilter = {}): MetricIdentity[] {
    const out: [string, MetricIdentity][] = [];
    for (const [key, s] of this.series) {
      const id = s.identity;
      if (filter.namespace !== undefined && id.namespace !== filter.namespace) continue;
      if (filter.name !== undefined && id.name !== filter.name) continue;
      if (filter.dimensions !== undefined && !dimensionsInclude(id.dimensions, filter.dimensions)) continue;
      out.push([key, id]);
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map((e) => e[1]);
  }

  stats(): MetricStoreStats {
    return {
      series: this.series.size,
      accepted: this.accepted,
      rejected: this.rejected,
      tooOld: this.tooOld,
      evictedSeries: this.evicted,
    };
  }

  private seriesFor(datum: MetricDatum): Series {
    const key = seriesKey(datum.namespace, datum.name, datum.dimensions);
    let s = this.series.get(key);
    if (s !== undefined) return s;
    if (this.series.size >= this.maxSeries) {
      this.sweep();
      if (this.series.size >= this.maxSeries) this.evictStalest();
    }
    s = {
      // Copied so a producer reusing its dimensions object cannot rename a stored series.
      identity: Object.freeze({
        namespace: datum.namespace,
        name: datum.name,
        dimensions: Object.freeze({ ...datum.dimensions }),
      }),
      ring: new SeriesRing(this.retentionSeconds, this.samplesPerSecond, this.random),
    };
    this.series.set(key, s);
    return s;
  }

  /** Drops series with nothing written for a whole window: everything they held has expired. */
  private sweep(): void {
    this.lastSweepSecond = this.newestSecond;
    const cutoff = this.newestSecond - this.retentionSeconds;
    for (const [key, s] of this.series) {
      if (s.ring.newest <= cutoff) {
        this.series.delete(key);
        this.evicted++;
      }
    }
  }

  private evictStalest(): void {
    let stalestKey: string | undefined;
    let stalest = Infinity;
    for (const [key, s] of this.series) {
      if (s.ring.newest < stalest) {
        stalest = s.ring.newest;
        stalestKey = key;
      }
    }
    if (stalestKey !== undefined) {
      this.series.delete(stalestKey);
      this.evicted++;
    }
  }
}

function invalidStatistic(statistic: unknown) {
  return metricsError(
    'HASTACK_METRICS_INVALID_STATISTIC',
    `statistic must be one of ${STATISTICS.join(', ')}; received ${JSON.stringify(statistic)}`,
    { details: { field: 'statistic', received: statistic } },
  );
}

function describeTime(t: number): string {
  return Number.isFinite(t) ? `${t} (${new Date(t).toISOString()})` : String(t);
}

function checkQuery(q: StatisticsQuery): void {
  if (!Number.isInteger(q.period) || q.period < 1) {
    throw metricsError(
      'HASTACK_METRICS_INVALID_PERIOD',
      `period must be a positive whole number of seconds; received ${q.period}`,
      { details: { field: 'period', received: q.period } },
    );
  }
  for (const field of ['start', 'end'] as const) {
    if (!Number.isFinite(q[field]) || q[field] < 0) {
      throw metricsError(
        'HASTACK_METRICS_INVALID_TIME_RANGE',
        `${field} must be a finite epoch time in milliseconds; received ${q[field]}`,
        { details: { field, received: q[field] } },
      );
    }
  }
  if (q.start > q.end) {
    throw metricsError(
      'HASTACK_METRICS_INVALID_TIME_RANGE',
      `start ${describeTime(q.start)} must not be after end ${describeTime(q.end)}`,
      { details: { field: 'start', received: q.start, end: q.end } },
    );
  }
  if (!isStatistic(q.statistic)) throw invalidStatistic(q.statistic);
}
