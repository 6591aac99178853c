/**
 * Patroni's settings for the benchmark (pure): the two timing variants compared, and one member's
 * configuration file. JSON is YAML, so the file is written as JSON.
 */

/** The Patroni timing knobs that decide how fast a dead primary is noticed and replaced. */
export interface PatroniTiming {
  /** Short name used in tables, e.g. `default`. */
  readonly name: string;
  /** Leader lock lifetime, seconds. */
  readonly ttl: number;
  /** Seconds between two runs of the HA loop. */
  readonly loopWait: number;
  /** Seconds before DCS and PostgreSQL operations are retried no more. */
  readonly retryTimeout: number;
  /** HAProxy's check of the REST API's /primary: interval, failures to mark down, successes to mark up. */
  readonly check: { readonly inter: string; readonly fall: number; readonly rise: number };
  /** One line for the report (Patroni's settings; the endpoint describes its own). */
  readonly describe: string;
}

/** Patroni's own defaults, with HAProxy as in Patroni's example haproxy.cfg. */
export const PATRONI_DEFAULT: PatroniTiming = {
  name: 'default',
  ttl: 30,
  loopWait: 10,
  retryTimeout: 10,
  check: { inter: '3s', fall: 3, rise: 2 },
  describe: 'ttl 30, loop_wait 10, retry_timeout 10 (Patroni defaults)',
};

/**
 * Tuned to the twin's probing (500 ms probes, 3 failures ≈ 1.5 s) as far as Patroni goes:
 * loop_wait 1 (whole seconds only); retry_timeout 2, because with etcd Patroni refuses to take
 * the leader lock when less than 1 s of the retry deadline is left after refreshing its lease, so
 * retry_timeout 1 never fails over; ttl 5 = loop_wait + 2 × retry_timeout, Patroni's own rule.
 * HAProxy checks every 500 ms, fall 3.
 */
export const PATRONI_TUNED: PatroniTiming = {
  name: 'tuned',
  ttl: 5,
  loopWait: 1,
  retryTimeout: 2,
  check: { inter: '500ms', fall: 3, rise: 2 },
  describe: 'ttl 5, loop_wait 1, retry_timeout 2 (retry_timeout 1 never takes the leader lock with etcd; ttl = loop_wait + 2 × retry_timeout)',
};

export interface MemberConfigInput {
  readonly scope: string;
  readonly name: string;
  readonly timing: PatroniTiming;
  readonly etcd: string;
  readonly restPort: number;
  readonly pgPort: number;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly pgpass: string;
  readonly binDir: string;
  readonly superuserPassword: string;
  readonly replicationPassword: string;
}

/** One member's Patroni configuration: synchronous mode, loopback only, password auth. */
export function memberConfig(i: MemberConfigInput): Record<string, unknown> {
  const superuser = { username: 'postgres', password: i.superuserPassword };
  return {
    scope: i.scope,
    namespace: '/hastack-bench/',
    name: i.name,
    restapi: { listen: `127.0.0.1:${i.restPort}`, connect_address: `127.0.0.1:${i.restPort}` },
    etcd3: { hosts: [i.etcd] },
    bootstrap: {
      dcs: {
        ttl: i.timing.ttl,
        loop_wait: i.timing.loopWait,
        retry_timeout: i.timing.retryTimeout,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: true,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 10, max_replication_slots: 10, wal_log_hints: 'on' },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
    },
    postgresql: {
      listen: `127.0.0.1:${i.pgPort}`,
      connect_address: `127.0.0.1:${i.pgPort}`,
      data_dir: i.dataDir,
      bin_dir: i.binDir,
      pgpass: i.pgpass,
      authentication: { superuser, replication: { username: 'replicator', password: i.replicationPassword }, rewind: superuser },
      parameters: { unix_socket_directories: i.socketDir, shared_buffers: '32MB', max_connections: 100 },
      pg_hba: [
        'local all all scram-sha-256',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

/** HAProxy in front of the members, after Patroni's example haproxy.cfg (TCP, /primary check). */
export function haproxyConfig(o: { port: number; timing: PatroniTiming; members: readonly { name: string; pgPort: number; restPort: number }[] }): string {
  const c = o.timing.check;
  return [
    'global',
    '    maxconn 100',
    '',
    'defaults',
    '    mode tcp',
    '    retries 2',
    '    timeout client 30m',
    '    timeout connect 4s',
    '    timeout server 30m',
    '    timeout check 5s',
    '',
    'listen primary',
    `    bind 127.0.0.1:${o.port}`,
    '    option httpchk OPTIONS /primary',
    '    http-check expect status 200',
    `    default-server inter ${c.inter} fall ${c.fall} rise ${c.rise} on-marked-down shutdown-sessions`,
    ...o.members.map((m) => `    server ${m.name} 127.0.0.1:${m.pgPort} maxconn 100 check port ${m.restPort}`),
    '',
  ].join('\n');
}
