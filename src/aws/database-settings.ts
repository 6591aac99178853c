/**
 * How spec.database becomes RDS and AWS Backup settings. Pure: resolved values in, the values the
 * database constructs write out, so each mapping is tested without synthesizing a stack. Also the
 * cdk-nag acknowledgments those settings call for, shared by the instance and the cluster.
 */
import { Validations } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';
import { parseWindowMinutes } from '../spec/database.ts';
import type { ResolvedDatabase, ResolvedSpec } from '../spec/types.ts';

/** An engine version as RDS takes it, and the major that names its parameter group family. */
export interface PostgresVersion {
  /** Major.minor, e.g. `16.13`. */
  readonly full: string;
  readonly major: string;
}

/**
 * The minor a bare major starts on: the newest this aws-cdk-lib knows. Later minors arrive through
 * automatic minor version upgrades; a CDK upgrade moves new deployments to newer ones.
 */
export const STARTING_MINOR: Readonly<Record<string, rds.PostgresEngineVersion>> = {
  '14': rds.PostgresEngineVersion.VER_14_22,
  '15': rds.PostgresEngineVersion.VER_15_17,
  '16': rds.PostgresEngineVersion.VER_16_13,
  '17': rds.PostgresEngineVersion.VER_17_9,
};

/**
 * spec.database.version as RDS takes it: a major.minor as written, a bare major as its starting
 * minor (CloudFormation's DBCluster takes full versions only), any other major as written.
 */
export function postgresVersion(version: string): PostgresVersion {
  const major = version.split('.')[0] ?? version;
  const known = version === major ? STARTING_MINOR[major] : undefined;
  return { full: known?.postgresFullVersion ?? version, major };
}

/** Parameter group family of a PostgreSQL major on RDS, e.g. `postgres16`. */
export function parameterGroupFamily(version: PostgresVersion): string {
  return `postgres${version.major}`;
}

/** The app's database inside PostgreSQL: the stack name with `-` as `_` (unquoted identifiers have no hyphens). */
export function databaseNameOf(stackName: string): string {
  return stackName.replace(/-/g, '_');
}

/** The RDS instance class without its `db.` prefix, as ec2.InstanceType takes it. */
export function instanceTypeName(instanceClass: string): string {
  return instanceClass.replace(/^db\./, '');
}

/**
 * Server parameters of the parameter group: the spec's, then `rds.force_ssl = 1` over them, so
 * connections without TLS are refused whatever the spec says.
 */
export function parameterGroupValues(db: ResolvedDatabase): Record<string, string> {
  return { ...db.parameters, 'rds.force_ssl': '1' };
}

/** Least Provisioned IOPS RDS gives io1 storage. */
export const IO1_MIN_IOPS = 1000;

/** The io1 IOPS-to-GiB ratio RDS requires at least (it allows 0.5 to 50). */
export const IO1_MIN_IOPS_PER_GIB = 0.5;

/**
 * Storage of each DB instance of a Multi-AZ DB cluster: io1 (RDS's default for these clusters,
 * which require Iops with it) at the least IOPS RDS accepts for the allocated storage.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#USER_PIOPS
 */
export function clusterStorage(storageGiB: number): { readonly storageType: 'io1'; readonly iops: number } {
  return { storageType: 'io1', iops: Math.max(IO1_MIN_IOPS, Math.ceil(storageGiB * IO1_MIN_IOPS_PER_GIB)) };
}

/**
 * Minutes between the end of the automated backup window and the AWS Backup job: AWS Backup does
 * not start an RDS snapshot job during the automated backup window or the hour before it.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html
 */
export const BACKUP_PLAN_GAP_MINUTES = 60;

/** UTC hour and minute at which the daily AWS Backup job starts: an hour after the backup window ends. */
export function backupPlanStart(backupWindow: string): { readonly hour: number; readonly minute: number } {
  const w = parseWindowMinutes(backupWindow);
  const end = w === undefined ? 0 : w.end;
  const start = (end + BACKUP_PLAN_GAP_MINUTES) % 1440;
  return { hour: Math.floor(start / 60), minute: start % 60 };
}

/** DB instances of a Multi-AZ DB cluster: a writer and two readers. */
export const CLUSTER_MEMBER_COUNT = 3;

/**
 * The identifiers RDS gives a Multi-AZ DB cluster's DB instances: `<cluster>-instance-1` to `-3`.
 * Which two are readers changes with every failover, so readers' metrics are read from all three.
 */
export function clusterMemberIdentifiers(clusterIdentifier: string): string[] {
  return Array.from({ length: CLUSTER_MEMBER_COUNT }, (_, i) => `${clusterIdentifier}-instance-${i + 1}`);
}

/**
 * The cdk-nag findings a database (instance or cluster) has by the spec's own choices, acknowledged
 * with the reason; the choices a Multi-AZ DB cluster cannot make (single-AZ, no backups) never apply to it.
 */
export function acknowledgeDatabaseChoices(database: IConstruct, spec: ResolvedSpec): void {
  const v = Validations.of(database);
  v.acknowledge({
    id: 'AwsSolutions-RDS11',
    reason: 'PostgreSQL listens on its standard port 5432; only the instances\' security group reaches it, inside isolated subnets',
  });
  if (spec.database.deployment === 'single-az') {
    v.acknowledge({ id: 'AwsSolutions-RDS3', reason: 'database.deployment is "single-az" by the spec\'s choice; hastack validate warns that it has no standby' });
  }
  if (!spec.database.deletionProtection) {
    v.acknowledge({ id: 'AwsSolutions-RDS10', reason: 'database.deletionProtection is false by the spec\'s choice; hastack validate warns about it' });
  }
  if (spec.database.backupRetentionDays === 0) {
    v.acknowledge({ id: 'AwsSolutions-RDS13', reason: 'database.backupRetentionDays is 0: the spec turned automated backups off' });
  }
}
