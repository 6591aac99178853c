import type { Dimensions, MetricUnit } from './types.ts';

/**
 * Names every twin component uses to report and read metrics, spelt as AWS spells them so alarms
 * written for AWS read the twin unchanged.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html
 */
export const NAMESPACE = {
  ALB: 'AWS/ApplicationELB',
  EC2: 'AWS/EC2',
  AUTO_SCALING: 'AWS/AutoScaling',
} as const;

export const ALB_METRIC = {
  RequestCount: 'RequestCount',
  TargetResponseTime: 'TargetResponseTime',
  HTTPCode_Target_2XX_Count: 'HTTPCode_Target_2XX_Count',
  HTTPCode_Target_4XX_Count: 'HTTPCode_Target_4XX_Count',
  HTTPCode_Target_5XX_Count: 'HTTPCode_Target_5XX_Count',
  HTTPCode_ELB_5XX_Count: 'HTTPCode_ELB_5XX_Count',
  HealthyHostCount: 'HealthyHostCount',
  UnHealthyHostCount: 'UnHealthyHostCount',
  RequestCountPerTarget: 'RequestCountPerTarget',
} as const;
export type AlbMetricName = (typeof ALB_METRIC)[keyof typeof ALB_METRIC];

export const EC2_METRIC = {
  CPUUtilization: 'CPUUtilization',
} as const;
export type Ec2MetricName = (typeof EC2_METRIC)[keyof typeof EC2_METRIC];

export const ASG_METRIC = {
  GroupDesiredCapacity: 'GroupDesiredCapacity',
  GroupInServiceInstances: 'GroupInServiceInstances',
  GroupMinSize: 'GroupMinSize',
  GroupMaxSize: 'GroupMaxSize',
  GroupPendingInstances: 'GroupPendingInstances',
  GroupTerminatingInstances: 'GroupTerminatingInstances',
  GroupTotalInstances: 'GroupTotalInstances',
} as const;
export type AsgMetricName = (typeof ASG_METRIC)[keyof typeof ASG_METRIC];

/** The unit each metric is reported in, so producers agree. */
export const METRIC_UNIT: Readonly<Record<AlbMetricName | Ec2MetricName | AsgMetricName, MetricUnit>> = {
  RequestCount: 'Count',
  TargetResponseTime: 'Seconds',
  HTTPCode_Target_2XX_Count: 'Count',
  HTTPCode_Target_4XX_Count: 'Count',
  HTTPCode_Target_5XX_Count: 'Count',
  HTTPCode_ELB_5XX_Count: 'Count',
  HealthyHostCount: 'Count',
  UnHealthyHostCount: 'Count',
  RequestCountPerTarget: 'Count',
  CPUUtilization: 'Percent',
  GroupDesiredCapacity: 'None',
  GroupInServiceInstances: 'None',
  GroupMinSize: 'None',
  GroupMaxSize: 'None',
  GroupPendingInstances: 'None',
  GroupTerminatingInstances: 'None',
  GroupTotalInstances: 'None',
};

/**
 * The `LoadBalancer` dimension value. AWS's is `app/<name>/<16 hex id>`; the twin has one load
 * balancer per name, so the id is the fixed word `local`.
 */
export function loadBalancerDimension(name: string): string {
  return `app/${name}/local`;
}

/** The `TargetGroup` dimension value: AWS's `targetgroup/<name>/<id>`, with id `local`. */
export function targetGroupDimension(name: string): string {
  return `targetgroup/${name}/local`;
}

/**
 * Dimensions of an AWS/ApplicationELB metric. AWS publishes each metric under several
 * combinations (per load balancer, per target group, per zone); pass the ones you publish under.
 * Names are plain names; the AWS-shaped values are built here.
 */
export function albDimensions(o: { loadBalancer: string; targetGroup?: string; availabilityZone?: string }): Dimensions {
  const d: Record<string, string> = { LoadBalancer: loadBalancerDimension(o.loadBalancer) };
  if (o.targetGroup !== undefined) d.TargetGroup = targetGroupDimension(o.targetGroup);
  if (o.availabilityZone !== undefined) d.AvailabilityZone = o.availabilityZone;
  return d;
}

/** RequestCountPerTarget is published per target group only. */
export function targetGroupOnlyDimensions(targetGroup: string): Dimensions {
  return { TargetGroup: targetGroupDimension(targetGroup) };
}

/** Per-instance AWS/EC2 metrics. */
export function instanceDimensions(instanceId: string): Dimensions {
  return { InstanceId: instanceId };
}

/** Group-level AWS/EC2 aggregates (only instances past warmup) and AWS/AutoScaling group metrics. */
export function autoScalingGroupDimensions(groupName: string): Dimensions {
  return { AutoScalingGroupName: groupName };
}
