/**
 * The database as an RDS DB instance (the L2 construct): Multi-AZ with a synchronous standby for
 * deployment 'multi-az-instance', one node for 'single-az'.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { acknowledgeDatabaseChoices, databaseNameOf, instanceTypeName, parameterGroupValues, postgresVersion } from './database-settings.ts';

/** What both database shapes are built from. */
export interface DatabaseBuildProps {
  readonly spec: ResolvedSpec;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts storage and Performance Insights. */
  readonly key: kms.IKey;
  /** Enhanced monitoring's role. */
  readonly monitoringRole: iam.IRole;
  readonly iamAuthentication: boolean;
}

/** What either database shape hands to HaDatabase (see its members). */
export interface BuiltDatabase {
  readonly secret: secretsmanager.ISecret;
  readonly endpointAddress: string;
  readonly port: string;
  readonly metricDimensions: Readonly<Record<string, string>>;
  readonly readerMetricDimensions: readonly Readonly<Record<string, string>>[];
  readonly failoverTargetArn: string;
  readonly failoverKind: 'instance' | 'cluster';
  /** The ARN AWS Backup selects. */
  readonly backupTargetArn: string;
}

/** The master user RDS creates; its password lives in the RDS-managed secret. */
export const MASTER_USERNAME = 'postgres';

/** Seconds between enhanced monitoring samples. */
export const MONITORING_INTERVAL_SECONDS = 60;

/** Builds the DB instance and acknowledges the cdk-nag findings that follow from the spec's own choices. */
export function buildDatabaseInstance(scope: Construct, props: DatabaseBuildProps): BuiltDatabase & { readonly instance: rds.DatabaseInstance } {
  const db = props.spec.database;
  const version = postgresVersion(db.version);
  const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(version.full, version.major) });
  const parameterGroup = new rds.ParameterGroup(scope, 'Parameters', {
    engine,
    description: `${props.spec.name}: TLS required (hastack)`,
    parameters: parameterGroupValues(db),
  });
  const instance = new rds.DatabaseInstance(scope, 'Instance', {
    engine,
    instanceType: new ec2.InstanceType(instanceTypeName(db.instanceClass)),
    vpc: props.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [props.securityGroup],
    publiclyAccessible: false,
    multiAz: db.deployment === 'multi-az-instance',
    allocatedStorage: db.storageGiB,
    storageType: rds.StorageType.GP3,
    storageEncrypted: true,
    storageEncryptionKey: props.key,
    databaseName: databaseNameOf(props.spec.name),
    // RDS keeps the master password in Secrets Manager and rotates it itself (every 7 days by
    // default), so no rotation Lambda is needed. The secret is encrypted with Secrets Manager's
    // AWS managed key, which lets whoever may read the secret decrypt it through Secrets Manager:
    // the instances' grant (in another stack) is then complete. With the database key, the grant
    // would have to go into the key policy and make this stack refer to theirs, a cycle.
    manageMasterUserPassword: true,
    credentials: rds.Credentials.fromUsername(MASTER_USERNAME),
    parameterGroup,
    backupRetention: Duration.days(db.backupRetentionDays),
    preferredBackupWindow: db.backupWindow,
    deleteAutomatedBackups: false,
    copyTagsToSnapshot: true,
    deletionProtection: db.deletionProtection,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    monitoringInterval: Duration.seconds(MONITORING_INTERVAL_SECONDS),
    monitoringRole: props.monitoringRole,
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: props.key,
    cloudwatchLogsExports: ['postgresql'],
    autoMinorVersionUpgrade: true,
    // A new major in the spec is an upgrade RDS performs only when allowed to.
    allowMajorVersionUpgrade: true,
    iamAuthentication: props.iamAuthentication,
  });
  acknowledgeDatabaseChoices(instance, props.spec);
  const cfn = instance.node.defaultChild as rds.CfnDBInstance;
  return {
    instance,
    // The L2 sets `secret` from MasterUserSecret.SecretArn whenever RDS manages the password.
    secret: instance.secret ?? secretsmanager.Secret.fromSecretAttributes(scope, 'Secret', { secretCompleteArn: cfn.attrMasterUserSecretSecretArn }),
    endpointAddress: instance.dbInstanceEndpointAddress,
    port: instance.dbInstanceEndpointPort,
    metricDimensions: { DBInstanceIdentifier: instance.instanceIdentifier },
    readerMetricDimensions: [],
    failoverTargetArn: instance.instanceArn,
    failoverKind: 'instance',
    backupTargetArn: instance.instanceArn,
  };
}
