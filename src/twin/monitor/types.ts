/** CloudWatch-shaped metric data, shared by every twin component that reports or reads metrics. */
export type Dimensions = Readonly<Record<string, string>>;

export type MetricUnit = 'Count' | 'Count/Second' | 'Seconds' | 'Percent' | 'Milliseconds' | 'Bytes' | 'None';

export interface MetricDatum {
  readonly namespace: string; // e.g. 'AWS/ApplicationELB'
  readonly name: string; // e.g. 'RequestCount'
  readonly dimensions: Dimensions;
  readonly value: number;
  readonly unit: MetricUnit;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** Many samples at once (see StatisticSet); when present, `value` is ignored by the store. */
  readonly statisticValues?: StatisticSet;
}

/** What a data-plane component needs: somewhere to put a datum. The store implements it. */
export interface MetricSink {
  put(datum: MetricDatum): void;
}

export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | 'p50' | 'p90' | 'p99';

/**
 * A pre-aggregated set of samples, as CloudWatch's PutMetricData `StatisticValues`. Producers that
 * aggregate (a load balancer counting response times for one second) flush one of these instead of
 * one datum per sample. When present the store uses it and ignores `value`; set `value` to the
 * average anyway so readers that only know `value` see something sensible.
 */
export interface StatisticSet {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
}

/** Which series: CloudWatch treats each distinct dimension combination as its own metric. */
export interface MetricIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Dimensions;
}

/** One statistic over one period, as GetMetricStatistics returns it. */
export interface Datapoint {
  /** Start of the period, epoch milliseconds, aligned to the period. */
  readonly timestamp: number;
  readonly value: number;
  /** Samples behind the value (for statistic sets, their sampleCount). */
  readonly sampleCount: number;
}

export interface StatisticsQuery extends MetricIdentity {
  /** Epoch milliseconds, inclusive; rounded down to the period as CloudWatch does. */
  readonly start: number;
  /** Epoch milliseconds, exclusive. */
  readonly end: number;
  /** Seconds; a positive whole number. */
  readonly period: number;
  readonly statistic: Statistic;
}

/** What alarm evaluation needs from a store; lets tests pass a fake. */
export interface MetricStatisticsSource {
  getStatistics(query: StatisticsQuery): Datapoint[];
}
