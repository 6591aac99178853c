/**
 * The stack's CloudWatch dashboard: the state of every alarm, one graph per alarm rule with its
 * threshold drawn across it, and the two figures a reader wants first — requests and healthy
 * hosts. The DNS health check is graphed from us-east-1, where Route 53 publishes it.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmId, ResolvedSpec } from '../../spec/types.ts';
import { ROUTE53_METRICS_REGION, alarmMetric, describeRule, type AlarmDimensions } from './alarm-metric.ts';

export interface MonitoringDashboardProps {
  readonly spec: ResolvedSpec;
  readonly dimensions: AlarmDimensions;
  /** The alarms made, by rule. */
  readonly alarms: ReadonlyMap<AlarmId, cloudwatch.IAlarm>;
}

const GRAPH = { width: 8, height: 6 } as const;
const ALARM_RED = '#d62728';
const MINUTE = Duration.minutes(1);

/** Builds the dashboard, named `<stack name>-<region>`. */
export function monitoringDashboard(scope: Construct, id: string, props: MonitoringDashboardProps): cloudwatch.Dashboard {
  const { spec, dimensions } = props;
  const rows: cloudwatch.IWidget[][] = [];
  if (props.alarms.size > 0) {
    rows.push([new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms.values()], width: 24, height: 3 })]);
  }
  const graphs: cloudwatch.IWidget[] = [];
  graphs.push(
    new cloudwatch.GraphWidget({
      title: 'Requests (count per minute)',
      left: [new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', statistic: 'Sum', dimensionsMap: dimensions.loadBalancer, period: MINUTE })],
      ...GRAPH,
    }),
    new cloudwatch.GraphWidget({
      title: 'Healthy hosts',
      left: [new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName: 'HealthyHostCount', statistic: 'Minimum', dimensionsMap: dimensions.targetGroup, period: MINUTE })],
      leftAnnotations: [{ value: spec.capacity.min, label: `capacity.min (${spec.capacity.min})` }],
      ...GRAPH,
    }),
  );
  for (const rule of spec.alarms.rules) {
    const elsewhere = rule.id === 'dnsHealthCheck' && spec.region !== ROUTE53_METRICS_REGION;
    const metric = alarmMetric(rule, dimensions, elsewhere ? { region: ROUTE53_METRICS_REGION } : {});
    if (metric === undefined) continue;
    graphs.push(
      new cloudwatch.GraphWidget({
        title: `${rule.id}${props.alarms.has(rule.id) ? '' : ' (no alarm in this region)'}`,
        left: [metric],
        leftAnnotations: [{ value: rule.threshold, label: describeRule(rule), color: ALARM_RED }],
        ...GRAPH,
      }),
    );
  }
  const perRow = 24 / GRAPH.width;
  for (let i = 0; i < graphs.length; i += perRow) rows.push(graphs.slice(i, i + perRow));
  return new cloudwatch.Dashboard(scope, id, { dashboardName: `${spec.name}-${spec.region}`, widgets: rows });
}
