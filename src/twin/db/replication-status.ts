/**
 * Where replication stands, read from the servers: the primary's view of its standbys
 * (pg_stat_replication) and a node's own recovery position. LSNs stay strings as PostgreSQL prints
 * them; compare them with compareLsn.
 */
import { withSuperuser } from './admin-session.ts';
import { dbError } from './errors.ts';
import type { PostgresNode } from './postgres-node.ts';

export interface ReplicationRow {
  /** The standby's application_name (its node name), or `pg_basebackup` while a clone streams. */
  readonly applicationName: string;
  /** `startup`, `catchup`, `streaming`, `backup` or `stopping`. */
  readonly state: string;
  /** `sync`, `potential`, `quorum` or `async`. */
  readonly syncState: string;
  readonly sentLsn: string | null;
  readonly flushLsn: string | null;
  readonly replayLsn: string | null;
}

export interface PrimaryReplication {
  /** The primary's current write position. */
  readonly currentLsn: string;
  /** One row per connected WAL sender, by application name. */
  readonly standbys: readonly ReplicationRow[];
}

export interface StandbyPosition {
  readonly inRecovery: boolean;
  /** Last WAL position received and flushed by streaming; null on a primary or before any was. */
  readonly receiveLsn: string | null;
  /** Last WAL position replayed; null on a primary that never was a standby. */
  readonly replayLsn: string | null;
  /** Commit time of the last transaction replayed; null when none was. */
  readonly replayTimestamp: Date | null;
}

/** The primary's current LSN and its standbys; HASTACK_DB_WRONG_ROLE when the node is a standby. */
export async function readPrimaryReplication(primary: PostgresNode): Promise<PrimaryReplication> {
  return withSuperuser(primary, 'read replication status', async (c) => {
    const head = (
      await c.query<{ rec: boolean; lsn: string | null }>(
        'SELECT pg_is_in_recovery() AS rec, CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn',
      )
    ).rows[0]!;
    if (head.rec || head.lsn === null) {
      throw dbError('HASTACK_DB_WRONG_ROLE', `cannot read the primary's replication status on ${primary.name}: it is a standby`, {
        details: { node: primary.name },
      });
    }
    const rows = await c.query<{ name: string; state: string; sync: string; sent: string | null; flush: string | null; replay: string | null }>(
      `SELECT application_name AS name, state, sync_state AS sync, sent_lsn::text AS sent, flush_lsn::text AS flush, replay_lsn::text AS replay
         FROM pg_stat_replication ORDER BY application_name, pid`,
    );
    return {
      currentLsn: head.lsn,
      standbys: rows.rows.map((r) => ({
        applicationName: r.name,
        state: r.state,
        syncState: r.sync,
        sentLsn: r.sent,
        flushLsn: r.flush,
        replayLsn: r.replay,
      })),
    };
  });
}

/** Whether the node is in recovery and how far it has received and replayed. */
export async function readStandbyPosition(node: PostgresNode): Promise<StandbyPosition> {
  return withSuperuser(node, 'read the standby position', async (c) => {
    const r = (
      await c.query<{ rec: boolean; receive: string | null; replay: string | null; ts: Date | null }>(
        `SELECT pg_is_in_recovery() AS rec, pg_last_wal_receive_lsn()::text AS receive, pg_last_wal_replay_lsn()::text AS replay,
                pg_last_xact_replay_timestamp() AS ts`,
      )
    ).rows[0]!;
    return { inRecovery: r.rec, receiveLsn: r.receive, replayLsn: r.replay, replayTimestamp: r.ts };
  });
}
