import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeRelocatedFolders } from '../../src/twin/db/relocated.ts';
import { Reaper } from '../../src/twin/reaper/reaper.ts';

/** Removes a twin's state folder and the database folders relocated out of it (as `down --purge` does). */
export function removeStateDir(dir: string): void {
  removeRelocatedFolders(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A temporary state folder guarded by a reaper of its own: should the test process die before
 * remove(), the reaper ends the process groups registered with it and removes the folder.
 */
export function guardedStateDir(prefix: string): { readonly dir: string; readonly reaper: Reaper; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const reaper = new Reaper();
  reaper.start();
  reaper.addFolder(dir);
  return {
    dir,
    reaper,
    remove: () => {
      removeStateDir(dir);
      reaper.close();
    },
  };
}
