/**
 * A one-member etcd on loopback, the store Patroni keeps its leader lock in. Default timing
 * (100 ms heartbeat, 1 s election timeout); run as the PostgreSQL OS user when root.
 */
import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../src/util/free-port.ts';
import type { RunAsUser } from '../../src/twin/db/run-as.ts';
import { running, spawnLogged, stopSpawned, type Spawned } from './processes.ts';

export interface Etcd {
  /** `127.0.0.1:port` of the client API. */
  readonly clientAddress: string;
  stop(): Promise<void>;
}

export async function startEtcd(o: { dir: string; runAs: RunAsUser | undefined }): Promise<Etcd> {
  const dataDir = path.join(o.dir, 'etcd');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (o.runAs !== undefined) await chown(dataDir, o.runAs.uid, o.runAs.gid);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc: Spawned = spawnLogged(
    'etcd',
    'etcd',
    [
      '--name', 'e1',
      '--data-dir', dataDir,
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `e1=${peer}`,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `hastack-bench-${clientPort}`,
      '--log-level', 'warn',
    ],
    { logFile: path.join(o.dir, 'etcd.log'), cwd: o.dir, ...(o.runAs === undefined ? {} : { runAs: o.runAs }) },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running(proc)) throw new Error(`etcd exited while starting; see ${proc.logFile}`);
    const healthy = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) })
      .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await stopSpawned(proc, 'SIGKILL');
      throw new Error(`etcd did not become healthy within 30 s; see ${proc.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { clientAddress: `127.0.0.1:${clientPort}`, stop: () => stopSpawned(proc, 'SIGTERM', 10_000) };
}
