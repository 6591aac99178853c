/**
 * The spec's alarms (`spec.alarms.rules`) as the twin's alarm definitions: the same thresholds,
 * comparisons, periods, datapoints and missing-data treatment as the CloudWatch alarms of the AWS
 * target, read from the metrics the twin's load balancer, Auto Scaling group and database publish,
 * under the dimension values they publish with. An alarm on a metric the twin does not publish is
 * left out and listed, with the reason, by `twinUnsupportedAlarms`.
 */
import { ALARM_METRICS, specAlarmName, type AlarmMetricRef, type AlarmMetricSpec } from '../../spec/alarms.ts';
import type { AlarmId, ResolvedAlarm, ResolvedSpec } from '../../spec/types.ts';
import { comparisonWords, type AlarmDefinition, type MetricQuery } from './alarm.ts';
import { albDimensions, autoScalingGroupDimensions } from './metric-names.ts';
import type { Dimensions } from './types.ts';

/** The names the twin's components publish their metrics under. */
export interface TwinAlarmNames {
  /** The load balancer's name: `LoadBalancer` dimension `app/<name>/local`. */
  readonly loadBalancer: string;
  /** The target group's name: `TargetGroup` dimension `targetgroup/<name>/local`. */
  readonly targetGroup: string;
  /** The Auto Scaling group's name (`AutoScalingGroupName`). */
  readonly autoScalingGroup: string;
  /** The database's `DBInstanceIdentifier`, which its AWS/RDS metrics carry. */
  readonly database: string;
}

/** An alarm of the spec the twin cannot evaluate, and why. */
export interface TwinUnsupportedAlarm {
  readonly id: AlarmId;
  /** `<namespace> <metric name>` of the metric the twin does not publish. */
  readonly metric: string;
  readonly reason: string;
}

/**
 * Metrics the twin publishes (`<namespace> <metric name>`): the load balancer's (lb-metrics.ts),
 * the group's and its instances' (metric-collector.ts), and the database's (rds-metrics.ts, whose
 * ReplicaLag is the largest lag over the standbys, as MAX over the readers on AWS).
 */
const PUBLISHED: ReadonlySet<string> = new Set([
  'AWS/ApplicationELB RequestCount',
  'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
  'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
  'AWS/ApplicationELB TargetResponseTime',
  'AWS/ApplicationELB UnHealthyHostCount',
  'AWS/ApplicationELB HealthyHostCount',
  'AWS/AutoScaling GroupInServiceInstances',
  'AWS/EC2 CPUUtilization',
  'AWS/RDS DatabaseConnections',
  'AWS/RDS ReplicaLag',
]);

/** Why a metric the AWS alarms read has no counterpart on the twin. */
const WHY_NOT_PUBLISHED: Readonly<Record<string, string>> = {
  'AWS/RDS CPUUtilization':
    'the database nodes are PostgreSQL processes sharing one machine with everything else; their CPU says nothing about an RDS instance class, so the twin publishes no AWS/RDS CPUUtilization',
  'AWS/RDS FreeStorageSpace':
    'the database nodes write to the local disk, with no allocated storage to run out of, so the twin publishes no AWS/RDS FreeStorageSpace',
  'AWS/Route53 HealthCheckStatus': 'the twin runs no Route 53 health checker, so it publishes no AWS/Route53 HealthCheckStatus',
};

function metricKey(m: AlarmMetricRef): string {
  return `${m.namespace} ${m.metricName}`;
}

function metricsOf(spec: AlarmMetricSpec): readonly AlarmMetricRef[] {
  return spec.kind === 'percent' ? [...spec.numerators, spec.denominator] : [spec];
}

/** The spec's alarms the twin cannot evaluate, each with the metric it lacks and why. */
export function twinUnsupportedAlarms(spec: ResolvedSpec): TwinUnsupportedAlarm[] {
  const out: TwinUnsupportedAlarm[] = [];
  for (const rule of spec.alarms.rules) {
    const missing = metricsOf(ALARM_METRICS[rule.id]).find((m) => !PUBLISHED.has(metricKey(m)));
    if (missing === undefined) continue;
    const metric = metricKey(missing);
    out.push({ id: rule.id, metric, reason: WHY_NOT_PUBLISHED[metric] ?? `the twin publishes no ${metric}` });
  }
  return out;
}

function dimensionsFor(resource: AlarmMetricSpec['resource'], names: TwinAlarmNames): Dimensions | undefined {
  switch (resource) {
    case 'loadBalancer':
      return albDimensions({ loadBalancer: names.loadBalancer });
    case 'targetGroup':
      return albDimensions({ loadBalancer: names.loadBalancer, targetGroup: names.targetGroup });
    case 'autoScalingGroup':
      return autoScalingGroupDimensions(names.autoScalingGroup);
    case 'database':
    case 'databaseReaders':
      return { DBInstanceIdentifier: names.database };
    case 'dnsHealthCheck':
      return undefined;
  }
}

function query(m: AlarmMetricRef, dimensions: Dimensions): MetricQuery {
  return { namespace: m.namespace, metricName: m.metricName, statistic: m.statistic, dimensions };
}

function definition(spec: ResolvedSpec, rule: ResolvedAlarm, names: TwinAlarmNames): AlarmDefinition | undefined {
  const metric = ALARM_METRICS[rule.id];
  const dimensions = dimensionsFor(metric.resource, names);
  if (dimensions === undefined) return undefined;
  const settings = {
    name: specAlarmName(spec.name, rule.id),
    description: `${rule.id}: ${metric.unit} ${comparisonWords(rule.comparison)} ${rule.threshold}`,
    period: rule.period,
    evaluationPeriods: rule.evaluationPeriods,
    datapointsToAlarm: rule.datapointsToAlarm,
    threshold: rule.threshold,
    comparisonOperator: rule.comparison,
    treatMissingData: rule.treatMissingData,
  };
  if (metric.kind === 'percent') {
    return {
      ...settings,
      math: 'percent',
      numerators: metric.numerators.map((n) => query(n, dimensions)),
      denominator: query(metric.denominator, dimensions),
      label: rule.id,
    };
  }
  return { ...settings, ...query(metric, dimensions) };
}

/**
 * The twin's definitions of the spec's alarms, in the order of `spec.alarms.rules`, leaving out
 * those `twinUnsupportedAlarms` lists. Pure: register each with an AlarmManager.
 */
export function specAlarmDefinitions(spec: ResolvedSpec, names: TwinAlarmNames): AlarmDefinition[] {
  const unsupported = new Set(twinUnsupportedAlarms(spec).map((u) => u.id));
  const out: AlarmDefinition[] = [];
  for (const rule of spec.alarms.rules) {
    if (unsupported.has(rule.id)) continue;
    const def = definition(spec, rule, names);
    if (def !== undefined) out.push(def);
  }
  return out;
}
