/**
 * The database as an RDS Multi-AZ DB cluster: a writer and two readable standbys in three zones,
 * a commit waiting for one of them. The CDK has no L2 construct for this cluster type (its
 * DatabaseCluster is Aurora's), so it is built from CfnDBCluster, CfnDBSubnetGroup and
 * CfnDBClusterParameterGroup.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/multi-az-db-clusters-concepts.html
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledgeDatabaseChoices, clusterMemberIdentifiers, clusterStorage, databaseNameOf, parameterGroupFamily, parameterGroupValues, postgresVersion } from './database-settings.ts';
import { MASTER_USERNAME, MONITORING_INTERVAL_SECONDS, type BuiltDatabase, type DatabaseBuildProps } from './database-instance.ts';

/** Days of Performance Insights history kept (the free tier). */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;

/** Builds the Multi-AZ DB cluster and acknowledges the cdk-nag findings that follow from the spec's own choices. */
export function buildDatabaseCluster(scope: Construct, props: DatabaseBuildProps): BuiltDatabase & { readonly cluster: rds.CfnDBCluster } {
  const { spec, key } = props;
  const db = spec.database;
  const version = postgresVersion(db.version);
  const subnetGroup = new rds.CfnDBSubnetGroup(scope, 'SubnetGroup', {
    dbSubnetGroupDescription: `${spec.name}: the database's isolated subnets (hastack)`,
    subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
  });
  const parameterGroup = new rds.CfnDBClusterParameterGroup(scope, 'Parameters', {
    description: `${spec.name}: TLS required (hastack)`,
    family: parameterGroupFamily(version),
    parameters: parameterGroupValues(db),
  });
  const storage = clusterStorage(db.storageGiB);
  const cluster = new rds.CfnDBCluster(scope, 'Cluster', {
    engine: 'postgres',
    engineVersion: version.full,
    dbClusterInstanceClass: db.instanceClass,
    allocatedStorage: db.storageGiB,
    storageType: storage.storageType,
    iops: storage.iops,
    dbSubnetGroupName: subnetGroup.ref,
    vpcSecurityGroupIds: [props.securityGroup.securityGroupId],
    publiclyAccessible: false,
    storageEncrypted: true,
    kmsKeyId: key.keyArn,
    databaseName: databaseNameOf(spec.name),
    masterUsername: MASTER_USERNAME,
    // RDS keeps the master password in Secrets Manager and rotates it itself (every 7 days by
    // default), so no rotation Lambda is needed. Encrypted with the AWS managed key, as the
    // instance's is (see database-instance.ts).
    manageMasterUserPassword: true,
    dbClusterParameterGroupName: parameterGroup.ref,
    backupRetentionPeriod: db.backupRetentionDays,
    preferredBackupWindow: db.backupWindow,
    deleteAutomatedBackups: false,
    copyTagsToSnapshot: true,
    deletionProtection: db.deletionProtection,
    monitoringInterval: MONITORING_INTERVAL_SECONDS,
    monitoringRoleArn: props.monitoringRole.roleArn,
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: key.keyArn,
    performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
    enableCloudwatchLogsExports: ['postgresql'],
    autoMinorVersionUpgrade: true,
    // CloudFormation's DBCluster has no AllowMajorVersionUpgrade: a new major for a Multi-AZ DB
    // cluster is an upgrade made in RDS (console or CLI) before the spec follows (docs/aws.md).
    // IAM database authentication is for Aurora clusters only; Multi-AZ DB clusters refuse it.
  });
  cluster.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
  acknowledgeDatabaseChoices(cluster, props.spec);
  const clusterId = cluster.ref;
  return {
    cluster,
    secret: secretsmanager.Secret.fromSecretAttributes(scope, 'Secret', { secretCompleteArn: cluster.attrMasterUserSecretSecretArn }),
    endpointAddress: cluster.attrEndpointAddress,
    port: cluster.attrEndpointPort,
    metricDimensions: { DBClusterIdentifier: clusterId },
    // ReplicaLag is a per-DB-instance metric. Which two members are readers changes with every
    // failover, so the readers' dimensions are all three members' and an alarm takes the highest.
    readerMetricDimensions: clusterMemberIdentifiers(clusterId).map((id) => ({ DBInstanceIdentifier: id })),
    failoverTargetArn: cluster.attrDbClusterArn,
    failoverKind: 'cluster',
    backupTargetArn: cluster.attrDbClusterArn,
  };
}
