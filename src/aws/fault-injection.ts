/**
 * Fault Injection Service experiment templates for the faults the twin injects, so the same
 * experiments run on AWS: one zone's instances terminated (per zone), the database rebooted with
 * failover, and one zone's private subnets — the app's and the database's — cut off from all
 * traffic (per zone; the public subnets, with the load balancer's node and the NAT gateway, stay
 * up). Any critical alarm in ALARM stops an experiment. FIS acts through a role allowed only these
 * actions on this stack's resources, and logs every experiment to CloudWatch Logs.
 * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
 */
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';

export interface HaFaultInjectionProps {
  readonly spec: ResolvedSpec;
  readonly vpc: ec2.IVpc;
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** HaDatabase.failoverTargetArn and failoverKind. */
  readonly databaseArn: string;
  readonly databaseKind: 'instance' | 'cluster';
  /** The critical alarms: any of them in ALARM stops an experiment. */
  readonly stopAlarms: readonly cloudwatch.IAlarm[];
  /** How long a zone's subnets stay cut off. @default Duration.minutes(5) */
  readonly zoneNetworkOutage?: Duration;
}

/** Tag FIS puts on the network ACL it makes for disrupt-connectivity; its permissions are limited to ACLs so tagged. */
const FIS_MANAGED_TAG = 'managedByFIS';
const ASG_NAME_TAG = 'aws:autoscaling:groupName';
/** Stop conditions FIS accepts per experiment template. */
const MAX_STOP_CONDITIONS = 5;

/**
 * Fault Injection Service experiment templates mirroring the twin's faults: terminate one zone's
 * instances, reboot the database with failover, cut one zone's subnets off (network
 * disrupt-connectivity); each stopped by the critical alarms.
 */
export class HaFaultInjection extends Construct {
  /** Template ids by experiment name (`zone-<zone>-instances`, `database-failover`, `zone-<zone>-network`). */
  readonly templateIds: ReadonlyMap<string, string>;
  /** The role FIS assumes to run the experiments. */
  readonly role: iam.Role;
  /** Where every experiment's log goes. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HaFaultInjectionProps) {
    super(scope, id);
    const { spec } = props;
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, resourceName: string) => stack.formatArn({ service, resource, resourceName });
    const asgName = props.autoScalingGroup.autoScalingGroupName;
    const outage = props.zoneNetworkOutage ?? Duration.minutes(5);

    this.logGroup = new logs.LogGroup(this, 'ExperimentLog', {
      // The /aws/vendedlogs/ prefix keeps FIS's log delivery out of the account's size-limited log resource policy.
      logGroupName: `/aws/vendedlogs/fis/${spec.name}`,
      retention: spec.aws.logRetentionDays as logs.RetentionDays,
      // Its name is fixed, so a kept log group would block the next deploy after a destroy.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      description: `${spec.name}: Fault Injection Service runs this stack's experiments with this role`,
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:fis:${stack.region}:${stack.account}:experiment/*` },
        },
      }),
    });

    const zoneSubnets = new Map<string, ec2.ISubnet[]>();
    for (const zone of spec.zones) {
      const subnets = [...props.vpc.privateSubnets, ...props.vpc.isolatedSubnets].filter((s) => s.availabilityZone === zone);
      if (subnets.length > 0) zoneSubnets.set(zone, subnets);
    }
    const subnetArn = (s: ec2.ISubnet) => arn('ec2', 'subnet', s.subnetId);
    const networkAcls = arn('ec2', 'network-acl', '*');
    const instances = arn('ec2', 'instance', '*');

    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'TerminateTheGroupsInstances',
        actions: ['ec2:TerminateInstances'],
        resources: [instances],
        conditions: { StringEquals: { [`aws:ResourceTag/${ASG_NAME_TAG}`]: asgName } },
      }),
      props.databaseKind === 'instance'
        ? new iam.PolicyStatement({ sid: 'RebootTheDatabaseWithFailover', actions: ['rds:RebootDBInstance', 'rds:DescribeDBInstances'], resources: [props.databaseArn] })
        : new iam.PolicyStatement({ sid: 'FailOverTheDatabaseCluster', actions: ['rds:FailoverDBCluster', 'rds:DescribeDBClusters'], resources: [props.databaseArn] }),
      new iam.PolicyStatement({
        sid: 'ResolveTargetsAndDeliverLogs',
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeVpcs',
          'ec2:DescribeSubnets',
          'ec2:DescribeNetworkAcls',
          'ec2:DescribeManagedPrefixLists',
          'logs:CreateLogDelivery',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        resources: ['*'],
      }),
    ];
    if (zoneSubnets.size > 0) {
      const vpcArn = arn('ec2', 'vpc', props.vpc.vpcId);
      statements.push(
        new iam.PolicyStatement({ sid: 'CreateAclInTheVpc', actions: ['ec2:CreateNetworkAcl'], resources: [vpcArn] }),
        new iam.PolicyStatement({
          sid: 'CreateTaggedAcl',
          actions: ['ec2:CreateNetworkAcl'],
          resources: [networkAcls],
          conditions: { StringEquals: { [`aws:RequestTag/${FIS_MANAGED_TAG}`]: 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'TagTheAclItCreates',
          actions: ['ec2:CreateTags'],
          resources: [networkAcls],
          conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', [`aws:RequestTag/${FIS_MANAGED_TAG}`]: 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'FillAndDeleteItsOwnAcl',
          actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
          resources: [networkAcls, vpcArn],
          conditions: { StringEquals: { [`ec2:ResourceTag/${FIS_MANAGED_TAG}`]: 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'SwapTheZonesSubnetAcls',
          actions: ['ec2:ReplaceNetworkAclAssociation'],
          resources: [...[...zoneSubnets.values()].flat().map(subnetArn), networkAcls],
        }),
      );
    }
    const policy = new iam.Policy(this, 'Policy', { statements, roles: [this.role] });
    // cdk-nag names a wildcard resource as the template has it: pseudo parameters as <AWS::…>.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const nagArn = (resource: string) => `arn:<AWS::Partition>:ec2:${region}:${account}:${resource}`;
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn('instance/*')}]`,
        reason: 'FIS terminates instances the Auto Scaling group launches, whose ids are not known in advance; the statement is limited to instances tagged with this group\'s name',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Describe calls (to resolve targets) and CloudWatch Logs delivery set-up (to log experiments) cannot be limited to resources; none of them changes anything but the log delivery',
      },
      ...(zoneSubnets.size > 0
        ? [
            {
              id: `AwsSolutions-IAM5[Resource::${nagArn('network-acl/*')}]`,
              reason: 'disrupt-connectivity makes a network ACL whose id is not known in advance; creating and changing ACLs is limited to ones tagged managedByFIS, and associating them to this VPC\'s zone subnets',
            },
          ]
        : []),
    );

    const stopConditions = this.stopConditions(spec, props.stopAlarms);
    // CloudWatchLogsConfiguration is untyped in the L1, so its key is written as CloudFormation spells it.
    const logConfiguration = { cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn }, logSchemaVersion: 2 };
    const ids = new Map<string, string>();
    const template = (name: string, description: string, targets: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty>, actions: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty>) => {
      const t = new fis.CfnExperimentTemplate(this, name, {
        description: `${spec.name}: ${description}`,
        roleArn: this.role.roleArn,
        stopConditions,
        targets,
        actions,
        logConfiguration,
        tags: { Name: `${spec.name}-${name}` },
      });
      t.node.addDependency(policy);
      ids.set(name, t.attrId);
    };

    for (const zone of spec.zones) {
      template(
        `zone-${zone}-instances`,
        `terminate every instance of the Auto Scaling group in ${zone}`,
        {
          instances: {
            resourceType: 'aws:ec2:instance',
            resourceTags: { [ASG_NAME_TAG]: asgName },
            filters: [
              { path: 'Placement.AvailabilityZone', values: [zone] },
              { path: 'State.Name', values: ['running'] },
            ],
            selectionMode: 'ALL',
          },
        },
        { terminate: { actionId: 'aws:ec2:terminate-instances', targets: { Instances: 'instances' } } },
      );
    }
    if (props.databaseKind === 'instance') {
      // RDS refuses a reboot with failover on a single-AZ instance: that experiment is a plain reboot.
      const multiAz = spec.database.deployment === 'multi-az-instance';
      template(
        'database-failover',
        multiAz ? 'reboot the database instance with failover to its standby' : 'reboot the single-AZ database instance (no standby to fail over to)',
        { database: { resourceType: 'aws:rds:db', resourceArns: [props.databaseArn], selectionMode: 'ALL' } },
        { reboot: { actionId: 'aws:rds:reboot-db-instances', parameters: { forceFailover: String(multiAz) }, targets: { DBInstances: 'database' } } },
      );
    } else {
      template(
        'database-failover',
        'fail the database cluster over to a readable standby',
        { database: { resourceType: 'aws:rds:cluster', resourceArns: [props.databaseArn], selectionMode: 'ALL' } },
        { failover: { actionId: 'aws:rds:failover-db-cluster', targets: { Clusters: 'database' } } },
      );
    }
    for (const [zone, subnets] of zoneSubnets) {
      template(
        `zone-${zone}-network`,
        `cut the private subnets of ${zone} off from all traffic for ${outage.toHumanString()}`,
        { subnets: { resourceType: 'aws:ec2:subnet', resourceArns: subnets.map(subnetArn), selectionMode: 'ALL' } },
        { disrupt: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: outage.toIsoString(), scope: 'all' }, targets: { Subnets: 'subnets' } } },
      );
    }
    this.templateIds = ids;
  }

  /**
   * One stop condition per critical alarm; beyond FIS's limit of five per template, one composite
   * alarm that is in ALARM while any of them is. No critical alarm: the `none` source.
   */
  private stopConditions(spec: ResolvedSpec, alarms: readonly cloudwatch.IAlarm[]): fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty[] {
    if (alarms.length === 0) return [{ source: 'none' }];
    if (alarms.length <= MAX_STOP_CONDITIONS) return alarms.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarmArn }));
    const any = new cloudwatch.CompositeAlarm(this, 'StopCondition', {
      compositeAlarmName: `${spec.name}-fault-injection-stop`,
      alarmDescription: `${spec.name}: in ALARM while any critical alarm is; stops fault injection experiments`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
    });
    return [{ source: 'aws:cloudwatch:alarm', value: any.alarmArn }];
  }
}
