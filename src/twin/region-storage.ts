/**
 * The app's object storage as the region runs it — S3 in miniature. One storage node per zone (a
 * process with its own data folder), an S3 endpoint in front that writes every object version to
 * a majority of zones before acknowledging it, anti-entropy repair that brings a returning node up
 * to date, and a scrubber on each node that finds damaged replicas. The app and `hastack env` get
 * the endpoint and the twin's own credentials through the standard AWS variables.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedSpec } from '../spec/types.ts';
export type { S3Credentials } from './storage/credentials.ts';
import type { EmitEvent } from './events.ts';
import type { MetricSink } from './monitor/types.ts';
import type { ProcessRegistry } from './reaper/reaper.ts';
import { BucketRegistry } from './s3/gateway/bucket-registry.ts';
import { S3Gateway } from './s3/gateway/server.ts';
import { StorageCluster, type ClusterMember } from './storage/cluster.ts';
import { readOrCreateCredentials, type S3Credentials } from './storage/credentials.ts';
import { NodeClient } from './storage/node-client.ts';
import { startStorageNode, type StorageNodeProcess } from './storage/node/launch.ts';
import type { NodeHealth } from './storage/node/protocol.ts';
import { Repairer, type RepairPass } from './storage/repairer.ts';
import { SeqClock } from './storage/seq-clock.ts';
import { readOrCreateSecret } from './state-dir.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';
import type { StorageStatus } from './status.ts';

export interface RegionStorage {
  readonly endpoint: string;
  readonly credentials: S3Credentials;
  /** AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and BUCKET_<NAME> per bucket. */
  env(): Record<string, string>;
  status(): StorageStatus;
  /** SIGKILL of one zone's storage node (the first running one when no zone is given); it is restarted after a second. */
  killNode(zone?: string): string;
  /** Zone outage: the node dies and stays down until zoneBack. */
  zoneOut(zone: string): string | undefined;
  zoneBack(zone: string): Promise<void>;
  /** One anti-entropy pass now. */
  repair(): Promise<RepairPass>;
  /** Resolves once every node runs and a repair pass found nothing under-replicated. */
  waitUntilReplicated(timeoutMs: number): Promise<void>;
  readonly nodeDataDirs: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

export interface RegionStorageOptions {
  readonly spec: ResolvedSpec;
  readonly stateDir: string;
  readonly registry?: ProcessRegistry;
  readonly onEvent?: EmitEvent;
  readonly metrics?: MetricSink;
  /** Overrides spec.twin.storage.port. */
  readonly port?: number;
  /** Overrides spec.twin.storage.scrubIntervalSeconds (tests use short ones). */
  readonly scrubIntervalMs?: number;
  readonly repairIntervalMs?: number;
}

const RESTART_DELAY_MS = 1000;
const HEALTH_POLL_MS = 1000;

interface NodeSlot {
  readonly zone: string;
  readonly dataDir: string;
  process: StorageNodeProcess | undefined;
  client: NodeClient | undefined;
  port: number;
  out: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  health: NodeHealth | undefined;
}

export async function startRegionStorage(o: RegionStorageOptions): Promise<RegionStorage> {
  const { spec } = o;
  const emit: EmitEvent = o.onEvent ?? (() => undefined);
  const dir = path.join(o.stateDir, 'storage');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const credentials = readOrCreateCredentials(dir);
  const token = readOrCreateSecret(dir, 'node.token', 32);
  const tokenFile = path.join(dir, 'node.token');
  const zones = spec.twin.zones.slice(0, spec.storage.replicas);
  const scrubIntervalMs = o.scrubIntervalMs ?? spec.twin.storage.scrubIntervalSeconds * 1000;
  let stopping = false;

  const slots: NodeSlot[] = zones.map((zone) => ({ zone, dataDir: path.join(dir, zone), process: undefined, client: undefined, port: 0, out: false, restartTimer: undefined, health: undefined }));

  const launch = async (slot: NodeSlot): Promise<void> => {
    const start = (port: number) =>
      startStorageNode({
        dataDir: slot.dataDir,
        zone: slot.zone,
        tokenFile,
        port,
        logFile: path.join(dir, `${slot.zone}.log`),
        scrubIntervalMs,
        ...(o.registry === undefined ? {} : { registry: o.registry }),
      });
    let p: StorageNodeProcess;
    try {
      p = await start(slot.port);
    } catch (e) {
      if (slot.port === 0) throw e;
      p = await start(0); // its old port was taken meanwhile
    }
    if (p.port !== slot.port || slot.client === undefined) {
      slot.client?.close();
      slot.client = new NodeClient({ url: p.url, token, zone: slot.zone });
      slot.port = p.port;
    }
    slot.process = p;
    cluster.markUp(slot.zone);
    void p.exited.then((code) => {
      if (slot.process !== p) return;
      slot.process = undefined;
      slot.health = undefined;
      cluster.markDown(slot.zone);
      if (stopping || slot.out) return;
      emit({ source: 'storage', type: 'storage-node-exited', message: `storage node in ${slot.zone} (pid ${p.pid}) exited (${code === null ? 'killed by a signal' : `code ${code}`}); restarting it in ${RESTART_DELAY_MS / 1000} s` });
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (stopping || slot.out || slot.process !== undefined) return;
        launch(slot).then(
          () => emit({ source: 'storage', type: 'storage-node-started', message: `storage node in ${slot.zone} restarted (pid ${slot.process?.pid})` }),
          (e: unknown) => emit({ source: 'storage', type: 'storage-node-failed', message: `storage node in ${slot.zone} failed to restart: ${(e as Error).message}` }),
        );
      }, RESTART_DELAY_MS);
    });
  };

  const cluster = new StorageCluster({
    members: () => slots.filter((s) => s.client !== undefined).map((s): ClusterMember => ({ zone: s.zone, client: s.client! })),
    writeQuorum: spec.storage.writeQuorum,
  });

  const started = await Promise.allSettled(slots.map((s) => launch(s)));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    stopping = true;
    await Promise.allSettled(slots.map((s) => s.process?.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }

  const clock = new SeqClock();
  const buckets = new BucketRegistry(cluster, clock);
  await buckets.load();
  for (const b of spec.storage.buckets) {
    const { created } = await buckets.create(b.name, b.versioned ? 'Enabled' : undefined);
    if (created) emit({ source: 'storage', type: 'bucket-created', message: `bucket ${b.name} created${b.versioned ? ' with versioning enabled' : ''}` });
  }

  const region = spec.twin.region;
  const metricDims = (operation: string) => ({ BucketName: 'all', FilterId: 'EntireBucket', Operation: operation });
  const gateway = await S3Gateway.start({
    parts: {
      cluster,
      buckets,
      clock,
      region,
      owner: { id: `${credentials.accessKeyId.toLowerCase()}${'0'.repeat(44)}`.slice(0, 64), displayName: 'hastack' },
      maxObjectBytes: 5 * 1024 ** 3,
      minPartBytes: 5 * 1024 ** 2,
      writeLocks: new KeyedMutex(),
    },
    credentials,
    port: o.port ?? spec.twin.storage.port,
    onEvent: emit,
    ...(o.metrics === undefined
      ? {}
      : {
          onRequest: (r) => {
            const now = Date.now();
            const put = (name: string, value: number, unit: 'Count' | 'Bytes' | 'Milliseconds') =>
              o.metrics!.put({ namespace: 'AWS/S3', name, dimensions: metricDims('all'), value, unit, timestamp: now });
            put('AllRequests', 1, 'Count');
            if (r.status >= 400 && r.status < 500) put('4xxErrors', 1, 'Count');
            if (r.status >= 500) put('5xxErrors', 1, 'Count');
            put('TotalRequestLatency', r.ms, 'Milliseconds');
            if (r.bytesIn > 0) put('BytesUploaded', r.bytesIn, 'Bytes');
            if (r.bytesOut > 0) put('BytesDownloaded', r.bytesOut, 'Bytes');
          },
        }),
  });

  const repairer = new Repairer({ cluster, replicas: zones.length, intervalMs: o.repairIntervalMs ?? spec.twin.storage.repairIntervalSeconds * 1000, onEvent: emit });
  repairer.start();

  const healthTimer = setInterval(() => {
    for (const s of slots) {
      if (s.process === undefined || s.client === undefined) continue;
      // The probe also settles what requests suspected: a node that answers is up again.
      s.client.health().then(
        (h) => {
          s.health = h;
          cluster.markUp(s.zone);
        },
        () => cluster.markDown(s.zone),
      );
    }
  }, HEALTH_POLL_MS);
  healthTimer.unref();

  const slotOf = (zone: string): NodeSlot | undefined => slots.find((s) => s.zone === zone);

  const storage: RegionStorage = {
    endpoint: gateway.url,
    credentials,
    nodeDataDirs: new Map(slots.map((s) => [s.zone, s.dataDir])),
    env: () => ({
      AWS_ENDPOINT_URL_S3: gateway.url,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...Object.fromEntries(spec.storage.buckets.map((b) => [b.envName, b.name])),
    }),
    status: (): StorageStatus => {
      const pass = repairer.lastPass;
      return {
        endpoint: gateway.url,
        replicas: zones.length,
        writeQuorum: spec.storage.writeQuorum,
        buckets: buckets.list().map((b) => b.bucket),
        underReplicated: pass?.underReplicated,
        lastRepair: pass === undefined ? undefined : { at: pass.at, ms: pass.ms, copied: pass.copied, failed: pass.failed },
        nodes: slots.map((s) => ({
          zone: s.zone,
          state: s.out ? 'zone-out' : s.process === undefined ? 'stopped' : cluster.isSuspect(s.zone) ? 'not answering' : 'running',
          pid: s.process?.pid,
          port: s.port,
          dataDir: s.dataDir,
          records: s.health?.records,
          bytes: s.health?.bytes,
          quarantined: s.health?.quarantined,
          journal: s.health?.journal,
        })),
      };
    },
    killNode: (zone?: string) => {
      const slot = zone === undefined ? slots.find((s) => s.process !== undefined) : slotOf(zone);
      if (slot?.process === undefined) return zone === undefined ? 'no storage node is running' : `no storage node runs in ${zone}`;
      const pid = slot.process.pid;
      slot.process.kill('SIGKILL');
      return `killed storage node in ${slot.zone} (SIGKILL to pid ${pid})`;
    },
    zoneOut: (zone: string) => {
      const slot = slotOf(zone);
      if (slot === undefined) return undefined;
      slot.out = true;
      clearTimeout(slot.restartTimer);
      if (slot.process === undefined) return `storage node in ${zone} was not running`;
      const pid = slot.process.pid;
      slot.process.kill('SIGKILL');
      return `killed storage node in ${zone} (pid ${pid})`;
    },
    zoneBack: async (zone: string) => {
      const slot = slotOf(zone);
      if (slot === undefined || !slot.out) return;
      slot.out = false;
      await slot.process?.exited;
      if (slot.process === undefined) await launch(slot);
      void repairer.pass().catch(() => undefined);
    },
    repair: () => repairer.pass(),
    waitUntilReplicated: async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = slots.every((s) => s.process !== undefined);
        const pass = running ? await repairer.pass().catch(() => undefined) : undefined;
        if (pass !== undefined && pass.underReplicated === 0 && pass.failed === 0 && pass.unreachable.length === 0) return;
        if (Date.now() > deadline) throw new Error(`storage still under-replicated after ${timeoutMs} ms (${pass?.underReplicated ?? 'unknown'} records)`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: async () => {
      stopping = true;
      clearInterval(healthTimer);
      for (const s of slots) clearTimeout(s.restartTimer);
      await repairer.stop();
      await gateway.close();
      await Promise.allSettled(slots.map((s) => s.process?.stop()));
      for (const s of slots) s.client?.close();
    },
  };
  return storage;
}
