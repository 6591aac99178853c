import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { architectureOf } from '../../src/aws/compute/architecture.ts';
import { bundleRelativeStartDir, HaCompute } from '../../src/aws/compute/ha-compute.ts';
import { maxHealthyPercentage } from '../../src/aws/compute/instance-refresh.ts';
import { LAUNCH_HOOK_NAME } from '../../src/aws/compute/launch-hook.ts';
import { isHastackError } from '../../src/errors.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { constructStack, findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, GUESTBOOK_DIR, nagFindings, synth } from './synth.ts';

/** HaCompute in stack T beside the real things it needs: VPC, group, ALB with a listener, bucket, secret, topic. */
function build(spec: ResolvedSpec, o: { bucketKey?: boolean } = {}) {
  const f = constructStack(spec);
  const alb = new elbv2.ApplicationLoadBalancer(f.stack, 'Alb', { vpc: f.vpc, internetFacing: true });
  const targetGroup = new elbv2.ApplicationTargetGroup(f.stack, 'Targets', { vpc: f.vpc, port: spec.app.port, protocol: elbv2.ApplicationProtocol.HTTP });
  alb.addListener('Http', { port: 80, defaultTargetGroups: [targetGroup] });
  const key = o.bucketKey === true ? new kms.Key(f.stack, 'BucketKey', { enableKeyRotation: true }) : undefined;
  const bucket = new s3.Bucket(f.stack, 'Attachments', key === undefined ? {} : { encryptionKey: key });
  const secret = new secretsmanager.Secret(f.stack, 'DbSecret');
  const topic = new sns.Topic(f.stack, 'Alarms');
  const compute = new HaCompute(f.stack, 'Compute', {
    spec,
    vpc: f.vpc,
    securityGroup: f.securityGroup,
    targetGroup,
    loadBalancer: alb,
    database: { secret, endpointAddress: 'db.internal', port: '5432', databaseName: 'guestbook' },
    buckets: new Map(spec.storage.buckets.map((b) => [b.name, bucket])),
    alarmTopic: topic,
    appPath: spec.app.start.cwd,
  });
  const id = (c: { node: { defaultChild?: unknown } }): string => f.stack.getLogicalId(c.node.defaultChild as CfnElement);
  return { ...f, compute, template: Template.fromStack(f.stack), ids: { targetGroup: id(targetGroup), bucket: id(bucket), secret: id(secret), topic: id(topic), alb: id(alb), key: key && id(key) } };
}

describe('instance architecture (pure)', () => {
  const cases: [string, string][] = [
    ['t4g.small', 'arm64'],
    ['m7gd.large', 'arm64'],
    ['c6gn.xlarge', 'arm64'],
    ['im4gn.large', 'arm64'],
    ['g5g.xlarge', 'arm64'],
    ['a1.large', 'arm64'],
    ['t3.small', 'x86_64'],
    ['c7i.large', 'x86_64'],
    ['g4dn.xlarge', 'x86_64'],
    ['gr6.4xlarge', 'x86_64'],
    ['m6idn.large', 'x86_64'],
  ];
  for (const [type, arch] of cases) {
    it(`GIVEN ${type} WHEN its architecture is read THEN it is ${arch}`, () => assert.equal(architectureOf(type), arch));
  }
});

describe('start folder inside the bundle (pure)', () => {
  it('GIVEN the start folder is the bundled folder or inside it WHEN made relative THEN it is "" or a / path', () => {
    assert.equal(bundleRelativeStartDir(GUESTBOOK_DIR, GUESTBOOK_DIR), '');
    assert.equal(bundleRelativeStartDir(GUESTBOOK_DIR, `${GUESTBOOK_DIR}/src`), 'src');
  });
  for (const [name, appPath, cwd, field] of [
    ['outside the bundled folder', `${GUESTBOOK_DIR}/src`, GUESTBOOK_DIR, 'app.start.cwd'],
    ['a bundled folder that does not exist', `${GUESTBOOK_DIR}/no-such-folder`, `${GUESTBOOK_DIR}/no-such-folder`, 'no-such-folder'],
  ] as const) {
    it(`GIVEN ${name} WHEN made relative THEN HASTACK_AWS_BUNDLE_FAILED names it`, () => {
      assert.throws(
        () => bundleRelativeStartDir(appPath, cwd),
        (e: unknown) => isHastackError(e) && e.code === 'HASTACK_AWS_BUNDLE_FAILED' && e.source === 'user' && e.message.includes(field),
      );
    });
  }
});

describe('HaCompute: launch template', () => {
  for (const [type, arch] of [
    ['t4g.small', 'arm64'],
    ['c7i.large', 'x86_64'],
  ] as const) {
    it(`GIVEN aws.instanceType ${type} WHEN synthesized THEN the image is the latest Amazon Linux 2023 for ${arch} from its public SSM parameter`, () => {
      const { template } = build(exampleSpec({ aws: { instanceType: type } }));
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: type, ImageId: { Ref: Match.stringLikeRegexp('al2023') } }) });
      const params = Object.values(template.toJSON()['Parameters'] as Record<string, { Type: string; Default?: string }>);
      assert.ok(
        params.some((p) => p.Type.includes('AWS::EC2::Image::Id') && new RegExp(`^/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-[0-9.a-z]+-${arch}$`).test(p.Default ?? '')),
        JSON.stringify(params),
      );
    });
  }

  it('GIVEN aws.rootVolumeGiB 24 WHEN synthesized THEN IMDSv2 only with one hop, detailed monitoring, an encrypted gp3 root of 24 GiB and no key pair', () => {
    const { template } = build(exampleSpec({ aws: { rootVolumeGiB: 24 } }));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 24, DeleteOnTermination: true } }],
        KeyName: Match.absent(),
        IamInstanceProfile: Match.anyValue(),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Group'), 'GroupId'] }],
      }),
    });
  });

  it('GIVEN aws.logRetentionDays 14 WHEN synthesized THEN the app log group keeps 14 days', () => {
    const { template } = build(exampleSpec({ aws: { logRetentionDays: 14 } }));
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });
});

describe('HaCompute: instance role', () => {
  it('GIVEN the guestbook WHEN synthesized THEN the role has Session Manager, reads its secret and bundle, uses its bucket objects, writes its logs and agent metrics', () => {
    const { template, ids } = build(exampleSpec());
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] }),
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: ids.secret } })], Version: '2012-10-17' },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          Match.objectLike({ Sid: 'ReadAppBundle', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':s3:::cdk-[a-z0-9]+-assets-123456789012-us-east-1/[0-9a-f]{64}\\.zip$')])] } }),
          Match.objectLike({ Sid: 'ListGuestbookAttachments', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [ids.bucket, 'Arn'] } }),
          Match.objectLike({
            Sid: 'ObjectsOfGuestbookAttachments',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/*']] },
          }),
          Match.objectLike({ Sid: 'WriteAppLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] }),
          Match.objectLike({ Sid: 'PutAgentMetrics', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } } }),
          Match.objectLike({ Sid: 'ReadInstanceTags', Action: 'ec2:DescribeTags', Resource: '*' }),
          Match.objectLike({ Sid: 'CompleteLaunchHook', Action: 'autoscaling:CompleteLifecycleAction' }),
        ],
      },
    });
  });

  it('GIVEN a bucket with its own KMS key WHEN synthesized THEN the role may decrypt and make data keys with that key only', () => {
    const { template, ids } = build(exampleSpec(), { bucketKey: true });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'KeyOfGuestbookAttachments', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] } })]),
      }),
    });
  });

  it('GIVEN the role WHEN its policies are read THEN no action has a wildcard', () => {
    const { template } = build(exampleSpec(), { bucketKey: true });
    const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement.flatMap((s) => s.Action),
    );
    assert.deepEqual(actions.filter((a) => a.includes('*')), []);
  });
});

describe('HaCompute: Auto Scaling group', () => {
  it('GIVEN capacity 2/4/8 and the auto scaling settings WHEN synthesized THEN the group has them, spans the private subnets, rebalances, collects metrics and notifies', () => {
    const spec = exampleSpec({
      capacity: { min: 2, desired: 4, max: 8 },
      autoScaling: { healthCheckGracePeriod: 90, cooldown: 120, instanceWarmup: 180 },
    });
    const { template, ids } = build(spec);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
      DesiredCapacity: '4',
      MaxSize: '8',
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 90,
      Cooldown: '120',
      DefaultInstanceWarmup: 180,
      CapacityRebalance: true,
      MetricsCollection: [{ Granularity: '1Minute' }],
      TargetGroupARNs: [{ Ref: ids.targetGroup }],
      VPCZoneIdentifier: spec.zones.map((_, i) => ({ Ref: Match.stringLikeRegexp(`^VpcappSubnet${i + 1}Subnet`) })),
      NotificationConfigurations: [
        {
          TopicARN: { Ref: ids.topic },
          NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'],
        },
      ],
    });
  });

  it('GIVEN instanceRefreshMinHealthyPercentage 75 WHEN synthesized THEN a launch template change rolls out as an instance refresh keeping 75 % healthy and launching replacements first', () => {
    const { template } = build(exampleSpec({ autoScaling: { instanceRefreshMinHealthyPercentage: 75, instanceWarmup: 240 } }));
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Properties: Match.objectLike({ LaunchTemplate: { LaunchTemplateId: { Ref: Match.stringLikeRegexp('^ComputeLaunchTemplate') }, Version: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeLaunchTemplate'), 'LatestVersionNumber'] } } }),
      UpdatePolicy: Match.objectLike({
        AutoScalingInstanceRefresh: { Strategy: 'Rolling', Preferences: { MinHealthyPercentage: 75, MaxHealthyPercentage: 125, InstanceWarmup: 240 } },
        AutoScalingRollingUpdate: Match.absent(),
      }),
    });
  });

  const refreshCases: [number, number][] = [
    [100, 110],
    [90, 110],
    [75, 125],
    [50, 150],
    [40, 140],
    [0, 100],
  ];
  for (const [min, max] of refreshCases) {
    it(`GIVEN instanceRefreshMinHealthyPercentage ${min} WHEN the refresh's MaxHealthyPercentage is chosen THEN it is ${max}`, () => {
      assert.equal(maxHealthyPercentage(min), max);
      assert.ok(max - min <= 100 && max >= 100 && max <= 200, 'AWS accepts 100–200, at most 100 above the minimum');
      assert.ok(min === 0 || max > 100, 'above 100 the refresh launches before it terminates');
    });
  }
  it('GIVEN the default minimum (90) WHEN synthesized THEN the refresh may go to 110 % so a replacement is up before an old instance goes', () => {
    const { template } = build(exampleSpec());
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: Match.objectLike({ AutoScalingInstanceRefresh: Match.objectLike({ Preferences: Match.objectLike({ MinHealthyPercentage: 90, MaxHealthyPercentage: 110 }) }) }),
    });
  });

  it('GIVEN the guestbook WHEN synthesized THEN the group holds each new instance in a launch hook that abandons it unless completed within 15 min', () => {
    const { template } = build(exampleSpec());
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      LifecycleHookSpecificationList: [
        { LifecycleHookName: LAUNCH_HOOK_NAME, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 900, DefaultResult: 'ABANDON' },
      ],
    });
    // Part of the group, so no separate hook that the group's first instances would miss.
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
  });

  it('GIVEN the launch hook WHEN synthesized THEN instances may read their tags from instance metadata (the group name) and complete lifecycle actions of this group only', () => {
    const { template, stack, compute } = build(exampleSpec());
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ MetadataOptions: Match.objectLike({ InstanceMetadataTags: 'enabled' }) }) });
    const groupId = stack.getLogicalId(compute.autoScalingGroup.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          {
            Sid: 'CompleteLaunchHook',
            Effect: 'Allow',
            Action: 'autoscaling:CompleteLifecycleAction',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*']] },
            Condition: { StringEquals: { 'autoscaling:ResourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' }, 'autoscaling:ResourceTag/aws:cloudformation:logical-id': groupId } },
          },
        ]),
      }),
    });
  });

  it('GIVEN the launch hook WHEN synthesized THEN the group waits for the role\'s policies and the template has no dependency cycle', () => {
    // Template.fromStack (in build) refuses a template with a dependency cycle, such as one whose
    // user data names the group that launches from it.
    const { template } = build(exampleSpec());
    const policies = Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.startsWith('ComputeInstanceRole'));
    assert.equal(policies.length, 2, 'the role\'s own policy and the secret\'s grant');
    for (const id of policies) template.hasResource('AWS::AutoScaling::AutoScalingGroup', { DependsOn: Match.arrayWith([id]) });
  });

  it('GIVEN app.env over 16 KB WHEN synthesized THEN HASTACK_AWS_SPEC_INVALID names app.env', () => {
    assert.throws(
      () => build(exampleSpec({ app: { env: { CERTIFICATE: 'x'.repeat(17 * 1024) } } })),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_AWS_SPEC_INVALID' && e.message.startsWith('app.env: ') && e.message.includes('16384'),
    );
  });

  it('GIVEN healthCheckType EC2 WHEN synthesized THEN the group uses EC2 checks and cdk-nag\'s AS2 is acknowledged with the reason', () => {
    const { template, app } = build(exampleSpec({ autoScaling: { healthCheckType: 'EC2', healthCheckGracePeriod: 30 } }));
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { HealthCheckType: 'EC2', HealthCheckGracePeriod: 30 });
    assert.deepEqual(findingsUnder(app, 'T/Compute'), []);
  });

  const policyCases: { name: string; autoScaling: Record<string, unknown>; cpu: Record<string, unknown> | undefined; requests: Record<string, unknown> | undefined }[] = [
    {
      name: 'the default CPU target',
      autoScaling: {},
      cpu: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50, DisableScaleIn: false },
      requests: undefined,
    },
    {
      name: 'CPU 60 and 200 requests per target without scale-in',
      autoScaling: { cpu: { target: 60 }, requestCountPerTarget: { target: 200, disableScaleIn: true } },
      cpu: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 60, DisableScaleIn: false },
      requests: {
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          ResourceLabel: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Alb'), 'LoadBalancerFullName'] }, '/', { 'Fn::GetAtt': [Match.stringLikeRegexp('^Targets'), 'TargetGroupFullName'] }]] },
        },
        TargetValue: 200,
        DisableScaleIn: true,
      },
    },
    {
      name: 'requests only',
      autoScaling: { cpu: false, requestCountPerTarget: { target: 100 } },
      cpu: undefined,
      requests: { PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }), TargetValue: 100 },
    },
    {
      name: 'CPU at a 10 s metric period',
      autoScaling: { metricPeriod: 10 },
      cpu: {
        CustomizedMetricSpecification: {
          Metrics: [
            {
              Id: 'cpu',
              ReturnData: true,
              MetricStat: {
                Metric: { Namespace: 'CWAgent', MetricName: 'cpu_usage_active', Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: Match.stringLikeRegexp('^ComputeGroupASG') } }] },
                Stat: 'Average',
                Period: 10,
              },
            },
          ],
        },
        TargetValue: 50,
      },
      requests: undefined,
    },
  ];
  for (const c of policyCases) {
    it(`GIVEN ${c.name} WHEN synthesized THEN the target-tracking policies follow it, each warming up for instanceWarmup`, () => {
      const { template } = build(exampleSpec({ autoScaling: { instanceWarmup: 200, ...c.autoScaling } }));
      const expected = [c.cpu, c.requests].filter((x) => x !== undefined);
      template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', expected.length);
      for (const config of expected) {
        template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
          PolicyType: 'TargetTrackingScaling',
          EstimatedInstanceWarmup: 200,
          AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^ComputeGroupASG') },
          TargetTrackingConfiguration: Match.objectLike(config),
        });
      }
    });
  }

  it('GIVEN a request-count policy WHEN synthesized THEN it waits for the listener that puts the target group behind the load balancer', () => {
    const { template } = build(exampleSpec({ autoScaling: { requestCountPerTarget: { target: 100 } } }));
    template.hasResource('AWS::AutoScaling::ScalingPolicy', {
      Properties: Match.objectLike({ TargetTrackingConfiguration: Match.objectLike({ PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }) }) }),
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^AlbHttp')]),
    });
  });

  it('GIVEN the compute part WHEN checked by cdk-nag AwsSolutions THEN nothing is left unacknowledged', () => {
    const { app } = build(exampleSpec({ autoScaling: { requestCountPerTarget: { target: 100 } } }), { bucketKey: true });
    assert.deepEqual(findingsUnder(app, 'T/Compute'), []);
  });
});

describe('HaCompute in the full app', () => {
  it('GIVEN the guestbook with request-count scaling WHEN all four stacks are synthesized THEN the app stack holds the group as specified and cdk-nag finds nothing', () => {
    const s = synth(exampleSpec({ autoScaling: { requestCountPerTarget: { target: 150 }, instanceRefreshMinHealthyPercentage: 80 } }));
    const app = s.templates.app;
    app.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Properties: Match.objectLike({ MinSize: String(s.spec.capacity.min), MaxSize: String(s.spec.capacity.max), HealthCheckType: 'ELB', TargetGroupARNs: [{ Ref: Match.anyValue() }] }),
      UpdatePolicy: Match.objectLike({ AutoScalingInstanceRefresh: { Strategy: 'Rolling', Preferences: { MinHealthyPercentage: 80, MaxHealthyPercentage: 120, InstanceWarmup: s.spec.autoScaling.instanceWarmup } } }),
    });
    app.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { LifecycleHookSpecificationList: [Match.objectLike({ LifecycleHookName: LAUNCH_HOOK_NAME, DefaultResult: 'ABANDON' })] });
    app.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Sid: 'CompleteLaunchHook' })]) }) });

    app.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 2);
    app.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: Match.objectLike({ TargetValue: 150, PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }) }),
    });
    assert.deepEqual(nagFindings(s), []);
  });
});

