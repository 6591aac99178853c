/**
 * The stack config a user writes (`hastack.config.ts`) and the resolved form every target reads.
 * Times are in seconds, as AWS states them (the twin's own probe settings are in milliseconds).
 * Each section joins `StackConfig` beside the others; the schema is
 * strict so a misspelt field is an error, not a no-op.
 */

/** A command to run, as argv (no shell). */
export interface CommandConfig {
  /** The executable, looked up on PATH. `node` means the Node.js running hastack. */
  readonly command: string;
  /** Arguments. @default [] */
  readonly args?: readonly string[];
  /** Working folder, relative to the config file. @default - the config file's folder */
  readonly cwd?: string;
}

export interface AppConfig {
  /** How to start one instance of the app. The app must listen on `$PORT`. */
  readonly start: CommandConfig;
  /** An optional build step run once before instances start (and before the AWS bundle is made). */
  readonly build?: CommandConfig;
  /**
   * The port the app listens on in production (EC2). On the twin each instance gets its own port
   * through `PORT`. @default 8080
   */
  readonly port?: number;
  /** Extra environment for every instance. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Seconds between SIGTERM and SIGKILL when an instance stops (systemd's TimeoutStopSec).
   * @default 10
   */
  readonly stopTimeout?: number;
}

export interface CapacityConfig {
  /** Fewest instances. @default - the zone count (one per zone) */
  readonly min?: number;
  /** Instances wanted now. @default - min */
  readonly desired?: number;
  /** Most instances. @default - three per zone */
  readonly max?: number;
}

/** @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html */
export interface HealthCheckConfig {
  /** Path the load balancer probes. @default '/readyz' */
  readonly path?: string;
  /** Seconds between probes, 5–300. @default 5 (ALB's is 30; 5 detects failures fast) */
  readonly interval?: number;
  /** Seconds before a probe counts as failed, 2–120, below interval. @default - 5, or interval − 1 when that is less */
  readonly timeout?: number;
  /** Consecutive successes before an unhealthy target is healthy, 2–10. @default 2 (ALB's is 5) */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a healthy target is unhealthy, 2–10. @default 2 */
  readonly unhealthyThreshold?: number;
  /** HTTP codes that count as success: `200`, `200,202` or `200-299`. @default '200' */
  readonly successCodes?: string;
}

/** @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html */
export interface LoadBalancerConfig {
  /** Serve HTTPS and redirect HTTP to it. @default - true when certificateArn or dns is set, else false */
  readonly https?: boolean;
  /** ACM certificate for the HTTPS listener on AWS. The twin uses a self-signed one. @default - none */
  readonly certificateArn?: string;
  /** How the target group picks a target. @default 'round_robin' */
  readonly algorithm?: 'round_robin' | 'least_outstanding_requests';
  /** Seconds a deregistering target keeps its in-flight requests, 0–3600. @default 30 (ALB's is 300) */
  readonly deregistrationDelay?: number;
  /** Seconds a new target's share of traffic ramps up, 0 (off) or 30–900. @default 0 */
  readonly slowStart?: number;
  /** Seconds a connection may sit idle, 1–4000. @default 60 */
  readonly idleTimeout?: number;
  readonly healthCheck?: HealthCheckConfig;
}

/** One target-tracking policy: keep the metric near the target by changing desired capacity. */
export interface TargetTrackingConfig {
  /** The value to hold the metric at. */
  readonly target: number;
  /** Never remove instances on this policy's account. @default false */
  readonly disableScaleIn?: boolean;
}

/** @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html */
export interface AutoScalingConfig {
  /** Replace instances the load balancer finds unhealthy (ELB) or only dead ones (EC2). @default 'ELB' */
  readonly healthCheckType?: 'EC2' | 'ELB';
  /** Seconds after launch before health checks can mark an instance unhealthy. @default 60 (console's is 300) */
  readonly healthCheckGracePeriod?: number;
  /** Seconds after a scaling activity before a scale-in may follow. @default 300 */
  readonly cooldown?: number;
  /** Seconds before a new instance's metrics count towards the group's. @default 300 */
  readonly instanceWarmup?: number;
  /**
   * Percent of desired capacity that must stay in service while an instance refresh replaces
   * instances (a new launch template rolls out this way), 0–100.
   * @default 90
   * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-instance-refresh-default-values.html
   */
  readonly instanceRefreshMinHealthyPercentage?: number;
  /** Period of the metrics target tracking reads: 10, 20, 30 (high resolution) or 60. @default 60 */
  readonly metricPeriod?: 10 | 20 | 30 | 60;
  /** Average CPU utilization (percent) per instance. @default { target: 50 } */
  readonly cpu?: TargetTrackingConfig | false;
  /** ALBRequestCountPerTarget: requests per target per metric period. @default - off */
  readonly requestCountPerTarget?: TargetTrackingConfig | false;
}

/** How the database survives the loss of a node or a zone. */
export type DatabaseDeployment = 'multi-az-instance' | 'multi-az-cluster' | 'single-az';

/**
 * The app's PostgreSQL database: RDS on AWS, real PostgreSQL servers (one per zone used) on the twin.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html
 */
export interface DatabaseConfig {
  /** Only PostgreSQL. @default 'postgres' */
  readonly engine?: 'postgres';
  /**
   * Major version (or major.minor) for RDS, 14–17. The twin runs the PostgreSQL it finds and
   * reports its version. @default '16'
   */
  readonly version?: string;
  /**
   * `multi-az-instance`: a primary and one synchronous standby in another zone (failover 60–120 s
   * on RDS). `multi-az-cluster`: a writer and two readable standbys in three zones, a commit waits
   * for one of them (failover under 35 s; needs 3 zones). `single-az`: one node, no failover.
   * @default 'multi-az-instance'
   */
  readonly deployment?: DatabaseDeployment;
  /** Days automated backups are kept, 0–35 (0 turns them off; a multi-az-cluster needs at least 1). @default 7 */
  readonly backupRetentionDays?: number;
  /** Daily UTC window for automated backups, `hh:mm-hh:mm`, at least 30 minutes; may wrap midnight. @default '03:00-03:30' */
  readonly backupWindow?: string;
  /** Refuse to delete the database with the stack. @default true */
  readonly deletionProtection?: boolean;
  /**
   * Allocated storage in GiB, 20–65536; a multi-az-cluster needs at least 100 (its Provisioned
   * IOPS storage). @default - 20, or 100 for a multi-az-cluster
   */
  readonly storageGiB?: number;
  /**
   * RDS instance class, e.g. `db.t4g.medium`. A multi-az-cluster takes only the m5d, m6gd, m6id,
   * r5d, r6gd, r6id and x2iedn families. @default - 'db.t4g.medium', or 'db.m6gd.large' for a multi-az-cluster
   */
  readonly instanceClass?: string;
  /**
   * PostgreSQL server parameters (the parameter group on RDS), name → value; `true`/`false`
   * become `on`/`off`. Parameters hastack manages itself (listening, files, replication,
   * archiving, recovery) are refused. @default {}
   */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Refuse commits while no synchronous standby is attached (Patroni's synchronous_mode_strict)
   * instead of carrying on without one (RDS's behaviour). Needs a multi-az deployment. @default false
   */
  readonly strictSync?: boolean;
}

/** How the twin notices a failed database node. */
export interface TwinDatabaseConfig {
  /** Milliseconds between the end of one probe of a node and the start of the next, 100–60000. @default 500 */
  readonly probeIntervalMs?: number;
  /**
   * Milliseconds before a probe counts as failed, 100–60000. A failed probe is retried at once, so a
   * hung node is noticed within probeIntervalMs + failureThreshold × probeTimeoutMs (2 s by
   * default); failureThreshold × (probeIntervalMs + probeTimeoutMs) must stay within 120000.
   * @default 500
   */
  readonly probeTimeoutMs?: number;
  /** Consecutive failed probes before a node counts as down, 1–10. @default 3 */
  readonly failureThreshold?: number;
}

/** One lifecycle rule of a bucket (S3 lifecycle configuration). */
export interface LifecycleRuleConfig {
  /** @default - `rule-<n>` */
  readonly id?: string;
  /** Applies to keys starting with this. @default '' (every key) */
  readonly prefix?: string;
  /** Days after creation the current version expires (a delete marker on a versioned bucket). @default - never */
  readonly expireAfterDays?: number;
  /** Days after a version stops being current that it is deleted. @default - never */
  readonly noncurrentExpireAfterDays?: number;
  /** Days after which an unfinished multipart upload is aborted. @default - never */
  readonly abortIncompleteUploadsAfterDays?: number;
}

/**
 * A bucket of the app: S3 on AWS (encrypted, TLS-only, access-logged), the twin's replicated object
 * store locally. The app finds its real name in `BUCKET_<NAME>` (upper case, `-`/`.` as `_`).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export interface BucketConfig {
  /** S3's bucket naming rules: 3–63 of a-z 0-9 . -, starting and ending with a letter or digit. */
  readonly name: string;
  /** Keep every version of every object (S3 versioning). @default true */
  readonly versioned?: boolean;
  /** @default [] */
  readonly lifecycle?: readonly LifecycleRuleConfig[];
  /** Only `blocked`: public access is never granted. @default 'blocked' */
  readonly publicAccess?: 'blocked';
}

/**
 * Object storage: S3 on AWS; on the twin, an S3-compatible store with one storage node per zone.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/DataDurability.html
 */
export interface StorageConfig {
  /** @default [] */
  readonly buckets?: readonly BucketConfig[];
  /**
   * Twin: zones each object version is written to, 2 up to the zone count; a write is acknowledged
   * once a majority of them has it on disk. @default - 3, or the zone count when fewer
   */
  readonly replicas?: number;
}

/** The twin's storage nodes and S3 endpoint. */
export interface TwinStorageConfig {
  /** Port of the S3 endpoint on loopback (0 picks a free one). @default 0 */
  readonly port?: number;
  /** Seconds between the scrubber's passes over each node's data. @default 3600 */
  readonly scrubIntervalSeconds?: number;
  /** Seconds between anti-entropy repair passes. @default 10 */
  readonly repairIntervalSeconds?: number;
}

/** How an alarm compares its metric with the threshold (CloudWatch's ComparisonOperator). */
export type AlarmComparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

/** What an alarm does with periods that have no data (CloudWatch's TreatMissingData). */
export type MissingDataTreatment = 'missing' | 'breaching' | 'notBreaching' | 'ignore';

/**
 * One alarm's numbers; each alarm has its own defaults (see AlarmsConfig).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export interface AlarmRuleConfig {
  /** The value the metric is compared with, in the unit the alarm names. */
  readonly threshold?: number;
  /** Seconds per datapoint: 10, 20 or 30 (high resolution) or a multiple of 60 up to 86400. */
  readonly period?: number;
  /** Datapoints looked at (N of "M out of N"), 1–100. */
  readonly evaluationPeriods?: number;
  /** Datapoints that must breach (M of "M out of N"), 1 up to evaluationPeriods. */
  readonly datapointsToAlarm?: number;
  /** Whether this alarm stops Fault Injection Service experiments (a stop condition). */
  readonly critical?: boolean;
}

/**
 * The stack's alarms, defined once: CloudWatch alarms on AWS, the twin's alarm evaluator locally.
 * `false` turns one off. Every alarm notifies the alarm topic.
 */
export interface AlarmsConfig {
  /** Address subscribed to the alarm topic (SNS email; AWS asks it to confirm). @default - none */
  readonly email?: string;
  /** Percent of requests answered 5XX (by the load balancer or the targets). @default { threshold: 5, period: 60, evaluationPeriods: 3, datapointsToAlarm: 2, critical: true } */
  readonly http5xxRate?: AlarmRuleConfig | false;
  /** Targets' p99 response time, seconds. @default { threshold: 2, period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, critical: true } */
  readonly latencyP99?: AlarmRuleConfig | false;
  /** Unhealthy targets in the target group (above the threshold). @default { threshold: 0, period: 60, evaluationPeriods: 2, datapointsToAlarm: 2 } */
  readonly unhealthyHosts?: AlarmRuleConfig | false;
  /** In-service instances below the threshold (not with capacity.min 0). @default { threshold: - capacity.min, period: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } */
  readonly inServiceBelowMin?: AlarmRuleConfig | false;
  /** Instances' average CPU, percent. @default { threshold: 80, period: 60, evaluationPeriods: 5, datapointsToAlarm: 5 } */
  readonly cpu?: AlarmRuleConfig | false;
  /** Database CPU, percent. @default { threshold: 80, period: 60, evaluationPeriods: 5, datapointsToAlarm: 5 } */
  readonly dbCpu?: AlarmRuleConfig | false;
  /** Database free storage below this percent of database.storageGiB. @default { threshold: 10, period: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } */
  readonly dbFreeStorage?: AlarmRuleConfig | false;
  /** Database connections. @default { threshold: 200, period: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } */
  readonly dbConnections?: AlarmRuleConfig | false;
  /** Readable standbys' replica lag, seconds (multi-az-cluster only). @default { threshold: 30, period: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } */
  readonly dbReplicaLag?: AlarmRuleConfig | false;
  /** The Route 53 health check of dns.domain reports unhealthy (only with dns). @default { threshold: 1, period: 60, evaluationPeriods: 1, datapointsToAlarm: 1, critical: true } */
  readonly dnsHealthCheck?: AlarmRuleConfig | false;
}

/**
 * The app's public name in Route 53: an alias to the load balancer, checked by a Route 53 health
 * check, failing over to a static maintenance page when the app is unhealthy.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover.html
 */
export interface DnsConfig {
  /** The app's name, e.g. `app.example.com`. */
  readonly domain: string;
  /** Id of the Route 53 public hosted zone that holds the domain (needed on AWS), e.g. `Z0123456789ABCDEFGHIJ`. */
  readonly hostedZoneId?: string;
  /** Name of that hosted zone. @default - the domain without its first label (the domain itself when it has two labels) */
  readonly hostedZoneName?: string;
  /** TTL of the records that are not aliases, seconds, 0–86400. @default 60 */
  readonly ttl?: number;
  readonly healthCheck?: {
    /** Seconds between checks: 10 (fast) or 30. @default 10 */
    readonly interval?: 10 | 30;
    /** Consecutive failures before the endpoint is unhealthy, 1–10. @default 3 */
    readonly failureThreshold?: number;
    /** Path checked. @default - loadBalancer.healthCheck.path */
    readonly path?: string;
  };
}

/** Settings that only matter on AWS; the twin ignores them. */
export interface AwsConfig {
  /** The 12-digit account to deploy to. @default - the account of the credentials in use */
  readonly account?: string;
  /** EC2 instance type of the app's instances. @default 't4g.small' */
  readonly instanceType?: string;
  /** Root volume size of each instance, GiB, 8–16384. @default 16 */
  readonly rootVolumeGiB?: number;
  /**
   * `per-zone`: a NAT gateway in every zone, so a zone's loss leaves the others' egress working.
   * `single`: one NAT gateway (cheaper, but a single point of failure; `validate` warns).
   * @default 'per-zone'
   */
  readonly natGateways?: 'per-zone' | 'single';
  /** The VPC's address range, a /16 to /20 IPv4 CIDR block. @default '10.0.0.0/16' */
  readonly vpcCidr?: string;
  /** Allow capacity.min below 2 (one instance is a single point of failure; `validate` warns). @default false */
  readonly allowSingleInstance?: boolean;
  /**
   * Protect the load balancer from deletion and the data stack from termination, so a stray
   * `destroy` or stack deletion fails. Turn off (and deploy) before `hastack destroy`, together with
   * database.deletionProtection for the database. @default true
   */
  readonly deletionProtection?: boolean;
  /** Days the app's logs and the VPC flow logs are kept in CloudWatch Logs. @default 30 */
  readonly logRetentionDays?: number;
}

/** Settings of the local twin only; AWS ignores them. */
export interface TwinConfig {
  /** Name of the local region. @default 'local-1' */
  readonly region?: string;
  /** Load balancer HTTP listener port on loopback (0 picks a free one). @default 8080 */
  readonly httpPort?: number;
  /** Load balancer HTTPS listener port on loopback, when HTTPS is on. @default 8443 */
  readonly httpsPort?: number;
  /**
   * `fast`: fail over as fast as correctness allows. `aws`: RDS-like failover times (60–120 s for
   * a multi-az-instance, under 35 s for a multi-az-cluster). @default 'fast'
   */
  readonly fidelity?: 'fast' | 'aws';
  /** Database failure detection on the twin. */
  readonly database?: TwinDatabaseConfig;
  readonly storage?: TwinStorageConfig;
}

export interface StackConfig {
  /** Stack name: lowercase letters, digits and hyphens, starting with a letter, at most 32. */
  readonly name: string;
  /** AWS region to deploy to. @default 'us-east-1' */
  readonly region?: string;
  /**
   * Availability Zones to spread over: a count, 2–6, or the zone names in the region (explicit
   * names let the AWS templates be made without credentials). @default 3
   */
  readonly zones?: number | readonly string[];
  readonly app: AppConfig;
  readonly capacity?: CapacityConfig;
  readonly loadBalancer?: LoadBalancerConfig;
  readonly autoScaling?: AutoScalingConfig;
  readonly database?: DatabaseConfig;
  readonly storage?: StorageConfig;
  readonly alarms?: AlarmsConfig;
  readonly dns?: DnsConfig;
  readonly aws?: AwsConfig;
  readonly twin?: TwinConfig;
}

export interface ResolvedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Absolute. */
  readonly cwd: string;
}

export type TrackedMetric = 'CPUUtilization' | 'ALBRequestCountPerTarget';

export interface ResolvedTargetTracking {
  readonly metric: TrackedMetric;
  readonly target: number;
  readonly disableScaleIn: boolean;
}

/** The database section with every default applied; present even when the config has none. */
export interface ResolvedDatabase {
  readonly engine: 'postgres';
  readonly version: string;
  readonly deployment: DatabaseDeployment;
  readonly backupRetentionDays: number;
  /** UTC, `hh:mm-hh:mm`, at least 30 minutes (the end may be past midnight). */
  readonly backupWindow: string;
  readonly deletionProtection: boolean;
  readonly storageGiB: number;
  readonly instanceClass: string;
  /** Values as PostgreSQL reads them: numbers as written, booleans as `on`/`off`. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly strictSync: boolean;
}

/** A bucket with every default applied. */
export interface ResolvedBucket {
  readonly name: string;
  readonly versioned: boolean;
  readonly lifecycle: readonly {
    readonly id: string;
    readonly prefix: string;
    readonly expireAfterDays: number | undefined;
    readonly noncurrentExpireAfterDays: number | undefined;
    readonly abortIncompleteUploadsAfterDays: number | undefined;
  }[];
  readonly publicAccess: 'blocked';
  /** The variable the app reads the bucket's name from: `BUCKET_<NAME>`. */
  readonly envName: string;
}

/** The stack's alarms, one per metric a team watches; which metric each reads is in spec/alarms.ts. */
export type AlarmId =
  | 'http5xxRate'
  | 'latencyP99'
  | 'unhealthyHosts'
  | 'inServiceBelowMin'
  | 'cpu'
  | 'dbCpu'
  | 'dbFreeStorage'
  | 'dbConnections'
  | 'dbReplicaLag'
  | 'dnsHealthCheck';

/** One alarm with every default applied; the threshold is in the metric's own unit (bytes for free storage). */
export interface ResolvedAlarm {
  readonly id: AlarmId;
  readonly threshold: number;
  readonly comparison: AlarmComparison;
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: MissingDataTreatment;
  readonly critical: boolean;
}

export interface ResolvedDns {
  readonly domain: string;
  readonly hostedZoneId: string | undefined;
  readonly hostedZoneName: string;
  readonly ttl: number;
  readonly healthCheck: { readonly interval: 10 | 30; readonly failureThreshold: number; readonly path: string };
}

/** Every default applied, every invariant checked. Both targets read only this. */
export interface ResolvedSpec {
  readonly name: string;
  readonly region: string;
  /** AWS zone names, e.g. us-east-1a, us-east-1b, us-east-1c. */
  readonly zones: readonly string[];
  /** Folder of the config file; relative paths are resolved against it. */
  readonly configDir: string;
  readonly app: {
    readonly start: ResolvedCommand;
    readonly build: ResolvedCommand | undefined;
    readonly port: number;
    readonly env: Readonly<Record<string, string>>;
    readonly stopTimeout: number;
  };
  readonly capacity: { readonly min: number; readonly desired: number; readonly max: number };
  readonly loadBalancer: {
    readonly https: boolean;
    readonly certificateArn: string | undefined;
    readonly algorithm: 'round_robin' | 'least_outstanding_requests';
    readonly deregistrationDelay: number;
    readonly slowStart: number;
    readonly idleTimeout: number;
    readonly healthCheck: {
      readonly path: string;
      readonly interval: number;
      readonly timeout: number;
      readonly healthyThreshold: number;
      readonly unhealthyThreshold: number;
      readonly successCodes: string;
    };
  };
  readonly autoScaling: {
    readonly healthCheckType: 'EC2' | 'ELB';
    readonly healthCheckGracePeriod: number;
    readonly cooldown: number;
    readonly instanceWarmup: number;
    readonly metricPeriod: 10 | 20 | 30 | 60;
    readonly targetTracking: readonly ResolvedTargetTracking[];
    readonly instanceRefreshMinHealthyPercentage: number;
  };
  readonly database: ResolvedDatabase;
  readonly storage: {
    readonly buckets: readonly ResolvedBucket[];
    readonly replicas: number;
    /** Replicas that must have a write on disk before it is acknowledged: a majority. */
    readonly writeQuorum: number;
  };
  readonly alarms: {
    readonly email: string | undefined;
    /** Only the alarms that apply (no replica lag without readable standbys, no DNS alarm without dns). */
    readonly rules: readonly ResolvedAlarm[];
  };
  readonly dns: ResolvedDns | undefined;
  readonly aws: {
    readonly account: string | undefined;
    readonly instanceType: string;
    readonly rootVolumeGiB: number;
    readonly natGateways: 'per-zone' | 'single';
    readonly vpcCidr: string;
    readonly allowSingleInstance: boolean;
    readonly deletionProtection: boolean;
    readonly logRetentionDays: number;
  };
  readonly twin: {
    readonly region: string;
    /** Twin zone names, e.g. local-1a, local-1b, local-1c (same order as `zones`). */
    readonly zones: readonly string[];
    readonly httpPort: number;
    readonly httpsPort: number;
    readonly fidelity: 'fast' | 'aws';
    readonly database: {
      readonly probeIntervalMs: number;
      readonly probeTimeoutMs: number;
      readonly failureThreshold: number;
    };
    readonly storage: {
      readonly port: number;
      readonly scrubIntervalSeconds: number;
      readonly repairIntervalSeconds: number;
    };
  };
}
