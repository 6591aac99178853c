/**
 * The Application Load Balancer: listeners, TLS, the app's target group and access logs, all from
 * spec.loadBalancer.
 */
import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { awsError } from './errors.ts';

export interface HaLoadBalancerProps {
  readonly spec: ResolvedSpec;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Where access logs go (prefix `alb/`). */
  readonly logBucket: s3.IBucket;
}

/** Prefix of the load balancer's access logs in the log bucket. */
export const ACCESS_LOG_PREFIX = 'alb';

/** TLS 1.3 and 1.2 with forward-secret AEAD ciphers only. */
export const SSL_POLICY = elbv2.SslPolicy.TLS13_RES;

/** Where the HTTPS listener's certificate comes from, or `none` for an HTTP-only load balancer. */
export type CertificateSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'arn'; readonly arn: string }
  | { readonly kind: 'dns-validated'; readonly domain: string; readonly hostedZoneId: string; readonly hostedZoneName: string };

/**
 * The certificate spec.loadBalancer asks for: its certificateArn, else one ACM validates through
 * the hosted zone of spec.dns. Throws HASTACK_AWS_SPEC_INVALID when HTTPS is on with neither.
 */
export function certificateSource(spec: ResolvedSpec): CertificateSource {
  const lb = spec.loadBalancer;
  if (!lb.https) return { kind: 'none' };
  if (lb.certificateArn !== undefined) return { kind: 'arn', arn: lb.certificateArn };
  const dns = spec.dns;
  if (dns?.hostedZoneId !== undefined) {
    return { kind: 'dns-validated', domain: dns.domain, hostedZoneId: dns.hostedZoneId, hostedZoneName: dns.hostedZoneName };
  }
  throw awsError(
    'HASTACK_AWS_SPEC_INVALID',
    'loadBalancer.https is true, but there is no certificate for it; expected loadBalancer.certificateArn, or dns with a hostedZoneId so hastack can have ACM issue one',
    { details: { problems: [{ path: 'loadBalancer.https', message: 'true without loadBalancer.certificateArn or dns.hostedZoneId' }] } },
  );
}

/**
 * An internet-facing ALB in the public subnets: HTTPS with an ACM certificate (spec's ARN, or one
 * validated through the hosted zone of spec.dns) and an HTTP → HTTPS redirect, or HTTP only; the
 * target group's health check, deregistration delay, algorithm and slow start exactly from the
 * spec; access logs, deletion protection, invalid header fields dropped.
 */
export class HaLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The listener that forwards to the target group: HTTPS on 443, or HTTP on 80 without HTTPS. */
  readonly listener: elbv2.ApplicationListener;
  /** The HTTPS listener's certificate, when HTTPS is on. */
  readonly certificate: acm.ICertificate | undefined;

  constructor(scope: Construct, id: string, props: HaLoadBalancerProps) {
    super(scope, id);
    const { spec } = props;
    const lb = spec.loadBalancer;
    const hc = lb.healthCheck;
    const source = certificateSource(spec);

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      idleTimeout: Duration.seconds(lb.idleTimeout),
      deletionProtection: spec.aws.deletionProtection,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.DEFENSIVE,
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(props.logBucket, ACCESS_LOG_PREFIX);

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: spec.app.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      healthCheck: {
        enabled: true,
        protocol: elbv2.Protocol.HTTP,
        path: hc.path,
        interval: Duration.seconds(hc.interval),
        timeout: Duration.seconds(hc.timeout),
        healthyThresholdCount: hc.healthyThreshold,
        unhealthyThresholdCount: hc.unhealthyThreshold,
        healthyHttpCodes: hc.successCodes,
      },
      deregistrationDelay: Duration.seconds(lb.deregistrationDelay),
      loadBalancingAlgorithmType: lb.algorithm === 'least_outstanding_requests'
        ? elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS
        : elbv2.TargetGroupLoadBalancingAlgorithmType.ROUND_ROBIN,
      ...(lb.slowStart > 0 ? { slowStart: Duration.seconds(lb.slowStart) } : {}),
    });

    // The security group is the network's: it already admits 80 and 443, so listeners leave it alone.
    if (source.kind === 'none') {
      this.certificate = undefined;
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
    } else {
      this.certificate = source.kind === 'arn'
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', source.arn)
        : new acm.Certificate(this, 'Certificate', {
            domainName: source.domain,
            validation: acm.CertificateValidation.fromDns(
              route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: source.hostedZoneId, zoneName: source.hostedZoneName }),
            ),
          });
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        sslPolicy: SSL_POLICY,
        certificates: [elbv2.ListenerCertificate.fromCertificateManager(this.certificate)],
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    }
  }
}
