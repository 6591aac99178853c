/**
 * The spec's alarms in CloudWatch and a dashboard of the same metrics. Every rule of
 * spec.alarms.rules becomes one alarm named `<stack name>-<alarm id>` with the rule's threshold,
 * comparison, period, evaluation periods, datapoints to alarm and missing-data treatment (the
 * numbers the twin's alarms use), notifying the alarm topic on ALARM and on OK.
 *
 * Route 53 publishes health-check metrics in us-east-1 only, and an alarm reads metrics of its own
 * region. Outside us-east-1 the DNS alarm is therefore not made in this stack: a warning says so,
 * and the dashboard still graphs the health check from us-east-1. (A us-east-1 stack for it comes
 * with multi-region support.)
 */
import { Annotations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AlarmId, ResolvedAlarm, ResolvedSpec } from '../../spec/types.ts';
import { specAlarmName } from '../../spec/alarms.ts';
import { ROUTE53_METRICS_REGION, alarmMetric, describeRule, type AlarmDimensions } from './alarm-metric.ts';
import { monitoringDashboard } from './dashboard.ts';
import { loadBalancerFullName, targetGroupFullName } from './full-names.ts';

export interface HaMonitoringProps {
  readonly spec: ResolvedSpec;
  readonly topic: sns.ITopic;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** HaDatabase.metricDimensions and readerMetricDimensions. */
  readonly databaseDimensions: Readonly<Record<string, string>>;
  readonly readerDimensions: readonly Readonly<Record<string, string>>[];
  /** HaDns.healthCheckId, when spec.dns is set. */
  readonly dnsHealthCheckId?: string;
}

/** spec.alarms.rules as CloudWatch alarms (each notifying the topic) and a dashboard of the same metrics. */
export class HaMonitoring extends Construct {
  readonly alarms: ReadonlyMap<AlarmId, cloudwatch.IAlarm>;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: HaMonitoringProps) {
    super(scope, id);
    const { spec } = props;
    const lbName = loadBalancerFullName(props.loadBalancer);
    const dims: AlarmDimensions = {
      loadBalancer: { LoadBalancer: lbName },
      targetGroup: { TargetGroup: targetGroupFullName(props.targetGroup), LoadBalancer: lbName },
      autoScalingGroup: { AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName },
      database: { ...props.databaseDimensions },
      databaseReaders: props.readerDimensions.map((r) => ({ ...r })),
      dnsHealthCheck: props.dnsHealthCheckId === undefined ? undefined : { HealthCheckId: props.dnsHealthCheckId },
    };
    const alarmAction = new actions.SnsAction(props.topic);
    const alarms = new Map<AlarmId, cloudwatch.Alarm>();
    for (const rule of spec.alarms.rules) {
      const skipped = this.skipReason(rule, spec, props);
      if (skipped !== undefined) {
        Annotations.of(this).addWarningV2(`hastack:monitoring:${rule.id}-skipped`, skipped);
        continue;
      }
      const metric = alarmMetric(rule, dims);
      if (metric === undefined) continue;
      const alarm = new cloudwatch.Alarm(this, `Alarm-${rule.id}`, {
        alarmName: specAlarmName(spec.name, rule.id),
        alarmDescription: `${spec.name}: ${describeRule(rule)} for ${rule.datapointsToAlarm} of ${rule.evaluationPeriods} periods of ${rule.period} s${rule.critical ? ' (critical: stops fault injection experiments)' : ''}`,
        metric,
        threshold: rule.threshold,
        comparisonOperator: rule.comparison as cloudwatch.ComparisonOperator,
        evaluationPeriods: rule.evaluationPeriods,
        datapointsToAlarm: rule.datapointsToAlarm,
        treatMissingData: rule.treatMissingData as cloudwatch.TreatMissingData,
      });
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
      alarms.set(rule.id, alarm);
    }
    this.alarms = alarms;
    this.dashboard = monitoringDashboard(this, 'Dashboard', { spec, dimensions: dims, alarms });
  }

  private skipReason(rule: ResolvedAlarm, spec: ResolvedSpec, props: HaMonitoringProps): string | undefined {
    if (rule.id !== 'dnsHealthCheck') return undefined;
    if (props.dnsHealthCheckId === undefined) {
      return `alarms.dnsHealthCheck is on, but no Route 53 health check id was given; the DNS alarm is not made`;
    }
    if (spec.region !== ROUTE53_METRICS_REGION) {
      return `the DNS health-check alarm is not made in ${spec.region}: Route 53 publishes health-check metrics in ${ROUTE53_METRICS_REGION} only, and an alarm reads its own region's metrics; the dashboard still graphs the health check from ${ROUTE53_METRICS_REGION}`;
    }
    return undefined;
  }
}
