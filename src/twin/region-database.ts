import path from 'node:path';
import type { ResolvedSpec } from '../spec/types.ts';
import type { EmitEvent } from './events.ts';
import { findPostgresBinaries, PostgresNode, type PostgresBinaries } from './db/index.ts';
import type { ProcessRegistry } from './reaper/reaper.ts';
import { readOrCreateSecret } from './state-dir.ts';
import type { DatabaseStatus } from './status.ts';

/** The app's database as the region runs it: one PostgreSQL node in the first zone (single-AZ). */
export interface RegionDatabase {
  readonly zone: string;
  /** DATABASE_URL and friends, for instances and `hastack env`. */
  env(): Record<string, string>;
  status(): DatabaseStatus;
  /** The node dies at once (zone outage, fault drill). */
  kill(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRegionDatabase(o: { spec: ResolvedSpec; stateDir: string; registry: ProcessRegistry; onEvent: EmitEvent }): Promise<RegionDatabase> {
  const binaries: PostgresBinaries = await findPostgresBinaries();
  const zone = o.spec.twin.zones[0]!;
  const node = new PostgresNode({
    name: 'db-a',
    zone,
    dataDir: path.join(o.stateDir, 'db', 'db-a', 'data'),
    binaries,
    onEvent: o.onEvent,
    registry: o.registry,
  });
  await node.init();
  await node.start();
  const dbName = o.spec.name.replace(/-/g, '_');
  // Generated once, kept 0600 in the state folder, never logged.
  const password = readOrCreateSecret(o.stateDir, 'db-app.password');
  const app = await node.createDatabase(dbName, dbName, password);
  return {
    zone,
    env: () => ({ DATABASE_URL: app.connectionString }),
    status: () => ({
      engine: 'postgres',
      version: binaries.version,
      binaries: `${binaries.source}: ${binaries.bindir}`,
      endpoint: `127.0.0.1:${node.port}`,
      nodes: [{ name: node.name, zone, role: 'primary', state: node.running ? 'running' : 'stopped', pid: node.pid, port: node.port, dataDir: node.paths.dataDir }],
    }),
    kill: () => {
      node.kill('SIGKILL', { group: true });
    },
    restart: async () => {
      if (node.running) return;
      await node.waitForExit().catch(() => undefined);
      await node.start();
      o.onEvent({ source: 'db', type: 'node-restarted', message: `database node ${node.name} in ${zone} is back` });
    },
    stop: async () => {
      await node.stop({ mode: 'fast' });
    },
  };
}
