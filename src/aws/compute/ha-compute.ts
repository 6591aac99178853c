/**
 * The app's instances on AWS: the bundle as a CDK asset, a launch template, the instance role, the
 * boot script (user-data.ts), and the Auto Scaling group over the private subnets of every zone
 * with the spec's capacity, health checks, target tracking and instance refresh. A launch hook
 * (launch-hook.ts) keeps each new instance out of service until its app answers the health check.
 *
 * Rolling out a new launch template: CloudFormation's AutoScalingInstanceRefresh update policy
 * (UpdatePolicy.instanceRefresh). A change to the launch template — a new app bundle, user data,
 * AMI or instance type gives a new version, which the group references — makes CloudFormation
 * start an instance refresh (Rolling) that keeps spec.autoScaling.instanceRefreshMinHealthyPercentage
 * of the group healthy, launching replacements before it terminates the instances they replace
 * (instance-refresh.ts), and waits spec.autoScaling.instanceWarmup after each new instance is in
 * service, and the stack update fails if the refresh does. Unlike an AutoScalingRollingUpdate
 * policy it reads the group's own health checks (ELB) and launch hook, so no boot signal is needed.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../../spec/types.ts';
import { awsError } from '../errors.ts';
import { architectureOf } from './architecture.ts';
import { maxHealthyPercentage } from './instance-refresh.ts';
import { InstanceRole } from './instance-role.ts';
import { launchHookSpecification } from './launch-hook.ts';
import { TargetTracking } from './scaling.ts';
import { instanceUserData } from './user-data.ts';
import { assertUserDataFits } from './user-data-size.ts';

export interface HaComputeProps {
  readonly spec: ResolvedSpec;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The ALB's full name (for ALBRequestCountPerTarget's resource label). */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Where the database is; the instances read the secret at start to build DATABASE_URL. */
  readonly database: DatabaseConnection;
  /** The app's buckets by spec name; the instances may read and write them. */
  readonly buckets: ReadonlyMap<string, s3.IBucket>;
  /** Scaling notifications go here. */
  readonly alarmTopic: sns.ITopic;
  /**
   * The app's folder (spec.app.start.cwd, after spec.app.build ran), zipped into a CDK asset the
   * instances fetch at boot; node_modules, .git and .hastack are left out.
   */
  readonly appPath: string;
}

/** What an instance needs to reach the database. */
export interface DatabaseConnection {
  /** The master user's secret; JSON with at least `username` and `password`. */
  readonly secret: secretsmanager.ISecret;
  readonly endpointAddress: string;
  readonly port: string;
  readonly databaseName: string;
}

/** Left out of the app bundle: dependencies are installed on the instance, the rest is local state. */
export const BUNDLE_EXCLUDES: readonly string[] = ['node_modules', '.git', '.hastack'];

/**
 * The app's instances: a launch template (Amazon Linux 2023, IMDSv2 only, encrypted EBS, detailed
 * monitoring, no SSH key), a least-privilege role, user data that runs the bundle under systemd
 * and the CloudWatch agent, and an Auto Scaling group over the private subnets of every zone with
 * a launch hook that waits for the app, ELB health checks, both target-tracking policies, rolling
 * launch-first instance refresh, capacity rebalancing and notifications. Throws
 * HASTACK_AWS_SPEC_INVALID when the boot script would exceed EC2's 16 KB user data limit.
 */
export class HaCompute extends Construct {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The app's output and the instances' boot logs (kept aws.logRetentionDays). */
  readonly logGroup: logs.LogGroup;
  /** The zipped app folder the instances fetch at boot. */
  readonly bundle: Asset;
  /** The target-tracking policies. */
  readonly scaling: TargetTracking;

  constructor(scope: Construct, id: string, props: HaComputeProps) {
    super(scope, id);
    const { spec } = props;
    const startDir = bundleRelativeStartDir(props.appPath, spec.app.start.cwd);

    this.bundle = new Asset(this, 'AppBundle', { path: props.appPath, exclude: [...BUNDLE_EXCLUDES] });
    this.logGroup = new logs.LogGroup(this, 'AppLogs', { retention: spec.aws.logRetentionDays as logs.RetentionDays });
    const instanceRole = new InstanceRole(this, 'InstanceRole', {
      spec,
      secret: props.database.secret,
      buckets: props.buckets,
      bundle: { bucket: this.bundle.bucket, key: this.bundle.s3ObjectKey },
      logGroup: this.logGroup,
    });
    this.role = instanceRole.role;

    const userData = instanceUserData({
      spec,
      startDir,
      bundle: { bucket: this.bundle.s3BucketName, key: this.bundle.s3ObjectKey },
      bucketNames: new Map([...props.buckets].map(([name, b]) => [name, b.bucketName])),
      database: { secretArn: props.database.secret.secretArn, host: props.database.endpointAddress, port: props.database.port, name: props.database.databaseName },
      logGroupName: this.logGroup.logGroupName,
    });
    assertUserDataFits(spec, userData);

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: architectureOf(spec.aws.instanceType) === 'arm64' ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
      }),
      instanceType: new ec2.InstanceType(spec.aws.instanceType),
      securityGroup: props.securityGroup,
      role: this.role,
      userData: ec2.UserData.custom(userData),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(spec.aws.rootVolumeGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
      detailedMonitoring: true,
      // IMDSv2 only; one hop, as nothing on the instance runs in a container.
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      // The boot script reads its group's name from the instance's aws:autoscaling:groupName tag.
      instanceMetadataTags: true,
    });

    const gracePeriod = Duration.seconds(spec.autoScaling.healthCheckGracePeriod);
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: spec.capacity.min,
      desiredCapacity: spec.capacity.desired,
      maxCapacity: spec.capacity.max,
      healthChecks:
        spec.autoScaling.healthCheckType === 'ELB'
          ? autoscaling.HealthChecks.withAdditionalChecks({ additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod })
          : autoscaling.HealthChecks.ec2({ gracePeriod }),
      cooldown: Duration.seconds(spec.autoScaling.cooldown),
      defaultInstanceWarmup: Duration.seconds(spec.autoScaling.instanceWarmup),
      capacityRebalance: true,
      groupMetrics: [autoscaling.GroupMetrics.all()],
      notifications: [{ topic: props.alarmTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
      updatePolicy: autoscaling.UpdatePolicy.instanceRefresh({
        strategy: autoscaling.InstanceRefreshStrategy.ROLLING,
        minHealthyPercentage: spec.autoScaling.instanceRefreshMinHealthyPercentage,
        maxHealthyPercentage: maxHealthyPercentage(spec.autoScaling.instanceRefreshMinHealthyPercentage),
        instanceWarmup: Duration.seconds(spec.autoScaling.instanceWarmup),
      }),
    });
    // Part of the group rather than a resource of its own, so the group's first instances wait too.
    (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).lifecycleHookSpecificationList = [launchHookSpecification()];
    instanceRole.allowLifecycleActions(this.autoScalingGroup);
    // Instances start using the role's permissions (secret, bundle, launch hook) as soon as they boot.
    this.autoScalingGroup.node.addDependency(instanceRole);
    Validations.of(this.autoScalingGroup).acknowledge({
      id: '@aws-cdk/aws-autoscaling:desiredCapacitySet',
      reason: 'capacity.desired is part of the spec, as on the twin; CloudFormation applies it only when the template changes it (IgnoreUnmodifiedGroupSizeProperties), so scaling between deployments stands',
    });
    if (spec.autoScaling.healthCheckType === 'EC2') {
      Validations.of(this.autoScalingGroup).acknowledge({
        id: 'AwsSolutions-AS2',
        reason: 'autoScaling.healthCheckType is "EC2" in the spec (validate warns about it): instances the load balancer finds unhealthy are kept',
      });
    }
    this.autoScalingGroup.attachToApplicationTargetGroup(props.targetGroup);
    this.scaling = new TargetTracking(this, 'Scaling', { spec, autoScalingGroup: this.autoScalingGroup, loadBalancer: props.loadBalancer, targetGroup: props.targetGroup });
  }
}

/**
 * spec.app.start.cwd relative to the bundled folder, with `/` separators ('' for the folder itself).
 * Throws HASTACK_AWS_BUNDLE_FAILED when the folder is missing or the start folder is outside it.
 */
export function bundleRelativeStartDir(appPath: string, startCwd: string): string {
  if (!existsSync(appPath)) throw awsError('HASTACK_AWS_BUNDLE_FAILED', `app folder ${appPath} does not exist; expected the folder to bundle (app.start.cwd after app.build)`);
  const rel = path.relative(appPath, startCwd);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw awsError('HASTACK_AWS_BUNDLE_FAILED', `app.start.cwd: received ${JSON.stringify(startCwd)}, which is outside the bundled folder ${appPath}; expected the folder itself or one inside it`);
  }
  return rel.split(path.sep).join('/');
}
