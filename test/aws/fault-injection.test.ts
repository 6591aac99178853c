/**
 * The Fault Injection Service experiment templates, built in a stack of their own over a real VPC
 * (public, private and isolated subnets in each zone), an Auto Scaling group and real alarms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { HaFaultInjection } from '../../src/aws/fault-injection.ts';
import { appFindings, exampleSpec, nagFindings, synth } from './synth.ts';

const DB_INSTANCE_ARN = 'arn:aws:rds:us-east-1:123456789012:db:guestbook-db';
const DB_CLUSTER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:guestbook-db';

interface Built {
  readonly app: App;
  readonly template: Template;
  readonly fis: HaFaultInjection;
}

function build(
  spec: ResolvedSpec,
  o: { kind?: 'instance' | 'cluster'; stopAlarms?: number; account?: string; outage?: Duration } = {},
): Built {
  const app = new App();
  const stack = new Stack(app, 'T', { env: { region: spec.region, ...(o.account === undefined ? { account: '123456789012' } : o.account === '' ? {} : { account: o.account }) } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: [...spec.zones],
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc,
    instanceType: new ec2.InstanceType('t4g.small'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
  });
  const metric = new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName: 'RequestCount' });
  const stopAlarms = Array.from({ length: o.stopAlarms ?? 2 }, (_, i) => new cloudwatch.Alarm(stack, `Critical${i + 1}`, { metric, threshold: 1, evaluationPeriods: 1 }));
  const kind = o.kind ?? 'instance';
  const fis = new HaFaultInjection(stack, 'FaultInjection', {
    spec,
    vpc,
    autoScalingGroup: asg,
    databaseArn: kind === 'instance' ? DB_INSTANCE_ARN : DB_CLUSTER_ARN,
    databaseKind: kind,
    stopAlarms,
    ...(o.outage === undefined ? {} : { zoneNetworkOutage: o.outage }),
  });
  return { app, template: Template.fromStack(stack), fis };
}

function template(t: Template, name: string): Record<string, any> {
  const found = Object.values(t.findResources('AWS::FIS::ExperimentTemplate', { Properties: { Tags: { Name: `guestbook-${name}` } } }));
  assert.equal(found.length, 1, `one template tagged guestbook-${name}`);
  return found[0]!.Properties;
}

describe('HaFaultInjection templates', () => {
  it('GIVEN three zones WHEN built THEN there are 3 instance, 1 database and 3 network templates, and their ids by experiment name', () => {
    const spec = exampleSpec();
    const { template: t, fis } = build(spec);
    t.resourceCountIs('AWS::FIS::ExperimentTemplate', 7);
    assert.deepEqual([...fis.templateIds.keys()].sort(), [
      'database-failover',
      ...spec.zones.map((z) => `zone-${z}-instances`),
      ...spec.zones.map((z) => `zone-${z}-network`),
    ].sort());
  });

  for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
    it(`GIVEN zone ${zone} WHEN its instance template is built THEN it terminates the running instances of the group in that zone only`, () => {
      const p = template(build(exampleSpec()).template, `zone-${zone}-instances`);
      assert.deepEqual(p.Actions, { terminate: { ActionId: 'aws:ec2:terminate-instances', Targets: { Instances: 'instances' } } });
      const target = p.Targets.instances;
      assert.equal(target.ResourceType, 'aws:ec2:instance');
      assert.equal(target.SelectionMode, 'ALL');
      assert.deepEqual(Object.keys(target.ResourceTags), ['aws:autoscaling:groupName']);
      assert.match(JSON.stringify(target.ResourceTags), /"Ref":"Asg/);
      assert.deepEqual(target.Filters, [
        { Path: 'Placement.AvailabilityZone', Values: [zone] },
        { Path: 'State.Name', Values: ['running'] },
      ]);
    });
  }

  const databases: ['instance' | 'cluster', string, Record<string, unknown>, string][] = [
    ['instance', 'aws:rds:db', { reboot: { ActionId: 'aws:rds:reboot-db-instances', Parameters: { forceFailover: 'true' }, Targets: { DBInstances: 'database' } } }, DB_INSTANCE_ARN],
    ['cluster', 'aws:rds:cluster', { failover: { ActionId: 'aws:rds:failover-db-cluster', Targets: { Clusters: 'database' } } }, DB_CLUSTER_ARN],
  ];
  for (const [kind, resourceType, actions, arn] of databases) {
    it(`GIVEN a database ${kind} WHEN the failover template is built THEN it ${kind === 'instance' ? 'reboots it with failover' : 'fails the cluster over'}`, () => {
      const p = template(build(exampleSpec(), { kind }).template, 'database-failover');
      assert.deepEqual(p.Actions, actions);
      assert.deepEqual(p.Targets, { database: { ResourceType: resourceType, ResourceArns: [arn], SelectionMode: 'ALL' } });
    });
  }

  it('GIVEN a zone WHEN its network template is built THEN it cuts that zone\'s private and isolated subnets (not public) off from all traffic for five minutes', () => {
    const p = template(build(exampleSpec()).template, 'zone-us-east-1b-network');
    assert.deepEqual(p.Actions, { disrupt: { ActionId: 'aws:network:disrupt-connectivity', Parameters: { duration: 'PT5M', scope: 'all' }, Targets: { Subnets: 'subnets' } } });
    const arns = JSON.stringify(p.Targets.subnets.ResourceArns);
    assert.equal(p.Targets.subnets.ResourceType, 'aws:ec2:subnet');
    assert.equal(p.Targets.subnets.ResourceArns.length, 2);
    assert.match(arns, /VpcappSubnet2/);
    assert.match(arns, /VpcdataSubnet2/);
    assert.doesNotMatch(arns, /Subnet[13]|public/);
  });

  it('GIVEN a longer outage WHEN the network templates are built THEN they last that long', () => {
    const p = template(build(exampleSpec(), { outage: Duration.minutes(12) }).template, 'zone-us-east-1a-network');
    assert.equal(p.Actions.disrupt.Parameters.duration, 'PT12M');
  });

  const stops: [number, (s: Record<string, any>[]) => void][] = [
    [0, (s) => assert.deepEqual(s, [{ Source: 'none' }])],
    [2, (s) => {
      assert.equal(s.length, 2);
      for (const c of s) assert.equal(c.Source, 'aws:cloudwatch:alarm');
      assert.match(JSON.stringify(s), /Critical1.*Critical2/);
    }],
    [7, (s) => {
      assert.equal(s.length, 1, 'FIS takes at most 5 stop conditions: one composite alarm stands for all');
      assert.match(JSON.stringify(s[0]), /FaultInjectionStopCondition/);
    }],
  ];
  for (const [count, check] of stops) {
    it(`GIVEN ${count} critical alarms WHEN the templates are built THEN each template's stop conditions stand for all of them`, () => {
      const { template: t } = build(exampleSpec(), { stopAlarms: count });
      for (const r of Object.values(t.findResources('AWS::FIS::ExperimentTemplate'))) check((r as any).Properties.StopConditions);
      if (count > 5) {
        t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'guestbook-fault-injection-stop' });
        const rule = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm'))[0]);
        for (let i = 1; i <= count; i++) assert.match(rule, new RegExp(`Critical${i}[A-F0-9]+`), `the composite alarm watches Critical${i}`);
        assert.equal(rule.match(/ OR /g)?.length, count - 1);
      }
    });
  }

  it('GIVEN any template WHEN built THEN it logs to a CloudWatch Logs group kept for aws.logRetentionDays', () => {
    const spec = exampleSpec({ aws: { logRetentionDays: 90 } });
    const { template: t } = build(spec);
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/fis/guestbook', RetentionInDays: 90 });
    for (const r of Object.values(t.findResources('AWS::FIS::ExperimentTemplate'))) {
      const log = (r as any).Properties.LogConfiguration;
      assert.equal(log.LogSchemaVersion, 2);
      assert.match(JSON.stringify(log.CloudWatchLogsConfiguration.LogGroupArn), /FaultInjectionExperimentLog/);
    }
  });
});

describe('HaFaultInjection role', () => {
  it('GIVEN the templates WHEN built THEN FIS alone may assume the role, from this account\'s experiments', () => {
    build(exampleSpec()).template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'fis.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      },
    });
  });

  const statements: [string, Record<string, unknown>][] = [
    ['terminate only the group\'s instances', { Action: 'ec2:TerminateInstances', Condition: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': { Ref: Match.stringLikeRegexp('^Asg') } } } }],
    ['reboot only this database', { Action: ['rds:RebootDBInstance', 'rds:DescribeDBInstances'], Resource: DB_INSTANCE_ARN }],
    ['create only ACLs tagged managedByFIS', { Action: 'ec2:CreateNetworkAcl', Condition: { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } } }],
    ['change and delete only ACLs tagged managedByFIS', { Action: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'], Condition: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } } }],
  ];
  for (const [what, statement] of statements) {
    it(`GIVEN the role's policy WHEN read THEN it may ${what}`, () => {
      build(exampleSpec()).template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', ...statement })]) },
      });
    });
  }

  it('GIVEN the role\'s policy WHEN read THEN no action is a wildcard', () => {
    const t = build(exampleSpec()).template;
    const actions = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    assert.ok(actions.length > 0);
    for (const a of actions) assert.doesNotMatch(a, /\*$/, a);
  });

  const nagCases: [string, ResolvedSpec, Parameters<typeof build>[1]][] = [
    ['a known account', exampleSpec(), {}],
    ['no account (resolved at deploy time) and a cluster', exampleSpec({ region: 'eu-west-1' }), { account: '', kind: 'cluster' }],
  ];
  for (const [what, spec, o] of nagCases) {
    it(`GIVEN ${what} WHEN AwsSolutions checks run THEN the fault injection resources have no unacknowledged finding`, () => {
      const { app } = build(spec, o);
      const findings = appFindings(app).filter((f) => f.includes('/FaultInjection/'));
      assert.deepEqual(findings, []);
    });
  }
});

describe('fault injection in the whole app', () => {
  const cases: [string, ResolvedSpec, string][] = [
    ['the example spec', exampleSpec(), 'aws:rds:db'],
    ['a multi-AZ cluster', exampleSpec({ database: { deployment: 'multi-az-cluster' } }), 'aws:rds:cluster'],
  ];
  for (const [name, spec, databaseType] of cases) {
    it(`GIVEN ${name} WHEN the four stacks are synthesized THEN the monitoring stack holds the templates, stopped by the critical alarms, with nothing unacknowledged`, () => {
      const built = synth(spec);
      const t = built.templates.monitoring;
      t.resourceCountIs('AWS::FIS::ExperimentTemplate', 2 * spec.zones.length + 1);
      const critical = spec.alarms.rules.filter((r) => r.critical).map((r) => r.id);
      for (const r of Object.values(t.findResources('AWS::FIS::ExperimentTemplate')) as any[]) {
        const stops = JSON.stringify(r.Properties.StopConditions);
        for (const id of critical) assert.match(stops, new RegExp(`MonitoringAlarm${id}`), `${r.Properties.Tags.Name} stops on ${id}`);
        assert.equal(r.Properties.StopConditions.length, critical.length);
      }
      assert.equal(template(t, 'database-failover').Targets.database.ResourceType, databaseType);
      const zoneB = template(t, `zone-${spec.zones[1]}-network`).Targets.subnets.ResourceArns;
      assert.equal(zoneB.length, 2, "the zone's private and isolated subnets");
      assert.deepEqual(nagFindings(built).filter((f) => f.includes('/FaultInjection/')), []);
    });
  }
});
