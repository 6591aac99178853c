/**
 * The group's target-tracking policies, one per spec.autoScaling.targetTracking entry: average CPU
 * and ALB requests per target. At spec.autoScaling.metricPeriod 60 both use AWS's predefined
 * metrics. Below 60 the CPU policy follows the CloudWatch agent's high-resolution CPU metric at
 * that period (EC2's own CPUUtilization has one datapoint a minute, even with detailed monitoring);
 * the load balancer publishes RequestCountPerTarget once a minute only, so that policy stays at 60 s.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ResolvedSpec, ResolvedTargetTracking } from '../../spec/types.ts';
import { AGENT_CPU_METRIC, AGENT_NAMESPACE } from './cloudwatch-agent.ts';
import { loadBalancerFullName, targetGroupFullName } from '../monitoring/full-names.ts';

export interface TargetTrackingProps {
  readonly spec: ResolvedSpec;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
}

/** Seconds between the agent's CPU samples when the CPU policy needs them; undefined at 60 s. */
export function agentCpuInterval(spec: ResolvedSpec): number | undefined {
  const cpu = spec.autoScaling.targetTracking.some((t) => t.metric === 'CPUUtilization');
  return cpu && spec.autoScaling.metricPeriod < 60 ? spec.autoScaling.metricPeriod : undefined;
}

/** The target-tracking policies of one group; `policies` by tracked metric. */
export class TargetTracking extends Construct {
  readonly policies: ReadonlyMap<ResolvedTargetTracking['metric'], autoscaling.CfnScalingPolicy>;

  constructor(scope: Construct, id: string, props: TargetTrackingProps) {
    super(scope, id);
    const { spec, autoScalingGroup: asg } = props;
    const warmup = Duration.seconds(spec.autoScaling.instanceWarmup);
    const policies = new Map<ResolvedTargetTracking['metric'], autoscaling.CfnScalingPolicy>();
    for (const t of spec.autoScaling.targetTracking) {
      if (t.metric === 'CPUUtilization') {
        const interval = agentCpuInterval(spec);
        if (interval === undefined) {
          const p = new autoscaling.TargetTrackingScalingPolicy(this, 'Cpu', {
            autoScalingGroup: asg,
            predefinedMetric: autoscaling.PredefinedMetric.ASG_AVERAGE_CPU_UTILIZATION,
            targetValue: t.target,
            disableScaleIn: t.disableScaleIn,
            estimatedInstanceWarmup: warmup,
          });
          policies.set(t.metric, p.node.defaultChild as autoscaling.CfnScalingPolicy);
        } else {
          policies.set(
            t.metric,
            new autoscaling.CfnScalingPolicy(this, 'Cpu', {
              autoScalingGroupName: asg.autoScalingGroupName,
              policyType: 'TargetTrackingScaling',
              estimatedInstanceWarmup: spec.autoScaling.instanceWarmup,
              targetTrackingConfiguration: {
                targetValue: t.target,
                disableScaleIn: t.disableScaleIn,
                customizedMetricSpecification: {
                  metrics: [
                    {
                      id: 'cpu',
                      returnData: true,
                      metricStat: {
                        metric: { namespace: AGENT_NAMESPACE, metricName: AGENT_CPU_METRIC, dimensions: [{ name: 'AutoScalingGroupName', value: asg.autoScalingGroupName }] },
                        stat: 'Average',
                        period: interval,
                      },
                    },
                  ],
                },
              },
            }),
          );
        }
      } else {
        if (spec.autoScaling.metricPeriod < 60) {
          Annotations.of(this).addWarningV2(
            'hastack:requestCountPerTargetPeriod',
            `autoScaling.metricPeriod is ${spec.autoScaling.metricPeriod}, but the load balancer publishes RequestCountPerTarget once a minute; the request-count policy tracks 60 s periods on AWS`,
          );
        }
        const p = new autoscaling.TargetTrackingScalingPolicy(this, 'RequestCount', {
          autoScalingGroup: asg,
          predefinedMetric: autoscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
          resourceLabel: requestCountLabel(props.loadBalancer, props.targetGroup),
          targetValue: t.target,
          disableScaleIn: t.disableScaleIn,
          estimatedInstanceWarmup: warmup,
        });
        // AWS checks the label when the policy is made: the target group must be behind the load balancer by then.
        p.node.addDependency(props.targetGroup.loadBalancerAttached);
        policies.set(t.metric, p.node.defaultChild as autoscaling.CfnScalingPolicy);
      }
    }
    this.policies = policies;
  }
}

/** ALBRequestCountPerTarget's resource label, `app/<lb>/<id>/targetgroup/<tg>/<id>`. */
export function requestCountLabel(lb: elbv2.IApplicationLoadBalancer, tg: elbv2.IApplicationTargetGroup): string {
  return `${loadBalancerFullName(lb)}/${targetGroupFullName(tg)}`;
}
