import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HaDatabase } from '../../src/aws/database.ts';
import {
  backupPlanStart,
  clusterMemberIdentifiers,
  clusterStorage,
  databaseNameOf,
  parameterGroupValues,
  postgresVersion,
} from '../../src/aws/database-settings.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { constructStack, findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, nagFindings, synth } from './synth.ts';

function build(spec: ResolvedSpec) {
  const f = constructStack(spec);
  const database = new HaDatabase(f.stack, 'Database', { spec, vpc: f.vpc, securityGroup: f.securityGroup });
  return { ...f, database, template: Template.fromStack(f.stack) };
}

const DEPLOYMENTS = ['multi-az-instance', 'single-az', 'multi-az-cluster'] as const;

describe('database settings (pure)', () => {
  const versions: [string, string, string][] = [
    ['16', '16.13', '16'],
    ['17', '17.9', '17'],
    ['14', '14.22', '14'],
    ['16.4', '16.4', '16'],
  ];
  for (const [given, full, major] of versions) {
    it(`GIVEN version ${given} WHEN mapped for RDS THEN it is ${full} of major ${major}`, () => {
      assert.deepEqual(postgresVersion(given), { full, major });
    });
  }

  it('GIVEN a stack name with hyphens WHEN it names the database THEN hyphens become underscores', () => {
    assert.equal(databaseNameOf('guest-book-2'), 'guest_book_2');
  });

  const storage: [number, number][] = [[100, 1000], [2000, 1000], [4000, 2000]];
  for (const [gib, iops] of storage) {
    it(`GIVEN a cluster of ${gib} GiB WHEN its storage is chosen THEN it is io1 with ${iops} IOPS (at least 1000 and 0.5 per GiB)`, () => {
      assert.deepEqual(clusterStorage(gib), { storageType: 'io1', iops });
    });
  }

  const windows: [string, number, number][] = [['03:00-03:30', 4, 30], ['23:45-00:15', 1, 15], ['22:10-23:00', 0, 0]];
  for (const [window, hour, minute] of windows) {
    it(`GIVEN backup window ${window} WHEN the AWS Backup job is scheduled THEN it starts at ${hour}:${String(minute).padStart(2, '0')} UTC, an hour after the window`, () => {
      assert.deepEqual(backupPlanStart(window), { hour, minute });
    });
  }

  it('GIVEN a spec that sets rds.force_ssl to 0 WHEN the parameter group is made THEN TLS is still forced and the other parameters kept', () => {
    const spec = exampleSpec({ database: { parameters: { 'rds.force_ssl': 0, work_mem: '8MB', log_connections: true } } });
    assert.deepEqual(parameterGroupValues(spec.database), { 'rds.force_ssl': '1', work_mem: '8MB', log_connections: 'on' });
  });

  it('GIVEN a cluster identifier WHEN its members are named THEN there are three, -instance-1 to -3', () => {
    assert.deepEqual(clusterMemberIdentifiers('db'), ['db-instance-1', 'db-instance-2', 'db-instance-3']);
  });
});

describe('HaDatabase as a DB instance', () => {
  for (const deployment of ['multi-az-instance', 'single-az'] as const) {
    it(`GIVEN deployment ${deployment} WHEN synthesized THEN one encrypted, monitored, TLS-only PostgreSQL instance follows the spec`, () => {
      const spec = exampleSpec({ database: { deployment, backupRetentionDays: 9, backupWindow: '01:15-02:00', parameters: { work_mem: '8MB' } } });
      const { template, database, stack } = build(spec);
      template.resourceCountIs('AWS::RDS::DBInstance', 1);
      template.resourceCountIs('AWS::RDS::DBCluster', 0);
      template.hasResource('AWS::RDS::DBInstance', {
        DeletionPolicy: 'Snapshot',
        UpdateReplacePolicy: 'Snapshot',
        Properties: Match.objectLike({
          Engine: 'postgres',
          EngineVersion: '16.13',
          DBInstanceClass: 'db.t4g.medium',
          MultiAZ: deployment === 'multi-az-instance',
          AllocatedStorage: '20',
          StorageType: 'gp3',
          StorageEncrypted: true,
          KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
          PubliclyAccessible: false,
          DBName: 'guestbook',
          ManageMasterUserPassword: true,
          MasterUsername: 'postgres',
          MasterUserSecret: Match.absent(),
          MasterUserPassword: Match.absent(),
          BackupRetentionPeriod: 9,
          PreferredBackupWindow: '01:15-02:00',
          DeleteAutomatedBackups: false,
          DeletionProtection: true,
          MonitoringInterval: 60,
          MonitoringRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseMonitoringRole'), 'Arn'] },
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
          EnableCloudwatchLogsExports: ['postgresql'],
          AutoMinorVersionUpgrade: true,
          EnableIAMDatabaseAuthentication: false,
          DBParameterGroupName: { Ref: Match.stringLikeRegexp('^DatabaseParameters') },
        }),
      });
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16', Parameters: { 'rds.force_ssl': '1', work_mem: '8MB' } });
      template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcdataSubnet1') }]),
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'monitoring.rds.amazonaws.com' } })] }),
      });
      assert.ok(database.instance !== undefined);
      const instanceId = stack.getLogicalId(database.instance.node.defaultChild as CfnElement);
      assert.equal(database.failoverKind, 'instance');
      assert.equal(database.databaseName, 'guestbook');
      assert.deepEqual(database.readerMetricDimensions, []);
      assert.deepEqual(stack.resolve(database.metricDimensions), { DBInstanceIdentifier: { Ref: instanceId } });
      assert.deepEqual(stack.resolve(database.endpointAddress), { 'Fn::GetAtt': [instanceId, 'Endpoint.Address'] });
      assert.deepEqual(stack.resolve(database.port), { 'Fn::GetAtt': [instanceId, 'Endpoint.Port'] });
      assert.deepEqual(stack.resolve(database.secret.secretArn), { 'Fn::GetAtt': [instanceId, 'MasterUserSecret.SecretArn'] });
      assert.ok(JSON.stringify(stack.resolve(database.failoverTargetArn)).includes(`:db:",{"Ref":"${instanceId}"}`), 'failover targets the instance ARN');
    });
  }

  it('GIVEN iamAuthentication true WHEN synthesized THEN IAM database authentication is on', () => {
    const spec = exampleSpec();
    const f = constructStack(spec);
    new HaDatabase(f.stack, 'Database', { spec, vpc: f.vpc, securityGroup: f.securityGroup, iamAuthentication: true });
    Template.fromStack(f.stack).hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
  });
});

describe('HaDatabase as a Multi-AZ DB cluster', () => {
  it('GIVEN deployment multi-az-cluster WHEN synthesized THEN a CfnDBCluster with io1 storage, TLS-only cluster parameters and its own subnet group follows the spec', () => {
    const spec = exampleSpec({ database: { deployment: 'multi-az-cluster', storageGiB: 200, version: '17' } });
    const { template, database, stack } = build(spec);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.resourceCountIs('AWS::RDS::DBCluster', 1);
    template.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({
        Engine: 'postgres',
        EngineVersion: '17.9',
        DBClusterInstanceClass: 'db.m6gd.large',
        AllocatedStorage: 200,
        StorageType: 'io1',
        Iops: 1000,
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
        PubliclyAccessible: false,
        DatabaseName: 'guestbook',
        ManageMasterUserPassword: true,
        MasterUsername: 'postgres',
        MasterUserSecret: Match.absent(),
        MasterUserPassword: Match.absent(),
        BackupRetentionPeriod: 7,
        PreferredBackupWindow: '03:00-03:30',
        DeletionProtection: true,
        MonitoringInterval: 60,
        PerformanceInsightsEnabled: true,
        PerformanceInsightsKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
        EnableCloudwatchLogsExports: ['postgresql'],
        AutoMinorVersionUpgrade: true,
        VpcSecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Group'), 'GroupId'] }],
        DBSubnetGroupName: { Ref: Match.stringLikeRegexp('^DatabaseSubnetGroup') },
        DBClusterParameterGroupName: { Ref: Match.stringLikeRegexp('^DatabaseParameters') },
      }),
    });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: 'postgres17', Parameters: { 'rds.force_ssl': '1' } });
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcdataSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcdataSubnet2') }, { Ref: Match.stringLikeRegexp('^VpcdataSubnet3') }],
    });

    assert.ok(database.cluster !== undefined);
    const clusterId = stack.getLogicalId(database.cluster);
    assert.equal(database.failoverKind, 'cluster');
    assert.deepEqual(stack.resolve(database.failoverTargetArn), { 'Fn::GetAtt': [clusterId, 'DBClusterArn'] });
    assert.deepEqual(stack.resolve(database.metricDimensions), { DBClusterIdentifier: { Ref: clusterId } });
    assert.deepEqual(
      stack.resolve(database.readerMetricDimensions),
      [1, 2, 3].map((n) => ({ DBInstanceIdentifier: { 'Fn::Join': ['', [{ Ref: clusterId }, `-instance-${n}`]] } })),
    );
    assert.deepEqual(stack.resolve(database.endpointAddress), { 'Fn::GetAtt': [clusterId, 'Endpoint.Address'] });
    assert.deepEqual(stack.resolve(database.secret.secretArn), { 'Fn::GetAtt': [clusterId, 'MasterUserSecret.SecretArn'] });
  });
});

describe('HaDatabase backups', () => {
  for (const deployment of DEPLOYMENTS) {
    it(`GIVEN ${deployment} with 12 days of backups WHEN synthesized THEN a daily AWS Backup plan keeps them 12 days in a vault under the database key`, () => {
      const spec = exampleSpec({ database: { deployment, backupRetentionDays: 12 } });
      const { template } = build(spec);
      template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] } });
      template.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' });
      template.hasResourceProperties('AWS::Backup::BackupPlan', {
        BackupPlan: Match.objectLike({ BackupPlanRule: [Match.objectLike({ ScheduleExpression: 'cron(30 4 * * ? *)', Lifecycle: { DeleteAfterDays: 12 } })] }),
      });
      const target = deployment === 'multi-az-cluster'
        ? { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseCluster'), 'DBClusterArn'] }
        : Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(':db:$'), { Ref: Match.stringLikeRegexp('^DatabaseInstance') }])]) });
      template.hasResourceProperties('AWS::Backup::BackupSelection', { BackupSelection: Match.objectLike({ Resources: [target] }) });
    });
  }

  it('GIVEN automated backups turned off (0 days) WHEN synthesized THEN there is no AWS Backup plan either', () => {
    const spec = exampleSpec({ database: { backupRetentionDays: 0 } });
    const { template, database } = build(spec);
    template.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 0 });
    template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    template.resourceCountIs('AWS::Backup::BackupVault', 0);
    assert.equal(database.backupPlan, undefined);
  });
});

describe('HaDatabase secret across stacks', () => {
  for (const deployment of ['multi-az-instance', 'multi-az-cluster'] as const) {
    it(`GIVEN ${deployment} in a data stack WHEN a role in another stack is granted read of the secret THEN the app synthesizes without a cycle and the role may read it`, () => {
      const spec = exampleSpec({ database: { deployment } });
      const f = constructStack(spec);
      const database = new HaDatabase(f.stack, 'Database', { spec, vpc: f.vpc, securityGroup: f.securityGroup });
      const other = new Stack(f.app, 'Other', { env: { account: '123456789012', region: spec.region } });
      const role = new iam.Role(other, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      database.secret.grantRead(role);
      assert.doesNotThrow(() => f.app.synth());
      Template.fromStack(other).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('MasterUserSecretSecretArn') } })],
        }),
      });
    });
  }
});

describe('HaDatabase and cdk-nag', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['the defaults', {}],
    ['a Multi-AZ DB cluster', { deployment: 'multi-az-cluster' }],
    ['single-az without deletion protection or backups (choices validate warns about)', { deployment: 'single-az', deletionProtection: false, backupRetentionDays: 0 }],
    ['a cluster without deletion protection', { deployment: 'multi-az-cluster', deletionProtection: false }],
  ];
  for (const [name, database] of cases) {
    it(`GIVEN ${name} WHEN checked with AwsSolutions THEN nothing under the database is left unacknowledged`, () => {
      const { app } = build(exampleSpec({ database }));
      assert.deepEqual(findingsUnder(app, 'T/Database/'), []);
    });
  }
});

describe('HaDatabase in the full app', () => {
  for (const deployment of DEPLOYMENTS) {
    it(`GIVEN ${deployment} WHEN the four stacks are synthesized THEN the data stack holds the database and nag finds nothing under it`, () => {
      const s = synth(exampleSpec({ database: { deployment } }));
      s.templates.data.resourceCountIs(deployment === 'multi-az-cluster' ? 'AWS::RDS::DBCluster' : 'AWS::RDS::DBInstance', 1);
      s.templates.data.resourceCountIs('AWS::Backup::BackupPlan', 1);
      s.templates.app.resourceCountIs('AWS::RDS::DBInstance', 0);
      assert.deepEqual(nagFindings(s).filter((l) => l.includes('-data/Database/')), []);
    });
  }
});
