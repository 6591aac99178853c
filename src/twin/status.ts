import type { ScalingActivity } from './compute/activity-log.ts';
import type { InstanceSummary } from './compute/asg-controller.ts';

/** What `hastack status` shows; also the control API's GET /status. */
export interface TwinStatus {
  readonly name: string;
  readonly region: string;
  readonly endpoint: string;
  readonly httpsEndpoint: string | undefined;
  readonly controlApi: string;
  readonly stateDir: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly now: number;
  readonly capacity: { readonly min: number; readonly desired: number; readonly max: number };
  readonly zones: readonly {
    readonly name: string;
    readonly available: boolean;
    readonly instances: readonly InstanceSummary[];
  }[];
  readonly targets: readonly {
    readonly id: string;
    readonly zone: string;
    readonly port: number;
    readonly state: string;
    readonly reason?: string | undefined;
    readonly inFlight: number;
  }[];
  readonly database: DatabaseStatus | undefined;
  readonly storage: StorageStatus | undefined;
  readonly activities: readonly ScalingActivity[];
  readonly asgSummary: string;
  /** The spec's alarms (spec.alarms), as the twin evaluates them on its own metrics. */
  readonly alarms: readonly AlarmSummary[];
}

/** One of the spec's alarms: its state and why, as CloudWatch's DescribeAlarms shows them. */
export interface AlarmSummary {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
  /** Epoch milliseconds of the last state change. */
  readonly since: number;
}

/** Desired capacity is InService and every target healthy: what `up` waits for. */
export function allInServiceAndHealthy(instances: readonly InstanceSummary[], desired: number): boolean {
  const active = instances.filter((i) => i.lifecycle !== 'Terminating');
  return active.length === desired && active.every((i) => i.lifecycle === 'InService' && i.target === 'healthy');
}

export interface DatabaseNodeStatus {
  readonly name: string;
  readonly zone: string;
  /** `stale`: an old primary or lost standby waiting to be rebuilt or removed; `restored`: made by a point-in-time restore. */
  readonly role: 'primary' | 'standby' | 'stale' | 'restored';
  readonly state: 'running' | 'stopped' | 'paused' | 'not answering' | 'zone-out';
  /** A standby's place in the commit policy. */
  readonly sync: 'sync' | 'catching up' | 'async' | 'not streaming' | undefined;
  /** Bytes of WAL the standby has not received yet. */
  readonly lagBytes: number | undefined;
  /** Seconds its replay trails the primary (pg_stat_replication.replay_lag). */
  readonly lagSeconds: number | undefined;
  readonly pid: number | undefined;
  readonly port: number;
  readonly dataDir: string;
}

export interface DatabaseStatus {
  readonly engine: 'postgres';
  readonly version: string;
  /** Which PostgreSQL binaries run the nodes: `system: /usr/lib/postgresql/15/bin` or `npm: …`. */
  readonly binaries: string;
  readonly deployment: 'multi-az-instance' | 'multi-az-cluster' | 'single-az';
  readonly strictSync: boolean;
  /** The writer endpoint, host:port: always the current primary. */
  readonly endpoint: string;
  readonly readerEndpoint: string | undefined;
  readonly writerTarget: string | undefined;
  readonly readerTargets: readonly string[];
  readonly synchronousStandbys: readonly string[];
  /** Strict mode without a synchronous standby: commits are refused. */
  readonly commitsRefused: boolean;
  /** Why the controller waits, when something is wrong that no action can fix yet. */
  readonly waiting: string | undefined;
  readonly lastFailover: { readonly from: string; readonly to: string; readonly ms: number; readonly at: number; readonly planned: boolean } | undefined;
  readonly nodes: readonly DatabaseNodeStatus[];
}

export interface StorageNodeStatus {
  readonly zone: string;
  readonly state: 'running' | 'stopped' | 'not answering' | 'zone-out';
  readonly pid: number | undefined;
  readonly port: number;
  readonly dataDir: string;
  /** Records the node holds (object versions, markers, parts, buckets). */
  readonly records: number | undefined;
  readonly bytes: number | undefined;
  /** Damaged replicas the node found (reads or scrubber) and moved aside since it started. */
  readonly quarantined: number | undefined;
  /** Small commits made durable through the node's journal since it started, the fdatasyncs that took (fewer under load), and how its checkpoints flush files. */
  readonly journal: { readonly commits: number; readonly syncs: number; readonly checkpoint: 'syncfs' | 'fsync' } | undefined;
}

export interface StorageStatus {
  /** The S3 endpoint (AWS_ENDPOINT_URL_S3). */
  readonly endpoint: string;
  readonly replicas: number;
  readonly writeQuorum: number;
  readonly buckets: readonly string[];
  /** Object versions and parts held by fewer nodes than `replicas`, as of the last repair pass. */
  readonly underReplicated: number | undefined;
  readonly lastRepair: { readonly at: number; readonly ms: number; readonly copied: number; readonly failed: number } | undefined;
  readonly nodes: readonly StorageNodeStatus[];
}
