import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { certificateSource, HaLoadBalancer } from '../../src/aws/load-balancer.ts';
import { isHastackError } from '../../src/errors.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { constructStack, findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, nagFindings, synth } from './synth.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-111122223333';
const DNS = { domain: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };

function build(spec: ResolvedSpec) {
  const f = constructStack(spec);
  const logBucket = new s3.Bucket(f.stack, 'Logs', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true });
  const lb = new HaLoadBalancer(f.stack, 'LoadBalancer', { spec, vpc: f.vpc, securityGroup: f.securityGroup, logBucket });
  return { ...f, lb, logBucket, template: Template.fromStack(f.stack) };
}

describe('certificate source (pure)', () => {
  const cases: [string, Record<string, unknown>, ReturnType<typeof certificateSource>][] = [
    ['no HTTPS', {}, { kind: 'none' }],
    ['a certificate ARN', { loadBalancer: { certificateArn: CERT } }, { kind: 'arn', arn: CERT }],
    ['dns with a hosted zone', { dns: DNS }, { kind: 'dns-validated', domain: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' }],
    ['dns and a certificate ARN', { dns: DNS, loadBalancer: { certificateArn: CERT } }, { kind: 'arn', arn: CERT }],
  ];
  for (const [name, overrides, expected] of cases) {
    it(`GIVEN ${name} WHEN the certificate is chosen THEN it is ${expected.kind}`, () => {
      assert.deepEqual(certificateSource(exampleSpec(overrides)), expected);
    });
  }

  it('GIVEN https true without a certificate or hosted zone WHEN the certificate is chosen THEN HASTACK_AWS_SPEC_INVALID names the field', () => {
    assert.throws(
      () => certificateSource(exampleSpec({ loadBalancer: { https: true } })),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_AWS_SPEC_INVALID' && e.source === 'user' && e.message.includes('loadBalancer.https'),
    );
  });
});

describe('HaLoadBalancer', () => {
  it('GIVEN the defaults WHEN synthesized THEN an internet-facing ALB in the public subnets keeps access logs, deletion protection, drops invalid headers and mitigates desync', () => {
    const { template, stack, logBucket } = build(exampleSpec({ loadBalancer: { idleTimeout: 120 } }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      Scheme: 'internet-facing',
      Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcpublicSubnet1') }]),
      SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Group'), 'GroupId'] }],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'idle_timeout.timeout_seconds', Value: '120' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'routing.http.desync_mitigation_mode', Value: 'defensive' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: stack.getLogicalId(logBucket.node.defaultChild as CfnElement) } },
        { Key: 'access_logs.s3.prefix', Value: 'alb' },
      ]),
    });
  });

  it('GIVEN no HTTPS WHEN synthesized THEN one HTTP listener on 80 forwards to the target group and the security group is left alone', () => {
    const { template } = build(exampleSpec());
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^LoadBalancerTargets') } }],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });

  it('GIVEN a certificate ARN WHEN synthesized THEN HTTPS on 443 uses it with the TLS 1.2/1.3 policy and HTTP on 80 redirects there with a 301', () => {
    const { template } = build(exampleSpec({ loadBalancer: { certificateArn: CERT } }));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
      Certificates: [{ CertificateArn: CERT }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^LoadBalancerTargets') } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });

  it('GIVEN dns with a hosted zone and no ARN WHEN synthesized THEN ACM issues a DNS-validated certificate for the domain through that zone', () => {
    const { template, lb } = build(exampleSpec({ dns: DNS }));
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'app.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'app.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^LoadBalancerCertificate') } }],
    });
    assert.ok(lb.certificate !== undefined);
  });

  const targetGroups: [string, Record<string, unknown>, Record<string, unknown>, Record<string, string | undefined>][] = [
    [
      'the default health check and round robin',
      {},
      { HealthCheckPath: '/readyz', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2, Matcher: { HttpCode: '200' } },
      { 'deregistration_delay.timeout_seconds': '30', 'load_balancing.algorithm.type': 'round_robin', 'slow_start.duration_seconds': undefined },
    ],
    [
      'a custom health check, least outstanding requests and a long deregistration delay',
      {
        algorithm: 'least_outstanding_requests',
        deregistrationDelay: 120,
        healthCheck: { path: '/healthz', interval: 10, timeout: 3, healthyThreshold: 3, unhealthyThreshold: 4, successCodes: '200-299' },
      },
      { HealthCheckPath: '/healthz', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 3, UnhealthyThresholdCount: 4, Matcher: { HttpCode: '200-299' } },
      { 'deregistration_delay.timeout_seconds': '120', 'load_balancing.algorithm.type': 'least_outstanding_requests', 'slow_start.duration_seconds': undefined },
    ],
    [
      'a 60 s slow start',
      { slowStart: 60 },
      { HealthCheckPath: '/readyz' },
      { 'slow_start.duration_seconds': '60', 'load_balancing.algorithm.type': 'round_robin' },
    ],
  ];
  for (const [name, loadBalancer, healthCheck, attributes] of targetGroups) {
    it(`GIVEN ${name} WHEN synthesized THEN the target group's health check and attributes are exactly the spec's`, () => {
      const { template } = build(exampleSpec({ loadBalancer, app: { port: 3000 } }));
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: 3000,
        Protocol: 'HTTP',
        TargetType: 'instance',
        HealthCheckEnabled: true,
        HealthCheckProtocol: 'HTTP',
        ...healthCheck,
      });
      const tg = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0] as { Properties: { TargetGroupAttributes: { Key: string; Value: string }[] } };
      const actual = Object.fromEntries(tg.Properties.TargetGroupAttributes.map((a) => [a.Key, a.Value]));
      for (const [key, value] of Object.entries(attributes)) assert.equal(actual[key], value, key);
    });
  }

  for (const [name, overrides] of [['HTTP only', {}], ['HTTPS through dns', { dns: DNS }]] as const) {
    it(`GIVEN ${name} WHEN checked with AwsSolutions THEN nothing under the load balancer is left unacknowledged`, () => {
      const { app } = build(exampleSpec(overrides));
      assert.deepEqual(findingsUnder(app, 'T/LoadBalancer/'), []);
    });
  }
});

describe('HaLoadBalancer in the full app', () => {
  it('GIVEN dns WHEN the four stacks are synthesized THEN the app stack holds the HTTPS ALB logging to the data stack\'s log bucket and nag finds nothing under it', () => {
    const s = synth(exampleSpec({ dns: DNS }));
    s.templates.app.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
    s.templates.app.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.bucket', Value: { 'Fn::ImportValue': Match.anyValue() } }]),
    });
    assert.deepEqual(nagFindings(s).filter((l) => l.includes('-app/LoadBalancer/')), []);
  });
});
