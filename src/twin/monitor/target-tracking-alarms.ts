import type { ResolvedTargetTracking, TrackedMetric } from '../../spec/types.ts';
import type { AlarmDefinition, AlarmState, MetricAlarmDefinition, RatioAlarmDefinition } from './alarm.ts';
import type { AlarmStatus } from './alarm-manager.ts';
import { metricsError } from './errors.ts';
import { ALB_METRIC, EC2_METRIC, NAMESPACE, albDimensions, autoScalingGroupDimensions, targetGroupOnlyDimensions } from './metric-names.ts';
import type { TargetTrackingPolicyState, TrackingAlarmState } from './target-tracking.ts';
import { targetTrackingAlarmName, targetTrackingPolicyName } from './target-tracking-names.ts';

/**
 * The alarms AWS creates for a target tracking policy on metric M with target T:
 *
 * - AlarmHigh: M > T for 3 out of 3 datapoints (3 minutes at the default 60 s period);
 * - AlarmLow: M < 0.9 × T for 15 out of 15 datapoints (15 minutes), created only when scale-in is
 *   enabled.
 *
 * AWS manages these alarms and asks users not to edit them; it documents that scale-in waits for
 * the metric to fall "far enough below the target value (usually more than 10% lower)" and the
 * alarms it creates read, in the console, "CPUUtilization > 50 for 3 datapoints within 3 minutes"
 * and "CPUUtilization < 45 for 15 datapoints within 15 minutes" for a target of 50.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
 * @see https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 *
 * The datapoint counts are parameters (AWS's are the defaults) so tests can shorten them.
 */
export const TARGET_TRACKING_DEFAULTS = {
  highDatapoints: 3,
  lowDatapoints: 15,
  /** The low alarm's threshold as a fraction of the target. */
  lowThresholdRatio: 0.9,
} as const;

export interface TargetTrackingAlarmsOptions {
  /** The Auto Scaling group's name (AutoScalingGroupName dimension, alarm names). */
  readonly groupName: string;
  /** spec.autoScaling.targetTracking */
  readonly policies: readonly ResolvedTargetTracking[];
  /** spec.autoScaling.metricPeriod, seconds. */
  readonly period: number;
  /** Load balancer and target group names; needed for ALBRequestCountPerTarget. */
  readonly loadBalancerName?: string;
  readonly targetGroupName?: string;
  /**
   * Where requests per target come from: `'ratio'` divides the target group's RequestCount (Sum)
   * by its HealthyHostCount (Average) each period; `'published'` reads a RequestCountPerTarget
   * metric (Sum, TargetGroup dimension) the load balancer publishes, as AWS's alarm does.
   * @default 'ratio'
   */
  readonly requestCountSource?: 'ratio' | 'published';
  /** @default 3 */
  readonly highDatapoints?: number;
  /** @default 15 */
  readonly lowDatapoints?: number;
}

/** The alarms of one policy, and what deciding needs to know about it. */
export interface TargetTrackingAlarmPair {
  readonly policyName: string;
  readonly metric: TrackedMetric;
  readonly target: number;
  readonly disableScaleIn: boolean;
  readonly high: AlarmDefinition;
  /** Absent when scale-in is disabled: AWS creates no low alarm then. */
  readonly low: AlarmDefinition | undefined;
}

type AlarmMetric =
  | Pick<MetricAlarmDefinition, 'namespace' | 'metricName' | 'dimensions' | 'statistic'>
  | Pick<RatioAlarmDefinition, 'expression' | 'numerator' | 'denominator' | 'label'>;

function metricFor(o: TargetTrackingAlarmsOptions, metric: TrackedMetric): AlarmMetric {
  if (metric === 'CPUUtilization') {
    return {
      namespace: NAMESPACE.EC2,
      metricName: EC2_METRIC.CPUUtilization,
      dimensions: autoScalingGroupDimensions(o.groupName),
      statistic: 'Average',
    };
  }
  if (o.loadBalancerName === undefined || o.targetGroupName === undefined) {
    throw metricsError(
      'HASTACK_METRICS_INVALID_ALARM',
      `target tracking on ALBRequestCountPerTarget needs loadBalancerName and targetGroupName; received ${JSON.stringify({
        loadBalancerName: o.loadBalancerName,
        targetGroupName: o.targetGroupName,
      })}`,
      { details: { field: o.loadBalancerName === undefined ? 'loadBalancerName' : 'targetGroupName' } },
    );
  }
  if ((o.requestCountSource ?? 'ratio') === 'published') {
    return {
      namespace: NAMESPACE.ALB,
      metricName: ALB_METRIC.RequestCountPerTarget,
      dimensions: targetGroupOnlyDimensions(o.targetGroupName),
      statistic: 'Sum',
    };
  }
  const dimensions = albDimensions({ loadBalancer: o.loadBalancerName, targetGroup: o.targetGroupName });
  return {
    expression: 'ratio',
    numerator: { namespace: NAMESPACE.ALB, metricName: ALB_METRIC.RequestCount, dimensions, statistic: 'Sum' },
    denominator: { namespace: NAMESPACE.ALB, metricName: ALB_METRIC.HealthyHostCount, dimensions, statistic: 'Average' },
    label: 'ALBRequestCountPerTarget',
  };
}

/** Builds the alarms for every policy; register each `high` and `low` with the AlarmManager. */
export function targetTrackingAlarms(o: TargetTrackingAlarmsOptions): TargetTrackingAlarmPair[] {
  const high = o.highDatapoints ?? TARGET_TRACKING_DEFAULTS.highDatapoints;
  const low = o.lowDatapoints ?? TARGET_TRACKING_DEFAULTS.lowDatapoints;
  return o.policies.map((p) => {
    const metric = metricFor(o, p.metric);
    const common = { period: o.period, treatMissingData: 'missing' as const };
    const highAlarm: AlarmDefinition = {
      ...metric,
      ...common,
      name: targetTrackingAlarmName(o.groupName, 'High', p.metric),
      description: `Scale out ${o.groupName} when ${p.metric} is above ${p.target}.`,
      evaluationPeriods: high,
      datapointsToAlarm: high,
      threshold: p.target,
      comparisonOperator: 'GreaterThanThreshold',
    };
    const lowAlarm: AlarmDefinition | undefined = p.disableScaleIn
      ? undefined
      : {
          ...metric,
          ...common,
          name: targetTrackingAlarmName(o.groupName, 'Low', p.metric),
          description: `Scale in ${o.groupName} when ${p.metric} is below ${p.target * TARGET_TRACKING_DEFAULTS.lowThresholdRatio}.`,
          evaluationPeriods: low,
          datapointsToAlarm: low,
          threshold: p.target * TARGET_TRACKING_DEFAULTS.lowThresholdRatio,
          comparisonOperator: 'LessThanThreshold',
        };
    return {
      policyName: targetTrackingPolicyName(p.metric),
      metric: p.metric,
      target: p.target,
      disableScaleIn: p.disableScaleIn,
      high: highAlarm,
      low: lowAlarm,
    };
  });
}

/** 'high' when the high alarm is in ALARM, else 'low' when the low one is, else 'none'. */
export function trackingAlarmState(high: AlarmState | undefined, low: AlarmState | undefined): TrackingAlarmState {
  if (high === 'ALARM') return 'high';
  if (low === 'ALARM') return 'low';
  return 'none';
}

/**
 * Reads the alarms' current states into what `decideTargetTracking` takes. `describe` is
 * `name => alarmManager.describeAlarm(name)`. The metric value is the newest datapoint the firing
 * alarm saw (the high alarm's when neither fires).
 */
export function targetTrackingPolicyStates(
  pairs: readonly TargetTrackingAlarmPair[],
  describe: (alarmName: string) => AlarmStatus | undefined,
): TargetTrackingPolicyState[] {
  return pairs.map((p) => {
    const high = describe(p.high.name);
    const low = p.low === undefined ? undefined : describe(p.low.name);
    const alarmState = trackingAlarmState(high?.state, low?.state);
    const firing = alarmState === 'low' ? low : high;
    return {
      policyName: p.policyName,
      metric: p.metric,
      target: p.target,
      disableScaleIn: p.disableScaleIn,
      metricValue: firing?.latestValue ?? high?.latestValue,
      alarmState,
      alarmName: alarmState === 'low' && p.low !== undefined ? p.low.name : p.high.name,
    };
  });
}
