/**
 * Making many files durable at once. An fsync per file costs a filesystem journal commit each;
 * syncfs(2) flushes every dirty file and folder of one filesystem in a single commit, about ten
 * times less CPU for thousands of small files. Node has no binding for syncfs, so it is reached
 * through `sync --file-system` (GNU coreutils, Linux); where that tool is missing or refuses the
 * option, the files and folders are fsynced one by one instead.
 */
import { execFile } from 'node:child_process';
import { fsyncPath } from './fsync-path.ts';

/** How a set of paths is made durable: one syncfs of their filesystem, or an fsync each. */
export type SyncMethod = 'syncfs' | 'fsync';

/** Whether `sync --file-system` works on the filesystem holding `anyPath` (it also flushes it once). */
export async function probeSyncMethod(anyPath: string): Promise<SyncMethod> {
  return (await syncfs(anyPath)) === undefined ? 'syncfs' : 'fsync';
}

/**
 * Makes `files` and `dirs` durable: with 'syncfs', one flush of the filesystem holding `anyPath`
 * (every path must be on it); with 'fsync', each path in turn. A file gone meanwhile is skipped:
 * whatever replaced it was made durable on its own.
 */
export async function syncPaths(method: SyncMethod, anyPath: string, files: Iterable<string>, dirs: Iterable<string>): Promise<void> {
  if (method === 'syncfs') {
    const err = await syncfs(anyPath);
    if (err !== undefined) throw err;
    return;
  }
  for (const file of files) await fsyncIfPresent(file);
  for (const dir of dirs) await fsyncPath(dir);
}

/** Runs syncfs(2) on `anyPath`'s filesystem; resolves with the failure, if any. */
function syncfs(anyPath: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    execFile('sync', ['--file-system', anyPath], { timeout: 120_000 }, (err, _stdout, stderr) => {
      resolve(err === null ? undefined : new Error(`sync --file-system ${anyPath} failed: ${stderr.trim() || err.message}`));
    });
  });
}

async function fsyncIfPresent(file: string): Promise<void> {
  try {
    await fsyncPath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
