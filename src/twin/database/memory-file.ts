/**
 * The database controller's memory on disk (`<state>/db/cluster.json`): which node is primary, its
 * generation, which standbys follow it and which are synchronous. Written atomically after every
 * change, so a restarted twin resumes the same primary instead of guessing.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { ClusterMemory } from './decide.ts';

export const EMPTY_MEMORY: ClusterMemory = {
  epoch: 0,
  primary: undefined,
  standbys: {},
  sync: { members: [], verified: true, readOnly: false },
  failover: undefined,
};

export function readMemory(file: string): ClusterMemory {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return EMPTY_MEMORY;
  }
  const m = JSON.parse(raw, (k, v: unknown) => (k === 'verifyFromLsn' && typeof v === 'string' ? BigInt(v) : v)) as ClusterMemory;
  // A failover cut short by a stop is finished by the next controller from scratch.
  return { ...EMPTY_MEMORY, ...m, failover: undefined };
}

export async function writeMemory(file: string, m: ClusterMemory): Promise<void> {
  const text = JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  await writeFile(`${file}.tmp`, text + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
