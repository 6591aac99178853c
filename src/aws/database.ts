/**
 * The app's PostgreSQL on RDS: the shape the spec's deployment asks for (database-instance.ts or
 * database-cluster.ts), the KMS key and monitoring role both shapes share, and the AWS Backup plan.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { DatabaseBackupPlan } from './backup-plan.ts';
import { buildDatabaseCluster } from './database-cluster.ts';
import { buildDatabaseInstance, type BuiltDatabase, type DatabaseBuildProps } from './database-instance.ts';
import { databaseNameOf } from './database-settings.ts';

export interface HaDatabaseProps {
  readonly spec: ResolvedSpec;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Let IAM users and roles sign in with IAM database authentication tokens (a DB instance only: Multi-AZ DB clusters have none). @default false */
  readonly iamAuthentication?: boolean;
}

/**
 * RDS PostgreSQL from spec.database: a Multi-AZ DB instance (L2), or a Multi-AZ DB cluster with
 * two readable standbys built from the L1 CfnDBCluster (the CDK has no L2 for it), in the isolated
 * subnets; KMS-encrypted storage, a managed master password in Secrets Manager with rotation,
 * backups from the spec, deletion protection and a snapshot on removal, a parameter group that
 * forces TLS, enhanced monitoring, Performance Insights, and an AWS Backup plan.
 */
export class HaDatabase extends Construct {
  /** The master user's secret (JSON with at least username and password). */
  readonly secret: secretsmanager.ISecret;
  /** The writer endpoint's address and port. */
  readonly endpointAddress: string;
  readonly port: string;
  /** The database's name inside PostgreSQL. */
  readonly databaseName: string;
  /** CloudWatch dimensions of the database's own metrics (DBInstanceIdentifier or DBClusterIdentifier). */
  readonly metricDimensions: Readonly<Record<string, string>>;
  /** DBInstanceIdentifier of every member of a Multi-AZ DB cluster (the writer moves among them; the database alarms take the worst); empty otherwise. */
  readonly readerMetricDimensions: readonly Readonly<Record<string, string>>[];
  /** The ARN a Fault Injection Service reboot-with-failover action targets (db instance or cluster). */
  readonly failoverTargetArn: string;
  /** `'instance'` (aws:rds:reboot-db-instances) or `'cluster'` (aws:rds:failover-db-cluster). */
  readonly failoverKind: 'instance' | 'cluster';
  /** Encrypts storage, Performance Insights and the backup vault (rotated yearly). */
  readonly encryptionKey: kms.Key;
  /** The DB instance (deployments 'multi-az-instance' and 'single-az'). */
  readonly instance: rds.DatabaseInstance | undefined;
  /** The Multi-AZ DB cluster (deployment 'multi-az-cluster'). */
  readonly cluster: rds.CfnDBCluster | undefined;
  /** Daily AWS Backup of the database; none when automated backups are off (backupRetentionDays 0). */
  readonly backupPlan: DatabaseBackupPlan | undefined;

  constructor(scope: Construct, id: string, props: HaDatabaseProps) {
    super(scope, id);
    const { spec } = props;
    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `${spec.name}: database storage, Performance Insights and backups (hastack)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    Validations.of(monitoringRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'RDS enhanced monitoring\'s own service role policy, maintained by AWS; it only writes the RDSOSMetrics log group',
    });
    const buildProps: DatabaseBuildProps = {
      spec,
      vpc: props.vpc,
      securityGroup: props.securityGroup,
      key: this.encryptionKey,
      monitoringRole,
      iamAuthentication: props.iamAuthentication ?? false,
    };
    let built: BuiltDatabase;
    if (spec.database.deployment === 'multi-az-cluster') {
      const c = buildDatabaseCluster(this, buildProps);
      this.cluster = c.cluster;
      this.instance = undefined;
      built = c;
    } else {
      const i = buildDatabaseInstance(this, buildProps);
      this.instance = i.instance;
      this.cluster = undefined;
      built = i;
    }
    this.secret = built.secret;
    this.endpointAddress = built.endpointAddress;
    this.port = built.port;
    this.databaseName = databaseNameOf(spec.name);
    this.metricDimensions = built.metricDimensions;
    this.readerMetricDimensions = built.readerMetricDimensions;
    this.failoverTargetArn = built.failoverTargetArn;
    this.failoverKind = built.failoverKind;
    this.backupPlan =
      spec.database.backupRetentionDays > 0
        ? new DatabaseBackupPlan(this, 'Backup', { spec, key: this.encryptionKey, resourceArn: built.backupTargetArn })
        : undefined;
  }
}
