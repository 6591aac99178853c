import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const METRICS_ERRORS = {
  HASTACK_METRICS_INVALID_PERIOD: {
    source: 'user',
    summary: 'A metric query asked for a period that is not a positive whole number of seconds; the store keeps 1-second resolution.',
  },
  HASTACK_METRICS_INVALID_TIME_RANGE: {
    source: 'user',
    summary: 'A metric query had a start or end that is not a finite epoch-millisecond time, or a start after its end.',
  },
  HASTACK_METRICS_INVALID_STATISTIC: {
    source: 'user',
    summary: 'A metric query or alarm named a statistic the twin does not compute (Sum, Average, Minimum, Maximum, SampleCount, p50, p90, p99).',
  },
  HASTACK_METRICS_INVALID_ALARM: {
    source: 'user',
    summary: 'An alarm definition breaks one or more CloudWatch rules (period, evaluation periods, datapoints to alarm, threshold); every problem is listed.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type MetricsErrorCode = keyof typeof METRICS_ERRORS;

export const metricsError = errorFactory(METRICS_ERRORS);
