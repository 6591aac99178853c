import { S3Client } from '@aws-sdk/client-s3';
import { resolveSpec } from '../../src/spec/index.ts';
import type { StorageConfig } from '../../src/spec/types.ts';
import type { TwinEvent } from '../../src/twin/events.ts';
import { MetricStore } from '../../src/twin/monitor/metric-store.ts';
import { startRegionStorage, type RegionStorage, type RegionStorageOptions } from '../../src/twin/region-storage.ts';
import { guardedStateDir } from './state-dir.ts';

export interface TestStorage {
  readonly storage: RegionStorage;
  readonly events: TwinEvent[];
  readonly metrics: MetricStore;
  readonly stateDir: string;
  /** An SDK client with the twin's endpoint and credentials, default checksum settings. */
  readonly s3: S3Client;
  /** The variables a process needs to reach this store (for awscli and friends). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A region's object store alone (no app fleet), in a temporary state folder. The folder is
 * registered with a reaper of its own (the storage nodes stop with this process by themselves), so
 * a test process killed mid-run leaves nothing behind.
 */
export async function startTestStorage(storage: StorageConfig = {}, opts: Partial<Pick<RegionStorageOptions, 'scrubIntervalMs' | 'repairIntervalMs'>> = {}): Promise<TestStorage> {
  const { dir: stateDir, reaper, remove } = guardedStateDir('hastack-s3-test-');
  const spec = resolveSpec({ name: 'ha', app: { start: { command: 'node' } }, storage }, { configDir: stateDir });
  const events: TwinEvent[] = [];
  const metrics = new MetricStore();
  let region: RegionStorage;
  try {
    region = await startRegionStorage({ spec, stateDir, onEvent: (e) => events.push({ at: Date.now(), ...e }), metrics, port: 0, registry: reaper, ...opts });
  } catch (e) {
    remove();
    throw e;
  }
  const env = { ...region.env(), AWS_REGION: spec.twin.region };
  const s3 = new S3Client({
    endpoint: region.endpoint,
    region: spec.twin.region,
    credentials: region.credentials,
    forcePathStyle: true,
  });
  return {
    storage: region,
    events,
    metrics,
    stateDir,
    s3,
    env,
    close: async () => {
      s3.destroy();
      await region.stop();
      remove();
    },
  };
}
