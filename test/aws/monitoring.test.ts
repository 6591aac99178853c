/**
 * The alarm topic, the spec's CloudWatch alarms and the dashboard, each built in a stack of its own
 * with the real resources it watches (a VPC, an ALB with a target group, an Auto Scaling group).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ALARM_METRICS } from '../../src/spec/alarms.ts';
import type { ResolvedSpec, StackConfig } from '../../src/spec/types.ts';
import { HaAlarmTopic } from '../../src/aws/monitoring/alarm-topic.ts';
import { HaMonitoring } from '../../src/aws/monitoring/ha-monitoring.ts';
import { appFindings, exampleSpec, nagFindings as appNagFindings, synth } from './synth.ts';

const ALB_FULL_NAME = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Alb'), 'LoadBalancerFullName'] };
const TG_FULL_NAME = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Tg'), 'TargetGroupFullName'] };
const ASG_NAME = { Ref: Match.stringLikeRegexp('^Asg') };
const TOPIC = { Ref: Match.stringLikeRegexp('^AlarmsTopic') };

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
  readonly monitoring: HaMonitoring;
}

/** The topic and the monitoring of a spec, over real resources, in one stack. */
function build(spec: ResolvedSpec, extra: { readers?: number; dnsHealthCheckId?: string } = {}): Built {
  const app = new App();
  const stack = new Stack(app, 'T', { env: { account: '123456789012', region: spec.region } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: [...spec.zones], natGateways: 1 });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  const tg = new elbv2.ApplicationTargetGroup(stack, 'Tg', { vpc, port: spec.app.port, protocol: elbv2.ApplicationProtocol.HTTP });
  alb.addListener('Http', { port: 80, defaultTargetGroups: [tg] });
  const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc,
    instanceType: new ec2.InstanceType('t4g.small'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
  });
  const topic = new HaAlarmTopic(stack, 'Alarms', { spec });
  const readers = Array.from({ length: extra.readers ?? 0 }, (_, i) => ({ DBInstanceIdentifier: `guestbook-reader-${i + 1}` }));
  const monitoring = new HaMonitoring(stack, 'Monitoring', {
    spec,
    topic: topic.topic,
    loadBalancer: alb,
    targetGroup: tg,
    autoScalingGroup: asg,
    databaseDimensions: spec.database.deployment === 'multi-az-cluster' ? { DBClusterIdentifier: 'guestbook-db' } : { DBInstanceIdentifier: 'guestbook-db' },
    readerDimensions: readers,
    ...(extra.dnsHealthCheckId === undefined ? {} : { dnsHealthCheckId: extra.dnsHealthCheckId }),
  });
  return { app, stack, template: Template.fromStack(stack), monitoring };
}

function nagFindings(app: App): string[] {
  return appFindings(app).filter((f) => / at T\/(Alarms|Monitoring)\//.test(f));
}

const DNS = { domain: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };

describe('HaAlarmTopic', () => {
  it('GIVEN any spec WHEN the topic is built THEN it is encrypted with a rotated customer key that CloudWatch and Auto Scaling may use, and TLS-only', () => {
    const { template } = build(exampleSpec());
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { ArnEquals: { 'aws:PrincipalArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSServiceRoleForAutoScaling$')])] }) } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  const emails: [string, StackConfig['alarms'], number][] = [
    ['an email', { email: 'ops@example.com' }, 1],
    ['no email', undefined, 0],
  ];
  for (const [what, alarms, count] of emails) {
    it(`GIVEN alarms with ${what} WHEN the topic is built THEN it has ${count} email subscription(s)`, () => {
      const { template } = build(exampleSpec(alarms === undefined ? {} : { alarms }));
      template.resourceCountIs('AWS::SNS::Subscription', count);
      if (count > 0) template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: TOPIC });
    });
  }
});

describe('HaMonitoring alarms', () => {
  const specs: [string, ResolvedSpec][] = [
    ['the example spec', exampleSpec()],
    [
      'custom alarms on a cluster',
      exampleSpec({
        database: { deployment: 'multi-az-cluster' },
        alarms: { cpu: false, http5xxRate: { threshold: 2, period: 30, evaluationPeriods: 4 }, unhealthyHosts: { threshold: 1, critical: true } },
      }),
    ],
  ];
  for (const [name, spec] of specs) {
    it(`GIVEN ${name} WHEN monitoring is built THEN each rule is one alarm with the rule's numbers, notifying the topic on ALARM and OK`, () => {
      const { template, monitoring } = build(spec, { readers: 2 });
      template.resourceCountIs('AWS::CloudWatch::Alarm', spec.alarms.rules.length);
      assert.deepEqual([...monitoring.alarms.keys()], spec.alarms.rules.map((r) => r.id));
      for (const rule of spec.alarms.rules) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${spec.name}-${rule.id}`,
          Threshold: rule.threshold,
          ComparisonOperator: rule.comparison,
          EvaluationPeriods: rule.evaluationPeriods,
          DatapointsToAlarm: rule.datapointsToAlarm,
          TreatMissingData: rule.treatMissingData,
          AlarmActions: [TOPIC],
          OKActions: [TOPIC],
        });
      }
    });
  }

  it('GIVEN the cpu alarm turned off WHEN monitoring is built THEN there is no CPU alarm', () => {
    const { template } = build(exampleSpec({ alarms: { cpu: false } }));
    assert.equal(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'guestbook-cpu' } })).length, 0);
  });

  const single: [string, Record<string, unknown>[]][] = [
    ['latencyP99', [{ Name: 'LoadBalancer', Value: ALB_FULL_NAME }]],
    ['unhealthyHosts', [{ Name: 'LoadBalancer', Value: ALB_FULL_NAME }, { Name: 'TargetGroup', Value: TG_FULL_NAME }]],
    ['inServiceBelowMin', [{ Name: 'AutoScalingGroupName', Value: ASG_NAME }]],
    ['cpu', [{ Name: 'AutoScalingGroupName', Value: ASG_NAME }]],
    ['dbCpu', [{ Name: 'DBInstanceIdentifier', Value: 'guestbook-db' }]],
    ['dbFreeStorage', [{ Name: 'DBInstanceIdentifier', Value: 'guestbook-db' }]],
    ['dbConnections', [{ Name: 'DBInstanceIdentifier', Value: 'guestbook-db' }]],
  ];
  for (const [id, dimensions] of single) {
    it(`GIVEN the ${id} rule WHEN its alarm is built THEN it reads ALARM_METRICS' metric and statistic with the watched resource's dimensions`, () => {
      const spec = exampleSpec();
      const rule = spec.alarms.rules.find((r) => r.id === id)!;
      const m = ALARM_METRICS[id as keyof typeof ALARM_METRICS];
      assert.equal(m.kind, 'metric');
      if (m.kind !== 'metric') return;
      const statistic = m.statistic === 'p99' ? { ExtendedStatistic: 'p99' } : { Statistic: m.statistic };
      build(spec).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `guestbook-${id}`,
        Namespace: m.namespace,
        MetricName: m.metricName,
        Period: rule.period,
        Dimensions: dimensions,
        ...statistic,
      });
    });
  }

  it('GIVEN the 5XX rate rule WHEN its alarm is built THEN it is 100 × (both 5XX counts, missing as 0) / requests, per period', () => {
    const spec = exampleSpec({ alarms: { http5xxRate: { period: 30 } } });
    const sum = (id: string, metricName: string) =>
      Match.objectLike({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: [{ Name: 'LoadBalancer', Value: ALB_FULL_NAME }] }, Period: 30, Stat: 'Sum' } });
    const { template } = build(spec);
    const parts = [
      Match.objectLike({ Expression: '100 * (FILL(n1, 0) + FILL(n2, 0)) / d', ReturnData: true }),
      sum('n1', 'HTTPCode_ELB_5XX_Count'),
      sum('n2', 'HTTPCode_Target_5XX_Count'),
      sum('d', 'RequestCount'),
    ];
    for (const part of parts) template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'guestbook-http5xxRate', Metrics: Match.arrayWith([part]) });
  });

  const readerCases: [number, Record<string, unknown>][] = [
    [2, { Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([r1, r2])', ReturnData: true })]) }],
    [1, { MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'guestbook-reader-1' }] }],
    [0, { MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'guestbook-db' }] }],
  ];
  for (const [readers, expected] of readerCases) {
    it(`GIVEN a cluster with ${readers} reader dimension set(s) WHEN the replica-lag alarm is built THEN one alarm watches the worst reader`, () => {
      const { template } = build(exampleSpec({ database: { deployment: 'multi-az-cluster' } }), { readers });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'guestbook-dbReplicaLag', ...expected });
    });
  }

  it('GIVEN dns in us-east-1 WHEN monitoring is built THEN the health check alarm reads Route 53 HealthCheckStatus of the check', () => {
    const { template } = build(exampleSpec({ dns: DNS }), { dnsHealthCheckId: 'hc-123' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'guestbook-dnsHealthCheck',
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckStatus',
      Dimensions: [{ Name: 'HealthCheckId', Value: 'hc-123' }],
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('GIVEN dns in eu-west-1 WHEN monitoring is built THEN no DNS alarm is made here, a warning says why, and the dashboard graphs it from us-east-1', () => {
    const { template, stack, monitoring } = build(exampleSpec({ region: 'eu-west-1', dns: DNS }), { dnsHealthCheckId: 'hc-123' });
    assert.equal(monitoring.alarms.has('dnsHealthCheck'), false);
    assert.equal(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'HealthCheckStatus' } })).length, 0);
    Annotations.fromStack(stack).hasWarning('/T/Monitoring', Match.stringLikeRegexp('Route 53 publishes health-check metrics in us-east-1 only'));
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    assert.match(body, /HealthCheckStatus.*\\"region\\":\\"us-east-1\\"|\\"region\\":\\"us-east-1\\".*HealthCheckStatus/);
  });
});

describe('HaMonitoring dashboard', () => {
  it('GIVEN a spec WHEN monitoring is built THEN one dashboard graphs every rule with its threshold, and requests and healthy hosts', () => {
    const spec = exampleSpec();
    const { template } = build(spec);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'guestbook-us-east-1' });
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const rule of spec.alarms.rules) {
      assert.ok(body.includes(`\\"title\\":\\"${rule.id}\\"`), `a graph titled ${rule.id}`);
      assert.ok(body.includes(`{\\"value\\":${rule.threshold},`), `${rule.id}'s threshold ${rule.threshold} drawn across its graph`);
    }
    assert.match(body, /Requests/);
    assert.match(body, /\\"HealthyHostCount\\"/);
    assert.match(body, /\\"type\\":\\"alarm\\"/);
  });
});

describe('monitoring and cdk-nag', () => {
  const specs: [string, ResolvedSpec, { readers?: number; dnsHealthCheckId?: string }][] = [
    ['the example spec with an email', exampleSpec({ alarms: { email: 'ops@example.com' } }), {}],
    ['a cluster with dns', exampleSpec({ database: { deployment: 'multi-az-cluster' }, dns: DNS }), { readers: 2, dnsHealthCheckId: 'hc-1' }],
  ];
  for (const [name, spec, extra] of specs) {
    it(`GIVEN ${name} WHEN AwsSolutions checks run THEN the topic and monitoring have no unacknowledged finding`, () => {
      assert.deepEqual(nagFindings(build(spec, extra).app), []);
    });
  }
});

describe('monitoring in the whole app', () => {
  it('GIVEN the example spec with an email WHEN the four stacks are synthesized THEN the data stack holds the encrypted topic and the monitoring stack one alarm per rule notifying it, and a dashboard', () => {
    const spec = exampleSpec({ alarms: { email: 'ops@example.com' } });
    const built = synth(spec);
    const { data, monitoring } = built.templates;
    data.resourceCountIs('AWS::SNS::Topic', 1);
    data.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    data.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    monitoring.resourceCountIs('AWS::CloudWatch::Alarm', spec.alarms.rules.length);
    const topic = { 'Fn::ImportValue': Match.stringLikeRegexp('^guestbook-data:.*AlarmsTopic') };
    for (const rule of spec.alarms.rules) {
      monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `guestbook-${rule.id}`,
        Threshold: rule.threshold,
        EvaluationPeriods: rule.evaluationPeriods,
        DatapointsToAlarm: rule.datapointsToAlarm,
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
    monitoring.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'guestbook-unhealthyHosts',
      Dimensions: Match.arrayWith([{ Name: 'TargetGroup', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('^guestbook-app:.*TargetGroupFullName') } }]),
    });
    monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    assert.deepEqual(appNagFindings(built).filter((f) => /\/(Alarms|Monitoring)\//.test(f)), []);
  });
});
