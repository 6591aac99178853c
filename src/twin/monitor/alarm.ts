import { metricsError } from './errors.ts';
import { STATISTICS, isStatistic } from './statistics.ts';
import type { Dimensions, Statistic } from './types.ts';

/**
 * CloudWatch metric alarms, as PutMetricAlarm defines them.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export type TreatMissingData = 'missing' | 'breaching' | 'notBreaching' | 'ignore';

/** One metric and the statistic to take of it each period. */
export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Dimensions;
  readonly statistic: Statistic;
}

interface AlarmSettings {
  /** Unique among the alarms of one manager; CloudWatch allows ASCII only. */
  readonly name: string;
  readonly description?: string;
  /** Seconds per datapoint. AWS accepts 10, 20, 30 or a multiple of 60; the twin accepts any whole second so tests can run fast. */
  readonly period: number;
  /** N: how many of the most recent periods are evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of those N must breach for ALARM. */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** @default - 'missing' in CloudWatch; required here so every alarm says what it means */
  readonly treatMissingData: TreatMissingData;
}

/** An alarm on one metric. */
export interface MetricAlarmDefinition extends AlarmSettings, MetricQuery {}

/**
 * An alarm on `numerator / denominator` per period: the one piece of metric math the twin needs
 * (requests per healthy target). A period where either side has no data, or the denominator is
 * zero, has no datapoint, as in CloudWatch metric math.
 */
export interface RatioAlarmDefinition extends AlarmSettings {
  readonly expression: 'ratio';
  readonly numerator: MetricQuery;
  readonly denominator: MetricQuery;
  /** How the value is named in reasons. @default - 'numerator / denominator' metric names */
  readonly label?: string;
}

/**
 * An alarm on `100 × (FILL(n1, 0) + FILL(n2, 0) + …) / denominator` per period: a percentage of
 * requests, as the CloudWatch metric math of the AWS alarm computes it. A numerator with no data in
 * a period counts as 0 (the load balancer publishes no error count while there are no errors); a
 * period where the denominator has no data, or is zero, has no datapoint.
 */
export interface PercentAlarmDefinition extends AlarmSettings {
  readonly math: 'percent';
  readonly numerators: readonly MetricQuery[];
  readonly denominator: MetricQuery;
  /** How the value is named in reasons. @default - 'percent of <denominator metric name>' */
  readonly label?: string;
}

export type AlarmDefinition = MetricAlarmDefinition | RatioAlarmDefinition | PercentAlarmDefinition;

export function isRatioAlarm(def: AlarmDefinition): def is RatioAlarmDefinition {
  return 'expression' in def && def.expression === 'ratio';
}

export function isPercentAlarm(def: AlarmDefinition): def is PercentAlarmDefinition {
  return 'math' in def && def.math === 'percent';
}

export function isBreaching(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/** The words CloudWatch uses in reasons: "greater than", "less than or equal to", … */
export function comparisonWords(operator: ComparisonOperator): string {
  switch (operator) {
    case 'GreaterThanThreshold':
      return 'greater than';
    case 'GreaterThanOrEqualToThreshold':
      return 'greater than or equal to';
    case 'LessThanThreshold':
      return 'less than';
    case 'LessThanOrEqualToThreshold':
      return 'less than or equal to';
  }
}

export function alarmMetricLabel(def: AlarmDefinition): string {
  if (isPercentAlarm(def)) return def.label ?? `percent of ${def.denominator.metricName}`;
  if (!isRatioAlarm(def)) return def.metricName;
  return def.label ?? `${def.numerator.metricName} / ${def.denominator.metricName}`;
}

/**
 * How many periods back evaluation looks. CloudWatch retrieves more datapoints than N so a few
 * missing ones can be skipped, and says only that the number depends on period and resolution; its
 * documented examples retrieve 5 for N = 3, which N + 2 reproduces.
 */
export function evaluationRange(def: Pick<AlarmSettings, 'evaluationPeriods'>): number {
  return def.evaluationPeriods + 2;
}

/**
 * The periods an evaluation at `now` looks at: the evaluation range ending with the last completed
 * period. Reading and judging use this one window, so no datapoint is fetched and then ignored.
 */
export function evaluationWindow(def: Pick<AlarmSettings, 'evaluationPeriods' | 'period'>, now: number): { start: number; end: number; periods: number } {
  const periodMs = def.period * 1000;
  const end = lastCompletedPeriodEnd(def.period, now);
  const periods = evaluationRange(def);
  return { start: end - periods * periodMs, end, periods };
}

/** Start of the current (still open) period, which is the end of the last completed one. */
export function lastCompletedPeriodEnd(periodSec: number, now: number): number {
  const periodMs = periodSec * 1000;
  return Math.floor(now / periodMs) * periodMs;
}

const OPERATORS: readonly ComparisonOperator[] = [
  'GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold',
];
const TREATMENTS: readonly TreatMissingData[] = ['missing', 'breaching', 'notBreaching', 'ignore'];
const ONE_DAY_SECONDS = 86_400;

/** `field` is '' for a metric alarm's own fields, or 'numerator.' / 'denominator.'. */
function queryProblems(q: MetricQuery | undefined, field: string): string[] {
  if (q === undefined || q === null || typeof q !== 'object') return [`${field.slice(0, -1)}: must be a metric query; received ${String(q)}`];
  const out: string[] = [];
  if (typeof q.namespace !== 'string' || q.namespace === '') out.push(`${field}namespace: must be a non-empty string; received ${JSON.stringify(q.namespace)}`);
  if (typeof q.metricName !== 'string' || q.metricName === '') out.push(`${field}metricName: must be a non-empty string; received ${JSON.stringify(q.metricName)}`);
  if (!isStatistic(q.statistic)) out.push(`${field}statistic: must be one of ${STATISTICS.join(', ')}; received ${JSON.stringify(q.statistic)}`);
  if (q.dimensions === null || typeof q.dimensions !== 'object') out.push(`${field}dimensions: must be an object of name → value; received ${String(q.dimensions)}`);
  return out;
}

/** Every rule an alarm definition breaks, each naming the field and what was received. */
export function alarmDefinitionProblems(def: AlarmDefinition): string[] {
  const p: string[] = [];
  if (typeof def.name !== 'string' || def.name === '' || !/^[\x20-\x7e]+$/.test(def.name)) {
    p.push(`name: must be non-empty printable ASCII; received ${JSON.stringify(def.name)}`);
  }
  if (!Number.isInteger(def.period) || def.period < 1) p.push(`period: must be a positive whole number of seconds; received ${def.period}`);
  if (!Number.isInteger(def.evaluationPeriods) || def.evaluationPeriods < 1) {
    p.push(`evaluationPeriods: must be a whole number >= 1; received ${def.evaluationPeriods}`);
  }
  if (!Number.isInteger(def.datapointsToAlarm) || def.datapointsToAlarm < 1 || def.datapointsToAlarm > def.evaluationPeriods) {
    p.push(`datapointsToAlarm: must be a whole number from 1 to evaluationPeriods (${def.evaluationPeriods}); received ${def.datapointsToAlarm}`);
  }
  if (Number.isInteger(def.period) && Number.isInteger(def.evaluationPeriods) && def.period * def.evaluationPeriods > ONE_DAY_SECONDS) {
    p.push(`evaluationPeriods: period × evaluationPeriods must not exceed one day (86400 s); received ${def.period} × ${def.evaluationPeriods}`);
  }
  if (!Number.isFinite(def.threshold)) p.push(`threshold: must be a finite number; received ${def.threshold}`);
  if (!OPERATORS.includes(def.comparisonOperator)) p.push(`comparisonOperator: must be one of ${OPERATORS.join(', ')}; received ${JSON.stringify(def.comparisonOperator)}`);
  if (!TREATMENTS.includes(def.treatMissingData)) p.push(`treatMissingData: must be one of ${TREATMENTS.join(', ')}; received ${JSON.stringify(def.treatMissingData)}`);
  if (isRatioAlarm(def)) {
    p.push(...queryProblems(def.numerator, 'numerator.'), ...queryProblems(def.denominator, 'denominator.'));
  } else if (isPercentAlarm(def)) {
    if (!Array.isArray(def.numerators) || def.numerators.length === 0) {
      p.push(`numerators: must be a non-empty list of metric queries; received ${JSON.stringify(def.numerators)}`);
    } else {
      def.numerators.forEach((q, i) => p.push(...queryProblems(q, `numerators[${i}].`)));
    }
    p.push(...queryProblems(def.denominator, 'denominator.'));
  } else {
    p.push(...queryProblems(def, ''));
  }
  return p;
}

/** Throws HASTACK_METRICS_INVALID_ALARM listing every problem at once. */
export function checkAlarmDefinition(def: AlarmDefinition): void {
  const problems = alarmDefinitionProblems(def);
  if (problems.length === 0) return;
  throw metricsError(
    'HASTACK_METRICS_INVALID_ALARM',
    `alarm ${JSON.stringify(def.name)} is invalid:\n  ${problems.join('\n  ')}`,
    { details: { alarm: def.name, problems } },
  );
}
