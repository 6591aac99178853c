/**
 * What a CloudWatch alarm of the spec reads: the metric of ALARM_METRICS with the dimensions of the
 * resource it watches, over the rule's period. A percentage of requests becomes the metric math
 * `100 * (FILL(n1, 0) + FILL(n2, 0)) / d` (no error count is published while there are no errors,
 * and a period without requests has no datapoint); on a Multi-AZ DB cluster, the database alarms
 * become `MAX([r1, …])` (or MIN for free storage) over every member, fired by the worst one.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ALARM_METRICS, type AlarmMetricRef, type AlarmResource } from '../../spec/alarms.ts';
import type { AlarmComparison, ResolvedAlarm } from '../../spec/types.ts';

/** Dimensions of each resource an alarm can watch. */
export interface AlarmDimensions {
  /** `{ LoadBalancer: <ALB full name> }`. */
  readonly loadBalancer: cloudwatch.DimensionsMap;
  /** `{ TargetGroup: <target group full name>, LoadBalancer: <ALB full name> }`. */
  readonly targetGroup: cloudwatch.DimensionsMap;
  /** `{ AutoScalingGroupName }`. */
  readonly autoScalingGroup: cloudwatch.DimensionsMap;
  /** The database's own (DBInstanceIdentifier or DBClusterIdentifier). */
  readonly database: cloudwatch.DimensionsMap;
  /** One per member of a Multi-AZ DB cluster (the writer moves among them); empty otherwise. */
  readonly databaseReaders: readonly cloudwatch.DimensionsMap[];
  /** `{ HealthCheckId }`, when there is a Route 53 health check. */
  readonly dnsHealthCheck: cloudwatch.DimensionsMap | undefined;
}

/** The only region whose CloudWatch holds Route 53 health-check metrics. */
export const ROUTE53_METRICS_REGION = 'us-east-1';

const WORDS: Readonly<Record<AlarmComparison, string>> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

/** `http5xxRate > 5 percent of requests`: how an alarm and its dashboard annotation describe the rule. */
export function describeRule(rule: ResolvedAlarm): string {
  return `${rule.id} ${WORDS[rule.comparison]} ${rule.threshold} ${ALARM_METRICS[rule.id].unit}`;
}

function metric(ref: AlarmMetricRef, dimensionsMap: cloudwatch.DimensionsMap, period: Duration, region?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: ref.namespace,
    metricName: ref.metricName,
    statistic: ref.statistic,
    dimensionsMap,
    period,
    ...(region === undefined ? {} : { region }),
  });
}

function dimensionsOf(resource: AlarmResource, d: AlarmDimensions): cloudwatch.DimensionsMap | undefined {
  switch (resource) {
    case 'loadBalancer':
      return d.loadBalancer;
    case 'targetGroup':
      return d.targetGroup;
    case 'autoScalingGroup':
      return d.autoScalingGroup;
    case 'database':
      return d.database;
    case 'databaseReaders':
      // Without separately published readers, the database's own ReplicaLag is the one there is.
      return d.databaseReaders[0] ?? d.database;
    case 'dnsHealthCheck':
      return d.dnsHealthCheck;
  }
}

export interface AlarmMetricOptions {
  /** Read the metric in another region (a dashboard may; an alarm may not). @default - the stack's */
  readonly region?: string;
}

/**
 * The metric (or metric math) one rule's alarm evaluates, or undefined when the resource it watches
 * is absent (a DNS alarm without a health check).
 */
export function alarmMetric(rule: ResolvedAlarm, dims: AlarmDimensions, options: AlarmMetricOptions = {}): cloudwatch.IMetric | undefined {
  const spec = ALARM_METRICS[rule.id];
  const period = Duration.seconds(rule.period);
  const label = `${rule.id} (${spec.unit})`;
  if (spec.kind === 'percent') {
    const dimensions = dimensionsOf(spec.resource, dims);
    if (dimensions === undefined) return undefined;
    const usingMetrics: Record<string, cloudwatch.IMetric> = { d: metric(spec.denominator, dimensions, period, options.region) };
    const sum = spec.numerators
      .map((n, i) => {
        usingMetrics[`n${i + 1}`] = metric(n, dimensions, period, options.region);
        return `FILL(n${i + 1}, 0)`;
      })
      .join(' + ');
    return new cloudwatch.MathExpression({ expression: `100 * (${sum}) / d`, usingMetrics, period, label });
  }
  // A Multi-AZ DB cluster's writer moves between its members on failover, so its database alarms
  // read every member's own metric and take the worst (the least free storage, the most CPU).
  if ((spec.resource === 'databaseReaders' || spec.resource === 'database') && dims.databaseReaders.length > 1) {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    dims.databaseReaders.forEach((r, i) => (usingMetrics[`r${i + 1}`] = metric(spec, r, period, options.region)));
    const worst = spec.statistic === 'Minimum' ? 'MIN' : 'MAX';
    return new cloudwatch.MathExpression({ expression: `${worst}([${Object.keys(usingMetrics).join(', ')}])`, usingMetrics, period, label });
  }
  const dimensions = dimensionsOf(spec.resource, dims);
  if (dimensions === undefined) return undefined;
  return metric(spec, dimensions, period, options.region);
}
