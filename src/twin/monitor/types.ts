/** CloudWatch-shaped metric data, shared by every twin component that reports or reads metrics. */
export type Dimensions = Readonly<Record<string, string>>;

export type MetricUnit = 'Count' | 'Seconds' | 'Percent' | 'Milliseconds' | 'Bytes' | 'None';

export interface MetricDatum {
  readonly namespace: string; // e.g. 'AWS/ApplicationELB'
  readonly name: string; // e.g. 'RequestCount'
  readonly dimensions: Dimensions;
  readonly value: number;
  readonly unit: MetricUnit;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

/** What a data-plane component needs: somewhere to put a datum. The store implements it. */
export interface MetricSink {
  put(datum: MetricDatum): void;
}

export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | 'p50' | 'p90' | 'p99';
