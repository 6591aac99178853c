/**
 * The hastack twin's side of the failover benchmark: the region's database as the twin runs it
 * (Multi-AZ instance: a primary and a synchronous standby behind the writer endpoint, default
 * probing), from a minimal stack config in a temp state folder, its primary's postmaster
 * SIGKILLed under write load N times.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSpec } from '../../src/spec/index.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { startRegionDatabase, type RegionDatabase } from '../../src/twin/region-database.ts';
import { atExit } from './processes.ts';
import { runFailoverRounds, type FailoverSystem, type RoundOptions, type RoundResult } from './rounds.ts';

/** The stack the benchmark runs: a name, an app that is never started, every database default. */
export function benchSpec(stateDir: string): ResolvedSpec {
  return resolveSpec({ name: 'failover-bench', app: { start: { command: 'node' } } }, { configDir: stateDir });
}

/** One line describing the twin's database settings, for the report. */
export function describeTwin(spec: ResolvedSpec): string {
  const d = spec.twin.database;
  return (
    `${spec.database.deployment}${spec.database.strictSync ? ' (strict sync)' : ''}, fidelity ${spec.twin.fidelity}; ` +
    `probes every ${d.probeIntervalMs} ms, timeout ${d.probeTimeoutMs} ms, ${d.failureThreshold} failures; writer endpoint`
  );
}

/** Starts the region's database, runs the rounds, stops it and removes its state folder. */
export async function runTwinFailovers(o: { rounds: RoundOptions; onProgress?: (message: string) => void }): Promise<{ results: RoundResult[]; describe: string }> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'hastack-failover-bench-'));
  chmodSync(stateDir, 0o711); // PostgreSQL, run unprivileged under root, passes through
  const removeDir = atExit(() => rmSync(stateDir, { recursive: true, force: true }));
  const spec = benchSpec(stateDir);
  // The servers run detached; should this process die, they go with it.
  const groups = new Set<number>();
  const registry = { add: (pgid: number) => void groups.add(pgid), remove: (pgid: number) => void groups.delete(pgid) };
  const forgetGroups = atExit(() => {
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  let db: RegionDatabase | undefined;
  try {
    db = await startRegionDatabase({ spec, stateDir, registry });
    const d = db;
    const system: FailoverSystem = {
      connectionString: d.env()['DATABASE_URL'] ?? '',
      waitHealthy: (ms) => d.waitUntilReplicated(ms),
      killPrimary: async () => {
        const at = Date.now();
        return { killed: d.faults.killPrimary(), at };
      },
      leader: async () => d.status().nodes.find((n) => n.role === 'primary')?.name,
    };
    o.onProgress?.(`twin database up: ${describeTwin(spec)}`);
    const results = await runFailoverRounds(system, o.rounds);
    return { results, describe: describeTwin(spec) };
  } finally {
    await db?.stop().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    removeDir();
    forgetGroups();
  }
}
