/**
 * AWS Backup for the database: a daily snapshot an hour after the automated backup window, kept
 * as long as the automated backups, in a vault encrypted with the database's KMS key. These
 * recovery points outlive the database itself (automated backups do not).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../spec/types.ts';
import { backupPlanStart } from './database-settings.ts';

export interface DatabaseBackupPlanProps {
  readonly spec: ResolvedSpec;
  /** Encrypts the vault. */
  readonly key: kms.IKey;
  /** The DB instance's or DB cluster's ARN. */
  readonly resourceArn: string;
}

/** A vault, a daily plan and the selection of the database. Only made when backupRetentionDays > 0. */
export class DatabaseBackupPlan extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: DatabaseBackupPlanProps) {
    super(scope, id);
    const db = props.spec.database;
    this.vault = new backup.BackupVault(this, 'Vault', { encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const start = backupPlanStart(db.backupWindow);
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: String(start.hour), minute: String(start.minute) }),
          deleteAfter: Duration.days(db.backupRetentionDays),
        }),
      ],
    });
    const selection = this.plan.addSelection('Database', { resources: [backup.BackupResource.fromArn(props.resourceArn)] });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: 'AWS Backup\'s own service role policy for taking backups, maintained by AWS for the backup.amazonaws.com principal',
    });
  }
}
