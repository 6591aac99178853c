/**
 * The Patroni baseline: a one-member etcd and three Patroni members (PostgreSQL 15, synchronous
 * mode, loopback ports, a temp folder cleaned up afterwards, run as the `postgres` OS user when
 * root), behind an endpoint that follows the leader — HAProxy with Patroni's example config
 * (a check of the REST API's /primary, `on-marked-down shutdown-sessions`) when installed, else
 * the twin's DbEndpoint retargeted by polling /primary. And the failover rounds against it: the
 * leader's postmaster (or, with fault `host`, the leader's Patroni and postmaster at once)
 * SIGKILLed under write load, N times.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DbEndpoint } from '../../src/twin/db/endpoint.ts';
import { resolveRunAsUser, type RunAsUser } from '../../src/twin/db/run-as.ts';
import { freePort, waitForPort } from '../../src/util/free-port.ts';
import { startEtcd, type Etcd } from './etcd.ts';
import { haproxyConfig, memberConfig, type PatroniTiming } from './patroni-config.ts';
import { atExit, killPostmaster, running, spawnLogged, stopSpawned, type Spawned } from './processes.ts';
import { runFailoverRounds, type FailoverSystem, type RoundOptions, type RoundResult } from './rounds.ts';

/** Where PostgreSQL 15 lives on Debian; Patroni runs it from there. */
export const PG15_BIN_DIR = '/usr/lib/postgresql/15/bin';

export type EndpointKind = 'haproxy' | 'poll';

/**
 * What a kill takes down: `postmaster` — the leader's postmaster only (Patroni lives on and
 * decides what to do); `host` — the leader's Patroni process group and its postmaster at once, as
 * a crashed machine (its Patroni is started again before the next round, and rejoins).
 */
export type PatroniFault = 'postmaster' | 'host';

export interface PatroniCluster extends FailoverSystem {
  readonly timing: PatroniTiming;
  readonly fault: PatroniFault;
  /** What leads clients to the leader. */
  readonly endpoint: { readonly kind: EndpointKind; readonly describe: string };
  /** Folder of the members' data and logs (removed by stop()). */
  readonly dir: string;
  stop(): Promise<void>;
}

interface Member {
  readonly name: string;
  readonly restPort: number;
  readonly pgPort: number;
  readonly dataDir: string;
  proc: Spawned | undefined;
}

interface ClusterMember {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
}

/** Versions of the tools on PATH, or undefined when Patroni or etcd is missing. */
export function patroniVersions(): { patroni: string; etcd: string; haproxy: string | undefined } | undefined {
  const first = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).split('\n')[0]!.trim();
    } catch {
      return undefined;
    }
  };
  const patroni = first('patroni', ['--version']);
  const etcd = first('etcd', ['--version'])?.replace(/ Version:/, '');
  if (patroni === undefined || etcd === undefined) return undefined;
  const haproxy = first('haproxy', ['-v']);
  const hv = haproxy === undefined ? undefined : /version (\S+)/.exec(haproxy)?.[1];
  return { patroni, etcd, haproxy: haproxy === undefined ? undefined : `HAProxy ${hv ?? haproxy}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string, timeoutMs = 1_000): Promise<{ status: number; body: T | undefined }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  let body: T | undefined;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined;
  }
  return { status: r.status, body };
}

async function ownedFolder(dir: string, runAs: RunAsUser | undefined): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  if (runAs !== undefined) await chown(dir, runAs.uid, runAs.gid);
}

/**
 * Starts etcd, three Patroni members and the endpoint, and resolves once a leader serves writes
 * through the endpoint with a synchronous standby. Throws (after cleaning up) when Patroni or
 * etcd is missing or the cluster does not come up within `bootTimeoutMs`.
 */
export async function startPatroniCluster(o: {
  timing: PatroniTiming;
  endpoint?: 'auto' | EndpointKind;
  /** @default 'postmaster' */
  fault?: PatroniFault;
  bootTimeoutMs?: number;
  onProgress?: (message: string) => void;
}): Promise<PatroniCluster> {
  const versions = patroniVersions();
  if (versions === undefined) throw new Error('patroni and etcd must be on PATH (apt-get install -y patroni etcd-server)');
  const fault = o.fault ?? 'postmaster';
  const kind: EndpointKind = o.endpoint === 'poll' || (o.endpoint !== 'haproxy' && versions.haproxy === undefined) ? 'poll' : 'haproxy';
  const runAs = await resolveRunAsUser();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-patroni-'));
  await chmod(dir, 0o711); // the postgres OS user passes through to its own folders
  const removeDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const superuserPassword = randomBytes(18).toString('base64url');
  const replicationPassword = randomBytes(18).toString('base64url');
  const scope = `hastack-bench-${o.timing.name}-${randomBytes(3).toString('hex')}`;
  let etcd: Etcd | undefined;
  const members: Member[] = [];
  let haproxy: Spawned | undefined;
  let poller: { stop(): Promise<void> } | undefined;
  const removePostmasters = atExit(() => {
    for (const m of members) killPostmaster(m.dataDir);
  });

  const stop = async (): Promise<void> => {
    await poller?.stop();
    if (haproxy !== undefined) await stopSpawned(haproxy, 'SIGTERM', 5_000);
    // Patroni stops its PostgreSQL (fast shutdown) on SIGTERM; whatever is left is killed.
    await Promise.all(members.map(async (m) => (m.proc === undefined ? undefined : stopSpawned(m.proc, 'SIGTERM', 30_000))));
    for (const m of members) killPostmaster(m.dataDir);
    await etcd?.stop();
    removePostmasters();
    await sleep(200);
    for (const m of members) killPostmaster(m.dataDir);
    rmSync(dir, { recursive: true, force: true });
    removeDir();
  };

  try {
    etcd = await startEtcd({ dir, runAs });
    o.onProgress?.(`etcd on ${etcd.clientAddress}`);
    for (const name of ['pg1', 'pg2', 'pg3']) {
      const memberDir = path.join(dir, name);
      await ownedFolder(memberDir, runAs);
      await ownedFolder(path.join(memberDir, 'sock'), runAs);
      const m: Member = { name, restPort: await freePort(), pgPort: await freePort(), dataDir: path.join(memberDir, 'data'), proc: undefined };
      const config = memberConfig({
        scope,
        name,
        timing: o.timing,
        etcd: etcd.clientAddress,
        restPort: m.restPort,
        pgPort: m.pgPort,
        dataDir: m.dataDir,
        socketDir: path.join(memberDir, 'sock'),
        pgpass: path.join(memberDir, 'pgpass'),
        binDir: PG15_BIN_DIR,
        superuserPassword,
        replicationPassword,
      });
      const file = path.join(memberDir, 'patroni.yml');
      await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
      if (runAs !== undefined) await chown(file, runAs.uid, runAs.gid);
      members.push(m);
    }
    const spawnMember = (m: Member) => {
      const memberDir = path.dirname(m.dataDir);
      m.proc = spawnLogged(m.name, 'patroni', [path.join(memberDir, 'patroni.yml')], {
        logFile: path.join(dir, `${m.name}.log`),
        cwd: memberDir,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: memberDir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
        ...(runAs === undefined ? {} : { runAs }),
      });
    };
    for (const m of members) spawnMember(m);
    chmodSync(dir, 0o711);

    const endpointPort = await freePort();
    let describe: string;
    if (kind === 'haproxy') {
      const cfg = path.join(dir, 'haproxy.cfg');
      await writeFile(cfg, haproxyConfig({ port: endpointPort, timing: o.timing, members }));
      haproxy = spawnLogged('haproxy', 'haproxy', ['-db', '-f', cfg], { logFile: path.join(dir, 'haproxy.log'), cwd: dir });
      if (!(await waitForPort(endpointPort, 10_000))) throw new Error(`haproxy did not listen on ${endpointPort}; see ${haproxy.logFile}`);
      const c = o.timing.check;
      describe = `${versions.haproxy ?? 'HAProxy'}, TCP, check OPTIONS /primary every ${c.inter}, fall ${c.fall}, rise ${c.rise}, on-marked-down shutdown-sessions`;
    } else {
      const p = await startPollingEndpoint(members, o.timing, endpointPort);
      poller = p;
      describe = `the twin's DbEndpoint retargeted by polling /primary every ${o.timing.check.inter}, fall ${o.timing.check.fall}`;
    }

    const connectionString = `postgresql://postgres:${superuserPassword}@127.0.0.1:${endpointPort}/postgres`;
    const cluster = async (): Promise<ClusterMember[] | undefined> => {
      for (const m of members) {
        const r = await getJson<{ members?: ClusterMember[] }>(`http://127.0.0.1:${m.restPort}/cluster`).catch(() => undefined);
        if (r?.body?.members !== undefined) return r.body.members;
      }
      return undefined;
    };
    const leaderName = async () => (await cluster())?.find((m) => m.role === 'leader')?.name;
    let lastSeen = 'nothing';
    const healthyNow = async (): Promise<boolean> => {
      const ms = await cluster();
      if (ms === undefined) {
        lastSeen = 'no REST API answered /cluster';
        return false;
      }
      lastSeen = ms.map((m) => `${m.name} ${m.role} ${m.state} lag ${m.lag ?? '-'}`).join(', ');
      const up = (m: ClusterMember) => m.state === 'running' || m.state === 'streaming';
      const leader = ms.find((m) => m.role === 'leader' && up(m));
      const sync = ms.find((m) => m.role === 'sync_standby' && up(m) && (m.lag === 0 || m.lag === undefined));
      if (leader === undefined || sync === undefined || ms.length < members.length || !ms.every(up)) return false;
      const c = new pg.Client({ connectionString, connectionTimeoutMillis: 1_000, query_timeout: 2_000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = await c.query<{ ro: boolean; sync: string }>("SELECT pg_is_in_recovery() AS ro, current_setting('synchronous_standby_names') AS sync");
        lastSeen += `; endpoint: ${r.rows[0]?.ro === false ? 'primary' : 'standby'}, synchronous_standby_names ${JSON.stringify(r.rows[0]?.sync)}`;
        return r.rows[0]?.ro === false && (r.rows[0]?.sync ?? '') !== '';
      } catch (e) {
        lastSeen += `; endpoint: ${(e as Error).message}`;
        return false;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    const waitHealthy = async (timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!(await healthyNow())) {
        if (Date.now() > deadline) throw new Error(`the Patroni cluster (${o.timing.name}) was not healthy within ${timeoutMs} ms: ${lastSeen}; logs in ${dir}`);
        await sleep(250);
      }
    };

    await waitHealthy(o.bootTimeoutMs ?? 180_000);
    o.onProgress?.(`Patroni (${o.timing.name}) up: ${lastSeen}`);
    return {
      timing: o.timing,
      fault,
      endpoint: { kind, describe },
      dir,
      connectionString,
      waitHealthy,
      leader: leaderName,
      killPrimary: async () => {
        const name = await leaderName();
        const m = members.find((x) => x.name === name);
        if (m === undefined) throw new Error(`no leader to kill: ${lastSeen}`);
        const at = Date.now();
        const patroniPid = fault === 'host' && m.proc !== undefined && running(m.proc) ? m.proc.child.pid : undefined;
        if (patroniPid !== undefined) process.kill(-patroniPid, 'SIGKILL');
        const pid = killPostmaster(m.dataDir);
        if (pid === undefined && patroniPid === undefined) throw new Error(`leader ${m.name} has no running postmaster`);
        return {
          killed:
            fault === 'host'
              ? `killed ${m.name}'s host (SIGKILL to Patroni's process group ${patroniPid ?? '-'} and postmaster ${pid ?? '-'})`
              : `killed ${m.name}'s postmaster (SIGKILL to pid ${pid})`,
          at,
        };
      },
      repair: async () => {
        for (const m of members) {
          if (m.proc !== undefined && running(m.proc)) continue;
          if (m.proc !== undefined) await stopSpawned(m.proc, 'SIGKILL');
          killPostmaster(m.dataDir);
          spawnMember(m);
          o.onProgress?.(`started ${m.name}'s Patroni again`);
        }
      },
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/**
 * Without HAProxy: the twin's DbEndpoint, pointed at the member whose REST API answers 200 on
 * /primary, polled at the check interval; after `fall` polls without one it leads nowhere.
 */
async function startPollingEndpoint(members: readonly Member[], timing: PatroniTiming, port: number): Promise<{ stop(): Promise<void> }> {
  const endpoint = await DbEndpoint.start({ name: 'writer', port, holdMs: 5_000 });
  const interMs = /ms$/.test(timing.check.inter) ? Number.parseFloat(timing.check.inter) : Number.parseFloat(timing.check.inter) * 1000;
  let stopped = false;
  let misses = 0;
  const loop = (async () => {
    while (!stopped) {
      const answers = await Promise.all(
        members.map((m) =>
          fetch(`http://127.0.0.1:${m.restPort}/primary`, { method: 'OPTIONS', signal: AbortSignal.timeout(Math.max(500, interMs)) })
            .then((r) => (r.status === 200 ? m : undefined))
            .catch(() => undefined),
        ),
      );
      const primary = answers.find((m) => m !== undefined);
      if (primary !== undefined) {
        misses = 0;
        endpoint.setTargets([{ name: primary.name, port: primary.pgPort }]);
      } else if (++misses >= timing.check.fall) {
        endpoint.setTargets([]);
      }
      await sleep(interMs);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      await endpoint.close();
    },
  };
}

/** A cluster with `timing`, `rounds` leader kills under write load, then the cluster is removed. */
export async function runPatroniFailovers(o: {
  timing: PatroniTiming;
  endpoint?: 'auto' | EndpointKind;
  fault?: PatroniFault;
  rounds: RoundOptions;
  onProgress?: (message: string) => void;
}): Promise<{ results: RoundResult[]; endpoint: string }> {
  const cluster = await startPatroniCluster({
    timing: o.timing,
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    ...(o.fault === undefined ? {} : { fault: o.fault }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
  });
  try {
    const results = await runFailoverRounds(cluster, o.rounds);
    return { results, endpoint: cluster.endpoint.describe };
  } finally {
    await cluster.stop();
  }
}
