import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import { defaultMaintenancePage, HaDns, primarySetIdentifier, secondarySetIdentifier } from '../../src/aws/dns.ts';
import { isHastackError } from '../../src/errors.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { constructStack, findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, nagFindings, synth } from './synth.ts';

const DNS = { domain: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };

function build(spec: ResolvedSpec) {
  const f = constructStack(spec);
  const alb = new elbv2.ApplicationLoadBalancer(f.stack, 'Alb', { vpc: f.vpc, internetFacing: true, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } });
  const dns = new HaDns(f.stack, 'Dns', { spec, loadBalancer: alb });
  const albId = f.stack.getLogicalId(alb.node.defaultChild as CfnElement);
  return { ...f, alb, albId, dns, template: Template.fromStack(f.stack) };
}

describe('dns settings (pure)', () => {
  it('GIVEN region eu-west-1 WHEN the records are identified THEN the primary is eu-west-1-primary, the seam for more regions', () => {
    const spec = exampleSpec({ region: 'eu-west-1', dns: DNS });
    assert.equal(primarySetIdentifier(spec), 'eu-west-1-primary');
    assert.equal(secondarySetIdentifier(spec), 'eu-west-1-maintenance');
  });

  it('GIVEN the domain WHEN the default maintenance page is written THEN it names the domain', () => {
    const spec = exampleSpec({ dns: DNS });
    assert.ok(spec.dns !== undefined);
    assert.match(defaultMaintenancePage(spec, spec.dns), /app\.example\.com is down for maintenance/);
  });
});

describe('HaDns', () => {
  const checks: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'HTTPS (the default with dns) and the default check',
      { dns: DNS },
      { Type: 'HTTPS', Port: 443, EnableSNI: true, ResourcePath: '/readyz', RequestInterval: 10, FailureThreshold: 3 },
    ],
    [
      'plain HTTP and a slow check on its own path',
      { dns: { ...DNS, healthCheck: { interval: 30, failureThreshold: 5, path: '/livez' } }, loadBalancer: { https: false } },
      { Type: 'HTTP', Port: 80, ResourcePath: '/livez', RequestInterval: 30, FailureThreshold: 5 },
    ],
  ];
  for (const [name, overrides, config] of checks) {
    it(`GIVEN ${name} WHEN synthesized THEN the Route 53 health check probes the load balancer with exactly those settings`, () => {
      const { template, albId, dns, stack } = build(exampleSpec(overrides));
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ ...config, FullyQualifiedDomainName: { 'Fn::GetAtt': [albId, 'DNSName'] } }),
      });
      assert.deepEqual(stack.resolve(dns.healthCheckId), { Ref: stack.getLogicalId(dns.healthCheck.node.defaultChild as CfnElement) });
    });
  }

  it('GIVEN dns WHEN synthesized THEN the primary failover alias points at the ALB with its health check and evaluate-target-health', () => {
    const { template, albId, dns, stack } = build(exampleSpec({ dns: DNS }));
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'app.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Failover: 'PRIMARY',
      SetIdentifier: 'us-east-1-primary',
      HealthCheckId: { Ref: stack.getLogicalId(dns.healthCheck.node.defaultChild as CfnElement) },
      AliasTarget: { DNSName: Match.objectLike({ 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [albId, 'DNSName'] }]] }), HostedZoneId: { 'Fn::GetAtt': [albId, 'CanonicalHostedZoneID'] }, EvaluateTargetHealth: true },
    });
    assert.equal((dns.primaryRecord.node.defaultChild as route53.CfnRecordSet).setIdentifier, 'us-east-1-primary');
  });

  it('GIVEN dns WHEN synthesized THEN the secondary failover alias points at an S3 website bucket named as the domain that serves index.html publicly and nothing else', () => {
    const { template, dns, stack } = build(exampleSpec({ dns: DNS }));
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'app.example.com.',
      Failover: 'SECONDARY',
      SetIdentifier: 'us-east-1-maintenance',
      HealthCheckId: Match.absent(),
      AliasTarget: { DNSName: 's3-website-us-east-1.amazonaws.com', HostedZoneId: Match.stringLikeRegexp('^Z'), EvaluateTargetHealth: true },
    });
    const bucketId = stack.getLogicalId(dns.maintenanceBucket.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'app.example.com',
      WebsiteConfiguration: { IndexDocument: 'index.html', ErrorDocument: 'index.html' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: Match.objectLike({
        Statement: [
          {
            Sid: 'PublicReadOfTheMaintenancePage',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/index.html']] },
          },
        ],
      }),
    });
    template.resourceCountIs('Custom::AWS', 1);
    const page = JSON.stringify(Object.values(template.findResources('Custom::AWS'))[0]);
    assert.match(page, /putObject/);
    assert.match(page, /deleteObject/);
    assert.match(page, /down for maintenance/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/index.html']] } }],
      }),
    });
  });

  it('GIVEN dns without a hosted zone id WHEN built THEN HASTACK_AWS_SPEC_INVALID names dns.hostedZoneId', () => {
    const spec = exampleSpec({ dns: { domain: 'app.example.com' } });
    const f = constructStack(spec);
    const alb = new elbv2.ApplicationLoadBalancer(f.stack, 'Alb', { vpc: f.vpc, internetFacing: true });
    assert.throws(
      () => new HaDns(f.stack, 'Dns', { spec, loadBalancer: alb }),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_AWS_SPEC_INVALID' && e.message.includes('dns.hostedZoneId'),
    );
  });

  it('GIVEN dns WHEN checked with AwsSolutions THEN nothing under it or the SDK-call provider it uses is left unacknowledged', () => {
    const { app } = build(exampleSpec({ dns: DNS }));
    assert.deepEqual(findingsUnder(app, 'T/Dns/', 'T/AWS679f53fac002430cb0da5b7982bd2287/'), []);
  });
});

describe('HaDns in the full app', () => {
  it('GIVEN dns WHEN the four stacks are synthesized THEN the app stack holds both failover records and nag finds nothing under them', () => {
    const s = synth(exampleSpec({ dns: DNS }));
    s.templates.app.hasResourceProperties('AWS::Route53::RecordSet', { Failover: 'PRIMARY', SetIdentifier: 'us-east-1-primary' });
    s.templates.app.hasResourceProperties('AWS::Route53::RecordSet', { Failover: 'SECONDARY' });
    s.templates.app.resourceCountIs('AWS::Route53::HealthCheck', 1);
    assert.deepEqual(nagFindings(s).filter((l) => l.includes('-app/Dns/') || l.includes('-app/AWS679f53fac002430cb0da5b7982bd2287/')), []);
  });
});
