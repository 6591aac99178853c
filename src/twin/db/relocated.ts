/**
 * Folders moved under the OS temp folder because the user PostgreSQL runs as could not reach the
 * planned ones (see reachableFolder in node-layout.ts). Each carries a marker naming the path it
 * stands for, so purging a twin's state folder also removes the folders that belong to it.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const RELOCATION_MARKER = '.hastack-planned';
const RELOCATED_NAME = /^hastack-(db|backups)-[0-9a-f]+$/;

/** Records in a relocated folder which planned path it stands for. */
export async function markRelocation(folder: string, planned: string): Promise<void> {
  await writeFile(path.join(folder, RELOCATION_MARKER), path.resolve(planned), { mode: 0o644 });
}

/** Removes every relocated folder that stands for a path inside `stateDir`; returns what it removed. */
export function removeRelocatedFolders(stateDir: string): string[] {
  const inside = path.resolve(stateDir) + path.sep;
  const removed: string[] = [];
  for (const name of readdirSync(os.tmpdir())) {
    if (!RELOCATED_NAME.test(name)) continue;
    const folder = path.join(os.tmpdir(), name);
    let planned: string;
    try {
      planned = readFileSync(path.join(folder, RELOCATION_MARKER), 'utf8');
    } catch {
      continue; // not ours to judge: no marker
    }
    if (!planned.startsWith(inside)) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}
