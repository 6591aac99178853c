import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveSpec } from '../../src/spec/index.ts';
import type { DatabaseConfig } from '../../src/spec/types.ts';
import type { TwinEvent } from '../../src/twin/events.ts';
import { MetricStore } from '../../src/twin/monitor/metric-store.ts';
import { Reaper } from '../../src/twin/reaper/reaper.ts';
import { startRegionDatabase, type RegionDatabase, type RegionDatabaseOptions } from '../../src/twin/region-database.ts';
import { removeStateDir } from './state-dir.ts';

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
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-db-test-'));
  chmodSync(stateDir, 0o711);
  const spec = resolveSpec({ name: 'ha', app: { start: { command: 'node' } }, database }, { configDir: stateDir });
  const events: TwinEvent[] = [];
  const metrics = new MetricStore();
  const reaper = new Reaper();
  reaper.start();
  reaper.addFolder(stateDir);
  let db: RegionDatabase;
  try {
    db = await startRegionDatabase({ spec, stateDir, onEvent: (e) => events.push({ at: Date.now(), ...e }), metrics, registry: reaper, ...opts });
  } catch (e) {
    removeStateDir(stateDir);
    reaper.close();
    throw e;
  }
  const close = async () => {
    await db.stop();
    removeStateDir(stateDir);
    reaper.close();
  };
  try {
    await db.waitUntilReplicated(60_000);
  } catch (e) {
    await close();
    throw e;
  }
  return { db, events, metrics, stateDir, url: db.env()['DATABASE_URL']!, close };
}
