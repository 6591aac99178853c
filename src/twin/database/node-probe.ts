/**
 * Probes one database node the way Patroni's HA loop and the RDS monitoring agent do: a query on a
 * kept-open connection, with a timeout, every interval. A probe that times out (a paused server)
 * or fails (a dead one) counts as a failure; the connection is then thrown away and opened afresh
 * at the next probe. The last good answer is kept for the controller and for RDS-style metrics.
 */
import pg from 'pg';
import { lsnToBigInt } from '../db/index.ts';

export interface ProbeReplica {
  readonly name: string;
  readonly state: string;
  readonly syncState: string;
  readonly flushLsn: bigint | undefined;
  /** Seconds the standby's replay trails the primary (pg_stat_replication.replay_lag). */
  readonly replayLagSeconds: number;
}

export interface ProbeAnswer {
  readonly at: number;
  readonly inRecovery: boolean;
  /** Received WAL on a standby, written WAL on a primary. */
  readonly lsn: bigint | undefined;
  readonly replicas: readonly ProbeReplica[];
  /** Client backends connected. */
  readonly connections: number;
  /** Transactions committed since the server started (pg_stat_database, every database). */
  readonly commits: number;
  /** WAL syncs and the milliseconds they took (pg_stat_wal; 0 where unavailable). */
  readonly walSyncs: number;
  readonly walSyncMs: number;
  /** Seconds since the last replayed transaction on a standby, 0 on a primary. */
  readonly replayDelaySeconds: number;
}

const QUERY = `
SELECT pg_is_in_recovery() AS recovery,
  CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text
       ELSE pg_current_wal_lsn()::text END AS lsn,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
  (SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database)::float8 AS commits,
  (SELECT coalesce(json_agg(json_build_object('name', application_name, 'state', state, 'sync', sync_state,
     'flush', flush_lsn::text, 'lag', coalesce(extract(epoch FROM replay_lag), 0))), '[]'::json) FROM pg_stat_replication) AS replicas,
  CASE WHEN pg_is_in_recovery() AND pg_last_xact_replay_timestamp() IS NOT NULL
       THEN greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))::float8 ELSE 0 END AS delay`;
const WAL_QUERY = 'SELECT wal_sync::float8 AS syncs, wal_sync_time::float8 AS ms FROM pg_stat_wal';

export class NodeProbe {
  #client: pg.Client | undefined;
  #failures = 0;
  #last: ProbeAnswer | undefined;
  #walStats = true;

  constructor(
    private readonly config: () => pg.ClientConfig,
    private readonly timeoutMs: number,
  ) {}

  get failures(): number {
    return this.#failures;
  }

  /** The last successful answer since the node (re)started; undefined before one. */
  get last(): ProbeAnswer | undefined {
    return this.#last;
  }

  /** Forget everything: the node's process was (re)started or replaced. */
  reset(): void {
    this.#drop();
    this.#failures = 0;
    this.#last = undefined;
  }

  /** Counts a failure without asking (the process is known to be gone). */
  markDown(): void {
    this.#drop();
    this.#failures += 1;
  }

  async probe(now: () => number): Promise<ProbeAnswer | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.#ask(now),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      this.#failures = 0;
      this.#last = answer;
      return answer;
    } catch {
      this.#drop();
      this.#failures += 1;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async #ask(now: () => number): Promise<ProbeAnswer> {
    if (this.#client === undefined) {
      const c = new pg.Client({ ...this.config(), connectionTimeoutMillis: this.timeoutMs, application_name: 'hastack-probe' });
      c.on('error', () => undefined);
      this.#client = c;
      await c.connect();
    }
    const c = this.#client;
    const r = (await c.query(QUERY)).rows[0] as { recovery: boolean; lsn: string | null; connections: number; commits: number; replicas: { name: string; state: string; sync: string; flush: string | null; lag: number }[]; delay: number };
    let walSyncs = 0;
    let walSyncMs = 0;
    if (this.#walStats) {
      try {
        const w = (await c.query(WAL_QUERY)).rows[0] as { syncs: number; ms: number };
        walSyncs = w.syncs;
        walSyncMs = w.ms;
      } catch {
        this.#walStats = false;
      }
    }
    return {
      at: now(),
      inRecovery: r.recovery,
      lsn: r.lsn === null ? undefined : lsnToBigInt(r.lsn),
      replicas: r.replicas.map((x) => ({ name: x.name, state: x.state, syncState: x.sync, flushLsn: x.flush === null ? undefined : lsnToBigInt(x.flush), replayLagSeconds: Number(x.lag) })),
      connections: r.connections,
      commits: r.commits,
      walSyncs,
      walSyncMs,
      replayDelaySeconds: Number(r.delay),
    };
  }

  #drop(): void {
    const c = this.#client;
    this.#client = undefined;
    if (c !== undefined) {
      // end() would wait for a reply a paused server never sends; destroy the socket instead.
      (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      void c.end().catch(() => undefined);
    }
  }

  close(): void {
    this.#drop();
  }
}
