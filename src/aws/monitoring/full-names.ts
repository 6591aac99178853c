/**
 * The `LoadBalancer` and `TargetGroup` dimension values of AWS/ApplicationELB metrics: the full
 * names (`app/<name>/<id>`, `targetgroup/<name>/<id>`). Constructs made here carry them as
 * attributes; imported ones only have an ARN, whose tail is the full name.
 */
import { Fn } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';

/** `app/<name>/<id>` of an ALB. */
export function loadBalancerFullName(lb: elbv2.IApplicationLoadBalancer): string {
  if (lb instanceof elbv2.ApplicationLoadBalancer) return lb.loadBalancerFullName;
  // arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
  const parts = Fn.split('/', lb.loadBalancerArn);
  return Fn.join('/', [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)]);
}

/** `targetgroup/<name>/<id>` of a target group. */
export function targetGroupFullName(tg: elbv2.IApplicationTargetGroup): string {
  if (tg instanceof elbv2.ApplicationTargetGroup) return tg.targetGroupFullName;
  // arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
  return Fn.select(5, Fn.split(':', tg.targetGroupArn));
}
