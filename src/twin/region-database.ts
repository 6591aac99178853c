/**
 * The app's database as the region runs it — RDS in miniature. Nodes are real PostgreSQL servers,
 * one per zone, replicating by streaming replication; a controller fails over, rebuilds standbys and
 * keeps the synchronous set; the app connects to a writer endpoint that always leads to the primary
 * (and, for a Multi-AZ DB cluster, a reader endpoint over the standbys). WAL is archived
 * continuously and snapshots are taken daily and on demand, for point-in-time restore.
 */
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSpec } from '../spec/types.ts';
import { realClock, type Clock } from './clock.ts';
import type { EmitEvent } from './events.ts';
import { findPostgresBinaries, reachableFolder, resolveRunAsUser, type PostgresBinaries, type PostgresNode, type ServerSetting } from './db/index.ts';
import { DbEndpoint } from './db/endpoint.ts';
import {
  SnapshotStore,
  archiveSettings,
  checkRestoreTime,
  flushArchive,
  nextAutomatedBackup,
  parseBackupWindow,
  prepareArchiveDir,
  restoreCommand,
  restoreToTime,
  type SnapshotInfo,
} from './db/backups/index.ts';
import { DatabaseController, type FailoverRecord } from './database/controller.ts';
import { rdsError } from './database/errors.ts';
import { readMemory } from './database/memory-file.ts';
import { RdsMetrics } from './database/rds-metrics.ts';
import type { MetricSink } from './monitor/types.ts';
import type { ProcessRegistry } from './reaper/reaper.ts';
import { readOrCreateSecret } from './state-dir.ts';
import type { DatabaseStatus, DatabaseNodeStatus } from './status.ts';

export interface RestoreReport {
  readonly name: string;
  readonly snapshotId: string;
  readonly requestedTime: string;
  /** The last transaction replayed: the restored database holds everything committed up to it. */
  readonly recoveryPoint: string | undefined;
  readonly ms: number;
  readonly url: string;
}

export interface RegionDatabase {
  readonly deployment: ResolvedSpec['database']['deployment'];
  /** DATABASE_URL (and DATABASE_READER_URL for a cluster), for instances and `hastack env`. */
  env(): Record<string, string>;
  status(): DatabaseStatus;
  readonly faults: {
    /** SIGKILL of the primary's whole process group: a crashed host. */
    killPrimary(): string;
    /** SIGSTOP of the primary's process group, SIGCONT after `seconds` if it still runs. */
    hangPrimary(seconds?: number): string;
    killStandby(): string;
  };
  /** Zone outage: the zone's node dies and nothing starts there until zoneBack. */
  zoneOut(zone: string): string | undefined;
  zoneBack(zone: string): void;
  /** RDS "reboot with failover". */
  failover(): Promise<FailoverRecord>;
  snapshot(name?: string): Promise<SnapshotInfo>;
  snapshots(): Promise<readonly SnapshotInfo[]>;
  restore(toTime: string, as?: string): Promise<RestoreReport>;
  /** Resolves once a primary serves through the endpoint and every wanted standby is synchronous. */
  waitUntilReplicated(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RegionDatabaseOptions {
  readonly spec: ResolvedSpec;
  readonly stateDir: string;
  readonly registry?: ProcessRegistry;
  readonly onEvent?: EmitEvent;
  readonly metrics?: MetricSink;
  readonly clock?: Clock;
  /** @default spec.twin.fidelity */
  readonly fidelity?: 'fast' | 'aws';
  /** @default Math.random */
  readonly random?: () => number;
}

const REPLICATION_USER = 'hastack_replicator';

/** RDS failover times, for `--fidelity aws`: 60–120 s for an instance, 20–35 s for a cluster. */
export function awsFailoverDelayMs(deployment: ResolvedSpec['database']['deployment'], random: () => number): number {
  const [lo, hi] = deployment === 'multi-az-cluster' ? [20_000, 35_000] : [60_000, 120_000];
  return Math.round(lo + (hi - lo) * random());
}

/**
 * `<state>/backups`, traversable for the user PostgreSQL runs as; when that user cannot reach the
 * state folder (run as root from a private home), a folder of the OS temp folder named after it,
 * as the nodes' data folders do.
 */
async function backupsFolder(stateDir: string, emit: EmitEvent): Promise<string> {
  const planned = path.join(stateDir, 'backups');
  await mkdir(planned, { recursive: true, mode: 0o711 });
  await chmod(planned, 0o711);
  const runAs = await resolveRunAsUser();
  const dir = await reachableFolder(planned, runAs, { prefix: 'hastack-backups', key: planned });
  if (dir !== planned) {
    await chmod(dir, 0o711);
    emit({ source: 'db', type: 'data-relocated', message: `backups are kept in ${dir} because user ${runAs?.name}, which runs PostgreSQL, cannot enter ${planned}`, data: { dir } });
  }
  return dir;
}

export async function startRegionDatabase(o: RegionDatabaseOptions): Promise<RegionDatabase> {
  const { spec, stateDir } = o;
  const db = spec.database;
  const clock = o.clock ?? realClock;
  const emit: EmitEvent = o.onEvent ?? (() => undefined);
  const binaries: PostgresBinaries = await findPostgresBinaries();
  await mkdir(path.join(stateDir, 'db'), { recursive: true, mode: 0o711 });
  const dbName = spec.name.replace(/-/g, '_');
  // Generated once, kept 0600 in the state folder, never logged.
  const appPassword = readOrCreateSecret(stateDir, 'db-app.password');
  const superuserPassword = readOrCreateSecret(stateDir, 'db-superuser.password');
  const replicationPassword = readOrCreateSecret(stateDir, 'db-replication.password');

  const backupsOn = db.backupRetentionDays > 0;
  const backupsDir = await backupsFolder(stateDir, emit);
  const archiveDir = path.join(backupsDir, 'wal');
  const store = new SnapshotStore({ dir: path.join(backupsDir, 'snapshots'), archiveDir, binaries, stack: spec.name, onEvent: emit });
  if (backupsOn) await prepareArchiveDir(archiveDir);
  const settings: Record<string, ServerSetting> = {
    wal_keep_size: '256MB',
    track_wal_io_timing: true,
    ...db.parameters,
    ...(backupsOn ? archiveSettings(archiveDir) : {}),
  };

  const { probeIntervalMs, probeTimeoutMs, failureThreshold } = spec.twin.database;
  const writer = await DbEndpoint.start({ name: 'writer', port: 0, holdMs: Math.max(5_000, probeIntervalMs * failureThreshold + 3_000), onEvent: emit });
  const reader = db.deployment === 'multi-az-cluster' ? await DbEndpoint.start({ name: 'reader', port: 0, onEvent: emit }) : undefined;
  const fidelity = o.fidelity ?? spec.twin.fidelity;
  const random = o.random ?? Math.random;
  const controller = new DatabaseController({
    deployment: db.deployment,
    strict: db.strictSync,
    zones: spec.twin.zones,
    stateDir,
    binaries,
    settings,
    superuserPassword,
    replication: { user: REPLICATION_USER, password: replicationPassword },
    restoreCommand: backupsOn ? restoreCommand(archiveDir) : undefined,
    probeIntervalMs,
    probeTimeoutMs,
    failureThreshold,
    failoverDelayMs: () => (fidelity === 'aws' ? awsFailoverDelayMs(db.deployment, random) : 0),
    writer,
    reader,
    clock,
    ...(o.registry === undefined ? {} : { registry: o.registry }),
    onEvent: emit,
    onBootstrap: async (primary: PostgresNode) => {
      await primary.createDatabase(dbName, dbName, appPassword);
    },
    memory: readMemory(path.join(stateDir, 'db', 'cluster.json')),
  });

  const url = (port: number) => `postgresql://${dbName}:${encodeURIComponent(appPassword)}@127.0.0.1:${port}/${dbName}?sslmode=disable`;
  const restored = new Map<string, PostgresNode>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  let lastAutomated: Date | undefined;
  let backupTimer: NodeJS.Timeout | undefined;
  let backupInFlight: Promise<void> | undefined;

  const primaryNode = () => {
    const p = controller.primary();
    if (p === undefined || !p.node.running || controller.memory.failover !== undefined) {
      throw rdsError('HASTACK_RDS_NO_PRIMARY', `the database has no running primary right now${controller.waiting === undefined ? '' : ` (${controller.waiting})`}`);
    }
    return p.node;
  };

  const rds: RegionDatabase = {
    deployment: db.deployment,
    env: () => ({ DATABASE_URL: url(writer.port), ...(reader === undefined ? {} : { DATABASE_READER_URL: url(reader.port) }) }),
    status: () => databaseStatus(),
    faults: {
      killPrimary: () => {
        const p = controller.primary();
        if (p === undefined || !p.node.running) return 'no primary is running';
        const pid = p.node.pid;
        p.node.kill('SIGKILL', { group: true });
        return `killed primary ${p.node.name} in ${p.node.zone} (SIGKILL to its processes, postmaster pid ${pid})`;
      },
      hangPrimary: (seconds?: number) => {
        const p = controller.primary();
        if (p === undefined || !p.node.running) return 'no primary is running';
        const pid = p.node.pid;
        p.node.kill('SIGSTOP', { group: true });
        p.paused = true;
        if (seconds !== undefined) {
          const t = setTimeout(() => {
            // Resumes what is left: a fenced node was killed, so there is nothing to wake.
            if (p.node.pid === pid && p.node.kill('SIGCONT', { group: true })) emit({ source: 'fault', type: 'db-resumed', message: `resumed ${p.node.name} (SIGCONT)` });
          }, seconds * 1000);
          t.unref?.();
          timers.push(t);
        }
        return `hung primary ${p.node.name} in ${p.node.zone} (SIGSTOP to its processes, postmaster pid ${pid})${seconds === undefined ? '' : `; SIGCONT in ${seconds} s`}`;
      },
      killStandby: () => {
        const m = controller.memory;
        const name = m.sync.members[0] ?? Object.keys(m.standbys).find((n) => m.standbys[n] === m.epoch);
        const s = name === undefined ? undefined : controller.nodes.get(name);
        if (s === undefined || !s.node.running) return 'no standby is running';
        const pid = s.node.pid;
        s.node.kill('SIGKILL', { group: true });
        return `killed standby ${s.node.name} in ${s.node.zone} (SIGKILL to its processes, postmaster pid ${pid})`;
      },
    },
    zoneOut: (zone) => {
      controller.setZoneAvailable(zone, false);
      const x = controller.nodes.get(controller.nodeName(zone));
      if (x === undefined || !x.node.running) return undefined;
      x.node.kill('SIGKILL', { group: true });
      return x.node.name;
    },
    zoneBack: (zone) => controller.setZoneAvailable(zone, true),
    failover: () => {
      if (db.deployment === 'single-az') return Promise.reject(rdsError('HASTACK_RDS_NO_STANDBY', 'a single-az database has no standby to fail over to'));
      return controller.requestFailover();
    },
    snapshot: async (name) => {
            return store.take(primaryNode(), 'manual', name);
    },
    snapshots: () => store.list(),
    restore: async (toTime, as) => {
      if (!backupsOn) throw rdsError('HASTACK_RDS_BACKUPS_OFF', 'point-in-time restore needs backups, but database.backupRetentionDays is 0');
      if (as !== undefined && (!/^[a-z][a-z0-9-]{0,62}$/.test(as) || restored.has(as))) {
        throw rdsError('HASTACK_RDS_INVALID_NAME', `--as: received ${JSON.stringify(as)}, expected ${restored.has(as) ? 'a name not used yet' : '1–63 lowercase letters, digits or hyphens, starting with a letter'}`, { details: { received: as } });
      }
      // Everything committed so far becomes restorable: the current WAL segment is archived first.
      await flushArchive(primaryNode(), archiveDir, 30_000).catch(() => undefined);
      const target = checkRestoreTime(toTime, await store.restorableWindow(), new Date(clock.now()));
      const name = as ?? `${spec.name}-restored-${restored.size + 1}`;
      const t0 = clock.now();
      const r = await restoreToTime({
        store,
        archiveDir,
        toTime: target,
        name: `restore-${restored.size + 1}`,
        dataDir: path.join(stateDir, 'db', `restore-${name}`, 'data'),
        binaries,
        superuserPassword,
        zone: spec.twin.zones[0]!,
        ...(o.registry === undefined ? {} : { registry: o.registry }),
        onEvent: emit,
      });
      restored.set(name, r.node);
      const report: RestoreReport = {
        name,
        snapshotId: r.snapshotId,
        requestedTime: target.toISOString(),
        recoveryPoint: r.recoveryPoint?.toISOString(),
        ms: clock.now() - t0,
        url: url(r.node.port),
      };
      emit({ source: 'db', type: 'restored', message: `restored ${name} to ${report.requestedTime} from ${r.snapshotId}; recovery point ${report.recoveryPoint ?? 'none (no transaction replayed)'}`, data: { ...report, url: undefined } });
      return report;
    },
    waitUntilReplicated: async (timeoutMs) => {
      const until = Date.now() + timeoutMs;
      const want = db.deployment === 'single-az' ? 0 : db.deployment === 'multi-az-instance' ? 1 : 2;
      for (;;) {
        if (stopped) throw new Error('the database was stopped before it was replicated');
        const m = controller.memory;
        const p = controller.primary();
        if (p?.node.running === true && writer.targets()[0]?.name === p.node.name && m.sync.members.length >= want && m.sync.verified && !m.sync.readOnly) return;
        if (Date.now() >= until) throw new Error(`the database was not replicated within ${timeoutMs} ms (${controller.waiting ?? `${m.sync.members.length} of ${want} synchronous standbys`})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      clearTimeout(backupTimer);
      await backupInFlight?.catch(() => undefined);
      await controller.stop();
      await Promise.all([...restored.values()].map((n) => n.stop({ mode: 'fast' }).catch(() => undefined)));
      await writer.close();
      await reader?.close();
    },
  };

  function databaseStatus(): DatabaseStatus {
    const m = controller.memory;
    const p = controller.primary();
    const replicas = p?.probe.last?.replicas ?? [];
    const nodes: DatabaseNodeStatus[] = [...controller.nodes.values()].map((x) => {
      const isPrimary = x.node.name === m.primary;
      const r = replicas.find((y) => y.name === x.node.name);
      const lagBytes = !isPrimary && p?.probe.last?.lsn !== undefined && x.probe.last?.lsn !== undefined ? Number(p.probe.last.lsn - x.probe.last.lsn) : undefined;
      return {
        name: x.node.name,
        zone: x.node.zone,
        role: isPrimary ? 'primary' : m.standbys[x.node.name] === m.epoch ? 'standby' : 'stale',
        state: !controller.zoneAvailable(x.node.zone) ? 'zone-out' : !x.node.running ? 'stopped' : x.paused ? 'paused' : x.probe.failures > 0 ? 'not answering' : 'running',
        sync: isPrimary ? undefined : m.sync.members.includes(x.node.name) ? (m.sync.verified ? 'sync' : 'catching up') : r === undefined ? 'not streaming' : 'async',
        lagBytes: lagBytes === undefined ? undefined : Math.max(0, lagBytes),
        lagSeconds: r?.replayLagSeconds,
        pid: x.node.pid,
        port: x.node.port,
        dataDir: x.node.paths.dataDir,
      };
    });
    for (const [name, n] of restored) {
      nodes.push({ name, zone: n.zone, role: 'restored', state: n.running ? 'running' : 'stopped', sync: undefined, lagBytes: undefined, lagSeconds: undefined, pid: n.pid, port: n.port, dataDir: n.paths.dataDir });
    }
    const last = controller.failovers.at(-1);
    return {
      engine: 'postgres',
      version: binaries.version,
      binaries: `${binaries.source}: ${binaries.bindir}`,
      deployment: db.deployment,
      strictSync: db.strictSync,
      endpoint: `127.0.0.1:${writer.port}`,
      readerEndpoint: reader === undefined ? undefined : `127.0.0.1:${reader.port}`,
      writerTarget: writer.targets()[0]?.name,
      readerTargets: (reader?.targets() ?? []).map((t) => t.name),
      synchronousStandbys: m.sync.members,
      commitsRefused: controller.commitsRefused,
      waiting: controller.waiting,
      lastFailover: last === undefined ? undefined : { from: last.from, to: last.to, ms: last.ms, at: last.startedAt, planned: last.planned },
      nodes,
    };
  }

  await controller.start();

  // RDS-style metrics every 5 s, from what the probes saw.
  if (o.metrics !== undefined) {
    const metrics = new RdsMetrics(o.metrics, spec.name);
    const t = setInterval(() => {
      const p = controller.primary();
      metrics.publish(p?.node.name, p?.probe.last, clock.now());
    }, 5_000);
    t.unref?.();
    timers.push(t);
  }

  // Automated backups: a first snapshot once the primary is up, then one a day in the backup window;
  // expired ones are pruned at the same time.
  if (backupsOn) {
    const window = parseBackupWindow(db.backupWindow);
    const tick = async () => {
      if (stopped) return;
      try {
        const list = await store.list();
        lastAutomated = list.filter((s) => s.kind === 'automated').map((s) => new Date(s.finishedAt)).sort((a, b) => b.getTime() - a.getTime())[0];
        const now = new Date(clock.now());
        const p = controller.primary();
        if (p?.node.running === true && p.probe.last !== undefined && nextAutomatedBackup(lastAutomated, window, now) <= now) {
          backupInFlight = store.take(p.node, 'automated').then(() => undefined);
          await backupInFlight;
        }
        await store.prune(now, db.backupRetentionDays);
      } catch (e) {
        emit({ source: 'db', type: 'backup-failed', message: `automated backup failed: ${(e as Error).message}` });
      }
      if (!stopped) {
        backupTimer = setTimeout(() => void tick(), 60_000);
        backupTimer.unref?.();
      }
    };
    backupTimer = setTimeout(() => void tick(), 2_000);
    backupTimer.unref?.();
  }
  return rds;
}
