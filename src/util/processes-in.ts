import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Pids of the processes whose working folder is `dir`, from /proc (Linux; an empty list elsewhere).
 * PostgreSQL's server processes all work in their data folder, and each backend makes itself a
 * process-group leader (setsid), so a signal to the postmaster's group misses them; this finds
 * them, even after the postmaster died and they were re-parented.
 */
export function processesIn(dir: string): number[] {
  if (process.platform !== 'linux') return [];
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) === dir) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}
