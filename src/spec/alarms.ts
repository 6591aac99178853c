/**
 * The stack's alarms: their defaults, and which CloudWatch metric each one reads. Both targets
 * build their alarms from `spec.alarms.rules` and `ALARM_METRICS`, so an alarm fires on the twin
 * at the same threshold, period and datapoints as on AWS.
 */
import type { SpecProblem } from './resolve.ts';
import type { ParsedStackConfig } from './schema.ts';
import type { AlarmId, AlarmRuleConfig, ResolvedAlarm, ResolvedSpec } from './types.ts';

/** Which resource's dimensions a metric is read with. */
export type AlarmResource = 'loadBalancer' | 'targetGroup' | 'autoScalingGroup' | 'database' | 'databaseReaders' | 'dnsHealthCheck';

/** A metric read with one statistic. */
export interface AlarmMetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'p99';
}

/**
 * What an alarm reads: one metric, or `100 × (sum of numerators) / denominator` (a percentage of
 * requests, as CloudWatch metric math computes it).
 */
export type AlarmMetricSpec =
  | ({ readonly kind: 'metric'; readonly resource: AlarmResource; readonly unit: string } & AlarmMetricRef)
  | {
      readonly kind: 'percent';
      readonly resource: AlarmResource;
      readonly unit: string;
      readonly numerators: readonly AlarmMetricRef[];
      readonly denominator: AlarmMetricRef;
    };

const ALB = 'AWS/ApplicationELB';
const RDS = 'AWS/RDS';

/** The CloudWatch metric (or metric math) each alarm reads; the twin publishes the same names. */
export const ALARM_METRICS: Readonly<Record<AlarmId, AlarmMetricSpec>> = {
  http5xxRate: {
    kind: 'percent',
    resource: 'loadBalancer',
    unit: 'percent of requests',
    numerators: [
      { namespace: ALB, metricName: 'HTTPCode_ELB_5XX_Count', statistic: 'Sum' },
      { namespace: ALB, metricName: 'HTTPCode_Target_5XX_Count', statistic: 'Sum' },
    ],
    denominator: { namespace: ALB, metricName: 'RequestCount', statistic: 'Sum' },
  },
  latencyP99: { kind: 'metric', resource: 'loadBalancer', unit: 'seconds', namespace: ALB, metricName: 'TargetResponseTime', statistic: 'p99' },
  unhealthyHosts: { kind: 'metric', resource: 'targetGroup', unit: 'targets', namespace: ALB, metricName: 'UnHealthyHostCount', statistic: 'Maximum' },
  inServiceBelowMin: { kind: 'metric', resource: 'autoScalingGroup', unit: 'instances', namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', statistic: 'Minimum' },
  cpu: { kind: 'metric', resource: 'autoScalingGroup', unit: 'percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization', statistic: 'Average' },
  dbCpu: { kind: 'metric', resource: 'database', unit: 'percent', namespace: RDS, metricName: 'CPUUtilization', statistic: 'Maximum' },
  dbFreeStorage: { kind: 'metric', resource: 'database', unit: 'bytes', namespace: RDS, metricName: 'FreeStorageSpace', statistic: 'Minimum' },
  dbConnections: { kind: 'metric', resource: 'database', unit: 'connections', namespace: RDS, metricName: 'DatabaseConnections', statistic: 'Maximum' },
  dbReplicaLag: { kind: 'metric', resource: 'databaseReaders', unit: 'seconds', namespace: RDS, metricName: 'ReplicaLag', statistic: 'Maximum' },
  dnsHealthCheck: { kind: 'metric', resource: 'dnsHealthCheck', unit: 'healthy (1) or not (0)', namespace: 'AWS/Route53', metricName: 'HealthCheckStatus', statistic: 'Minimum' },
};

/** One alarm's defaults and the thresholds it accepts. */
export interface AlarmDefault extends Omit<ResolvedAlarm, 'id' | 'threshold'> {
  readonly threshold: (spec: ResolvedSpec) => number;
  /** Why the alarm does not apply to this stack (what the stack lacks); undefined when it applies. Absent: it always applies. */
  readonly unmet?: (spec: ResolvedSpec) => string | undefined;
  /** The threshold as written in the config becomes the metric's unit (percent of storage → bytes). */
  readonly toMetricUnit?: (configured: number, spec: ResolvedSpec) => number;
  /** Thresholds that can both fire and clear, in the unit the config is written in. */
  readonly range: ThresholdRange;
}

/** Allowed thresholds: `min` (or above it, when `minExclusive`) up to `max` (or below it). */
export interface ThresholdRange {
  readonly min: number;
  readonly minExclusive?: boolean;
  /** A number, or one read from the spec (inServiceBelowMin: capacity.min). @default - no maximum */
  readonly max?: number | ((spec: ResolvedSpec) => { readonly value: number; readonly field: string });
  readonly maxExclusive?: boolean;
  readonly unit: string;
}

const PERCENT: ThresholdRange = { min: 0, max: 100, unit: 'percent' };

const GIB = 1024 ** 3;

/**
 * Defaults, in the order alarms are listed. Traffic alarms treat missing data as not breaching (no
 * requests, no errors); in-service capacity and the DNS check treat it as breaching (silence there
 * means the thing is gone); the rest leave missing datapoints out of the evaluation.
 */
export const ALARM_DEFAULTS: Readonly<Record<AlarmId, AlarmDefault>> = {
  http5xxRate: { threshold: () => 5, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching', critical: true, range: { ...PERCENT, maxExclusive: true } },
  latencyP99: { threshold: () => 2, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching', critical: true, range: { min: 0, minExclusive: true, unit: 'seconds' } },
  unhealthyHosts: { threshold: () => 0, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: 'notBreaching', critical: false, range: { min: 0, unit: 'targets' } },
  inServiceBelowMin: {
    threshold: (s) => s.capacity.min,
    comparison: 'LessThanThreshold',
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'breaching',
    critical: false,
    // A group allowed to shrink to nothing has no minimum to fall below.
    unmet: (s) => (s.capacity.min > 0 ? undefined : 'capacity.min is 0: there is no minimum to fall below'),
    // Above capacity.min the alarm would fire while the group rests at its minimum.
    range: { min: 1, max: (s) => ({ value: s.capacity.min, field: 'capacity.min' }), unit: 'instances' },
  },
  cpu: { threshold: () => 80, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'missing', critical: false, range: { ...PERCENT, maxExclusive: true } },
  dbCpu: { threshold: () => 80, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'missing', critical: false, range: { ...PERCENT, maxExclusive: true } },
  dbFreeStorage: {
    threshold: () => 10,
    comparison: 'LessThanThreshold',
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    critical: false,
    toMetricUnit: (percent, s) => Math.round((percent / 100) * s.database.storageGiB * GIB),
    range: { ...PERCENT, minExclusive: true, maxExclusive: true },
  },
  dbConnections: { threshold: () => 200, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing', critical: false, range: { min: 0, unit: 'connections' } },
  dbReplicaLag: {
    threshold: () => 30,
    comparison: 'GreaterThanThreshold',
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    critical: false,
    unmet: (s) => (s.database.deployment === 'multi-az-cluster' ? undefined : 'it needs database.deployment "multi-az-cluster" (readable standbys)'),
    range: { min: 0, unit: 'seconds' },
  },
  dnsHealthCheck: {
    threshold: () => 1,
    comparison: 'LessThanThreshold',
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'breaching',
    critical: true,
    unmet: (s) => (s.dns !== undefined ? undefined : 'it needs dns'),
    // The status is 1 (healthy) or 0: a threshold of 0 never fires.
    range: { min: 0, minExclusive: true, max: 1, unit: 'healthy (1) or not (0)' },
  },
};

/** The alarm's name on both targets: `<stack name>-<alarm id>`, e.g. `guestbook-http5xxRate`. */
export function specAlarmName(stackName: string, id: AlarmId): string {
  return `${stackName}-${id}`;
}

/** Every alarm id, in the order alarms are listed (dashboards, `validate --json`). */
export const ALARM_IDS: readonly AlarmId[] = Object.freeze(Object.keys(ALARM_DEFAULTS) as AlarmId[]);

/** Periods CloudWatch accepts: high resolution 10/20/30 s, or whole minutes up to a day. */
export function isAlarmPeriod(p: number): boolean {
  return p === 10 || p === 20 || p === 30 || (Number.isInteger(p) && p >= 60 && p <= 86400 && p % 60 === 0);
}

/** Resolves the alarms that apply to a spec whose other sections are already resolved. */
export function resolveAlarms(c: ParsedStackConfig['alarms'], spec: Omit<ResolvedSpec, 'alarms'>): ResolvedSpec['alarms'] {
  const full = spec as ResolvedSpec;
  const rules: ResolvedAlarm[] = [];
  for (const id of ALARM_IDS) {
    const d = ALARM_DEFAULTS[id];
    const given: AlarmRuleConfig | false | undefined = c?.[id];
    if (given === false || d.unmet?.(full) !== undefined) continue;
    const configured = given?.threshold ?? d.threshold(full);
    rules.push({
      id,
      threshold: d.toMetricUnit === undefined ? configured : d.toMetricUnit(configured, full),
      comparison: d.comparison,
      period: given?.period ?? d.period,
      evaluationPeriods: given?.evaluationPeriods ?? d.evaluationPeriods,
      datapointsToAlarm: given?.datapointsToAlarm ?? Math.min(d.datapointsToAlarm, given?.evaluationPeriods ?? d.evaluationPeriods),
      treatMissingData: d.treatMissingData,
      critical: given?.critical ?? d.critical,
    });
  }
  return { email: c?.email, rules };
}

/** Seconds an alarm may look back: a day for periods under an hour, else seven days (CloudWatch's limits). */
export function maxEvaluationWindow(period: number): number {
  return period < 3600 ? 86400 : 604800;
}

function thresholdProblem(id: AlarmId, threshold: number, spec: ResolvedSpec): SpecProblem | undefined {
  const r = ALARM_DEFAULTS[id].range;
  const path = `alarms.${id}.threshold`;
  if (r.minExclusive === true ? threshold <= r.min : threshold < r.min) {
    const bound = r.minExclusive === true ? `is not above ${r.min}` : `is below the minimum ${r.min}`;
    return { path, message: `${threshold} ${bound} (${r.unit})` };
  }
  if (r.max === undefined) return undefined;
  const max = typeof r.max === 'number' ? { value: r.max, field: undefined } : r.max(spec);
  if (r.maxExclusive === true ? threshold >= max.value : threshold > max.value) {
    const named = max.field === undefined ? `${max.value}` : `${max.field} (${max.value})`;
    const bound = r.maxExclusive === true ? `must be below ${named}` : max.field === undefined ? `is above the maximum ${named}` : `must be <= ${named}`;
    return { path, message: `${threshold} ${bound} (${r.unit})` };
  }
  return undefined;
}

/** Rules across an alarm's fields, and alarms set where they cannot apply. */
export function checkAlarms(spec: ResolvedSpec, raw: ParsedStackConfig['alarms']): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const r of spec.alarms.rules) {
    const given = raw?.[r.id];
    const threshold = given === undefined || given === false ? undefined : given.threshold;
    const bad = threshold === undefined ? undefined : thresholdProblem(r.id, threshold, spec);
    if (bad !== undefined) problems.push(bad);
    if (!isAlarmPeriod(r.period)) {
      problems.push({ path: `alarms.${r.id}.period`, message: `${r.period} is not a CloudWatch period; expected 10, 20, 30 or a multiple of 60 up to 86400 (seconds)` });
    }
    if (r.datapointsToAlarm > r.evaluationPeriods) {
      problems.push({
        path: `alarms.${r.id}.datapointsToAlarm`,
        message: `${r.datapointsToAlarm} must be <= alarms.${r.id}.evaluationPeriods (${r.evaluationPeriods})`,
      });
    }
    const window = maxEvaluationWindow(r.period);
    if (r.period * r.evaluationPeriods > window) {
      problems.push({
        path: `alarms.${r.id}.evaluationPeriods`,
        message: `${r.evaluationPeriods} periods of ${r.period} s look back ${r.period * r.evaluationPeriods} s; expected at most ${window} (${
          window === 86400 ? 'one day, for periods under an hour' : 'seven days'
        })`,
      });
    }
  }
  for (const id of ALARM_IDS) {
    const given = raw?.[id];
    const unmet = given === undefined || given === false ? undefined : ALARM_DEFAULTS[id].unmet?.(spec);
    if (unmet !== undefined) problems.push({ path: `alarms.${id}`, message: `is set, but ${unmet}; expected false or no alarms.${id}` });
  }
  return problems;
}
