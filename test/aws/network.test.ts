import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DATABASE_PORT, HaNetwork } from '../../src/aws/network.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, nagFindings, synth } from './synth.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-111122223333';

function build(spec: ResolvedSpec) {
  const app = new App();
  const stack = new Stack(app, 'T', { env: { account: '123456789012', region: spec.region } });
  const network = new HaNetwork(stack, 'Network', { spec });
  return { app, stack, network, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Every ingress rule of a template, inline or separate, as `<group logical id> <port> <source>`. */
function ingressRules(template: Template): string[] {
  const resources = template.toJSON()['Resources'] as Resources;
  const id = (ref: unknown): string => {
    const r = ref as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
    return r?.['Fn::GetAtt']?.[0] ?? r?.Ref ?? JSON.stringify(ref);
  };
  const line = (group: string, r: Record<string, unknown>): string =>
    `${group} ${String(r['FromPort'])}-${String(r['ToPort'])} ${r['CidrIp'] !== undefined ? String(r['CidrIp']) : r['CidrIpv6'] !== undefined ? String(r['CidrIpv6']) : id(r['SourceSecurityGroupId'])}`;
  const rules: string[] = [];
  for (const [logicalId, res] of Object.entries(resources)) {
    if (res.Type === 'AWS::EC2::SecurityGroup') {
      for (const r of (res.Properties?.['SecurityGroupIngress'] as Record<string, unknown>[] | undefined) ?? []) rules.push(line(logicalId, r));
    }
    if (res.Type === 'AWS::EC2::SecurityGroupIngress') rules.push(line(id(res.Properties?.['GroupId']), res.Properties ?? {}));
  }
  return rules.sort();
}

/** The logical ids of the three groups, by role. */
function groups(template: Template): { lb: string; instances: string; db: string } {
  const find = (prefix: string): string => {
    const ids = Object.keys(template.findResources('AWS::EC2::SecurityGroup')).filter((k) => k.startsWith(prefix));
    assert.equal(ids.length, 1, `one ${prefix} group`);
    return ids[0] ?? '';
  };
  return { lb: find('NetworkLoadBalancerSecurityGroup'), instances: find('NetworkInstanceSecurityGroup'), db: find('NetworkDatabaseSecurityGroup') };
}

function expectedIngress(template: Template, spec: ResolvedSpec): string[] {
  const g = groups(template);
  return [
    `${g.lb} 80-80 0.0.0.0/0`,
    ...(spec.loadBalancer.https ? [`${g.lb} 443-443 0.0.0.0/0`] : []),
    `${g.instances} ${spec.app.port}-${spec.app.port} ${g.lb}`,
    `${g.db} ${DATABASE_PORT}-${DATABASE_PORT} ${g.instances}`,
  ].sort();
}

describe('HaNetwork: VPC', () => {
  const cases: { name: string; overrides: Record<string, unknown>; zones: number; nat: number }[] = [
    { name: 'three zones, NAT per zone (the default)', overrides: {}, zones: 3, nat: 3 },
    { name: 'two zones, NAT per zone', overrides: { zones: ['us-east-1a', 'us-east-1b'] }, zones: 2, nat: 2 },
    { name: 'three zones, one NAT gateway', overrides: { aws: { natGateways: 'single' } }, zones: 3, nat: 1 },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN synthesized THEN each zone has a public, a private and an isolated subnet and there are ${c.nat} NAT gateways`, () => {
      const spec = exampleSpec(c.overrides);
      const { template } = build(spec);
      template.resourceCountIs('AWS::EC2::Subnet', 3 * c.zones);
      template.resourceCountIs('AWS::EC2::NatGateway', c.nat);
      for (const zone of spec.zones) {
        for (const type of ['Public', 'Private', 'Isolated']) {
          template.hasResourceProperties('AWS::EC2::Subnet', {
            AvailabilityZone: zone,
            Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: type }]),
          });
        }
      }
    });
  }

  it('GIVEN aws.vpcCidr WHEN synthesized THEN the VPC uses it', () => {
    const { template } = build(exampleSpec({ aws: { vpcCidr: '10.42.0.0/16' } }));
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.42.0.0/16', EnableDnsHostnames: true, EnableDnsSupport: true });
  });

  it('GIVEN aws.logRetentionDays 90 WHEN synthesized THEN all traffic is logged to a log group kept 90 days', () => {
    const { template } = build(exampleSpec({ aws: { logRetentionDays: 90 } }));
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('GIVEN the defaults WHEN synthesized THEN an S3 gateway endpoint serves the private and isolated subnets, and the default security group is restricted', () => {
    const { template } = build(exampleSpec());
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] },
      RouteTableIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('PrivateSubnet1RouteTable') }, { Ref: Match.stringLikeRegexp('IsolatedSubnet1RouteTable') }]),
    });
    const endpoint = Object.values(template.findResources('AWS::EC2::VPCEndpoint'))[0] as { Properties: { RouteTableIds: unknown[] } };
    assert.equal(endpoint.Properties.RouteTableIds.length, 6, 'three private and three isolated route tables');
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});

describe('HaNetwork: security groups', () => {
  const cases: { name: string; overrides: Record<string, unknown> }[] = [
    { name: 'HTTP only', overrides: {} },
    { name: 'HTTPS with a certificate, app port 3000', overrides: { loadBalancer: { certificateArn: CERT }, app: { port: 3000 } } },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN synthesized THEN the only ingress is internet → load balancer → app port → database port`, () => {
      const spec = exampleSpec(c.overrides);
      const { template } = build(spec);
      assert.deepEqual(ingressRules(template), expectedIngress(template, spec));
    });
  }

  it('GIVEN the defaults WHEN synthesized THEN egress is the load balancer to the app port, the instances to 443 and the database, and nothing from the database', () => {
    const spec = exampleSpec();
    const { template } = build(spec);
    const g = groups(template);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [g.lb, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [g.instances, 'GroupId'] },
      FromPort: spec.app.port,
      ToPort: spec.app.port,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [g.instances, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [g.db, 'GroupId'] },
      FromPort: DATABASE_PORT,
      ToPort: DATABASE_PORT,
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 2);
    const groupsById = template.findResources('AWS::EC2::SecurityGroup') as Resources;
    assert.deepEqual(groupsById[g.lb]?.Properties?.['SecurityGroupEgress'], undefined, 'the load balancer has no inline egress');
    assert.deepEqual(groupsById[g.instances]?.Properties?.['SecurityGroupEgress'], [
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to AWS APIs and package repositories', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    // CDK's stand-in for "no egress at all": an ICMP rule to a broadcast address that matches nothing.
    assert.deepEqual(groupsById[g.db]?.Properties?.['SecurityGroupEgress'], [
      { CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', FromPort: 252, IpProtocol: 'icmp', ToPort: 86 },
    ]);
  });

  it('GIVEN the network alone WHEN checked by cdk-nag AwsSolutions THEN nothing is left unacknowledged', () => {
    const { app } = build(exampleSpec({ loadBalancer: { certificateArn: CERT } }));
    assert.deepEqual(findingsUnder(app, 'T/Network'), []);
  });
});

describe('HaNetwork in the full app', () => {
  for (const [name, overrides] of [
    ['HTTP only', {}],
    ['HTTPS', { loadBalancer: { certificateArn: CERT } }],
  ] as const) {
    it(`GIVEN ${name} WHEN all four stacks are synthesized THEN the network stack holds exactly the four-step ingress and cdk-nag finds nothing`, () => {
      const s = synth(exampleSpec(overrides));
      assert.deepEqual(ingressRules(s.templates.network), expectedIngress(s.templates.network, s.spec));
      for (const other of ['data', 'app', 'monitoring'] as const) s.templates[other].resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      assert.deepEqual(nagFindings(s), []);
    });
  }
});
