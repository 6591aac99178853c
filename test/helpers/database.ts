import { chmodSync } from 'node:fs';
import { resolveSpec } from '../../src/spec/index.ts';
import type { DatabaseConfig } from '../../src/spec/types.ts';
import type { TwinEvent } from '../../src/twin/events.ts';
import { MetricStore } from '../../src/twin/monitor/metric-store.ts';
import { startRegionDatabase, type RegionDatabase, type RegionDatabaseOptions } from '../../src/twin/region-database.ts';
import { guardedStateDir } from './state-dir.ts';

export interface TestDatabase {
  readonly db: RegionDatabase;
  readonly events: TwinEvent[];
  readonly metrics: MetricStore;
  readonly stateDir: string;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A region's database alone (no app fleet), in a temporary state folder, replicated before it
 * returns. Its PostgreSQL processes and its folder are registered with a reaper of its own, so a
 * test process killed mid-run leaves none of them behind.
 */
export async function startTestDatabase(database: DatabaseConfig = {}, opts: Partial<Pick<RegionDatabaseOptions, 'fidelity' | 'random'>> = {}): Promise<TestDatabase> {
  const { dir: stateDir, reaper, remove } = guardedStateDir('hastack-db-test-');
  chmodSync(stateDir, 0o711);
  const spec = resolveSpec({ name: 'ha', app: { start: { command: 'node' } }, database }, { configDir: stateDir });
  const events: TwinEvent[] = [];
  const metrics = new MetricStore();
  let db: RegionDatabase;
  try {
    db = await startRegionDatabase({ spec, stateDir, onEvent: (e) => events.push({ at: Date.now(), ...e }), metrics, registry: reaper, ...opts });
  } catch (e) {
    remove();
    throw e;
  }
  const close = async () => {
    await db.stop();
    remove();
  };
  try {
    await db.waitUntilReplicated(60_000);
  } catch (e) {
    await close();
    throw e;
  }
  return { db, events, metrics, stateDir, url: db.env()['DATABASE_URL']!, close };
}
