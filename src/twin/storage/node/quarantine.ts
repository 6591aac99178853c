/**
 * Moving a damaged replica aside: its data and meta files go to `quarantine/` under the hash and
 * the time, so the node stops serving them while an operator can still look at what went wrong.
 * A replica whose record is sound keeps its meta in place (a copy goes to quarantine): the node
 * must go on knowing the record exists, or a quorum read could miss an acknowledged write.
 */
import { copyFile, rename } from 'node:fs/promises';
import { quarantineFiles, replicaFilesByHash, type ReplicaFiles } from './layout.ts';

/** Moves whichever of the replica's two files exist; returns where they went. */
export async function moveToQuarantine(dataDir: string, hash: string, at = Date.now()): Promise<ReplicaFiles> {
  const from = replicaFilesByHash(dataDir, hash);
  const to = quarantineFiles(dataDir, hash, at);
  await renameIfPresent(from.data, to.data);
  await renameIfPresent(from.meta, to.meta);
  return to;
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Moves the replica's bytes aside and copies its meta next to them; the meta stays in place. */
export async function moveDataToQuarantine(dataDir: string, hash: string, at = Date.now()): Promise<ReplicaFiles> {
  const from = replicaFilesByHash(dataDir, hash);
  const to = quarantineFiles(dataDir, hash, at);
  await renameIfPresent(from.data, to.data);
  try {
    await copyFile(from.meta, to.meta);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return to;
}
