import { rmSync } from 'node:fs';
import { removeRelocatedFolders } from '../../src/twin/db/relocated.ts';

/** Removes a twin's state folder and the database folders relocated out of it (as `down --purge` does). */
export function removeStateDir(dir: string): void {
  removeRelocatedFolders(dir);
  rmSync(dir, { recursive: true, force: true });
}
