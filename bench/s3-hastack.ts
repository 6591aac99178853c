/**
 * The S3 benchmark's hastack store, in its own process: the region's object store (one storage
 * node process per zone, the S3 gateway in this process) in the given state folder. Prints one
 * JSON line — endpoint, credentials, region, the storage nodes' pids — then serves until SIGTERM,
 * SIGINT or its parent going away, and stops the store. A reaper ends the storage nodes even if
 * this process is killed outright.
 *
 *   node --import tsx bench/s3-hastack.ts <state folder>
 */
import { resolveSpec } from '../src/spec/index.ts';
import { startRegionStorage } from '../src/twin/region-storage.ts';
import { Reaper } from '../src/twin/reaper/reaper.ts';

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  if (stateDir === undefined) throw new Error('usage: s3-hastack.ts <state folder>');
  const spec = resolveSpec({ name: 'bench', app: { start: { command: 'node' } }, storage: {} }, { configDir: stateDir });
  const reaper = new Reaper();
  reaper.start();
  const storage = await startRegionStorage({ spec, stateDir, registry: reaper, port: 0 });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    storage.stop().finally(() => {
      reaper.close();
      // A normal exit, so that --cpu-prof writes its profile.
      process.exit(0);
    });
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, stop);
  process.on('disconnect', stop);
  const nodePids = storage.status().nodes.map((n) => n.pid).filter((p): p is number => p !== undefined);
  process.stdout.write(`${JSON.stringify({ endpoint: storage.endpoint, ...storage.credentials, region: spec.twin.region, nodePids })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`hastack store failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
