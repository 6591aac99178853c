/**
 * RDS-style metrics from the controller's probes: DatabaseConnections, CommitThroughput and
 * WriteLatency of the primary, ReplicaLag of the standbys (the largest), published under AWS/RDS
 * with the DBInstanceIdentifier dimension, as CloudWatch has them.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
 */
import type { MetricSink } from '../monitor/types.ts';
import type { ProbeAnswer } from './node-probe.ts';

export class RdsMetrics {
  #prev: { at: number; commits: number; syncs: number; syncMs: number; node: string } | undefined;

  constructor(
    private readonly sink: MetricSink,
    private readonly instanceId: string,
  ) {}

  publish(primaryName: string | undefined, primary: ProbeAnswer | undefined, now: number): void {
    const dims = { DBInstanceIdentifier: this.instanceId };
    const put = (name: string, value: number, unit: 'Count' | 'Count/Second' | 'Seconds') =>
      this.sink.put({ namespace: 'AWS/RDS', name, dimensions: dims, value, unit, timestamp: now });
    if (primary !== undefined && primaryName !== undefined) {
      put('DatabaseConnections', primary.connections, 'Count');
      const prev = this.#prev;
      if (prev !== undefined && prev.node === primaryName && primary.at > prev.at && primary.commits >= prev.commits) {
        const seconds = (primary.at - prev.at) / 1000;
        put('CommitThroughput', (primary.commits - prev.commits) / seconds, 'Count/Second');
        const syncs = primary.walSyncs - prev.syncs;
        if (syncs > 0) put('WriteLatency', (primary.walSyncMs - prev.syncMs) / syncs / 1000, 'Seconds');
      }
      this.#prev = { at: primary.at, commits: primary.commits, syncs: primary.walSyncs, syncMs: primary.walSyncMs, node: primaryName };
    }
    const lags = primary?.replicas.map((r) => r.replayLagSeconds) ?? [];
    if (lags.length > 0) put('ReplicaLag', Math.max(...lags), 'Seconds');
  }
}
