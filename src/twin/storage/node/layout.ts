/**
 * Where a storage node keeps its files. Everything lives under the data folder:
 *
 *   objects/<2 hex>/<sha256 hex of identity>.data    raw bytes, nothing else
 *   objects/<2 hex>/<sha256 hex of identity>.meta    JSON: record, md5, blockSize, block CRC32s
 *   objects/<2 hex>/<sha256 hex of identity>.meta.next  a commit in progress (see store.ts)
 *   staging/<stage id>                               bytes received, not yet committed
 *   journal/<16 digits>.log                          the write-ahead journal's segments (journal.ts)
 *   quarantine/<sha256 hex>-<epoch ms>.data|.meta    replicas found damaged
 *   node.lock                                        pid of the process serving the folder
 *
 * File names come only from hashes and random ids: a bucket or key never becomes part of a path,
 * so no key can name a file outside the data folder.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export const OBJECTS_DIR = 'objects';
export const STAGING_DIR = 'staging';
export const QUARANTINE_DIR = 'quarantine';
export const LOCK_FILE = 'node.lock';

export const DATA_SUFFIX = '.data';
export const META_SUFFIX = '.meta';
export const META_NEXT_SUFFIX = '.meta.next';

/** Stage ids are 32 lowercase hex digits; anything else is refused before it nears a path. */
export const STAGE_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The file-name stem of a record: lowercase hex SHA-256 of its identity (UTF-8). */
export function identityHash(identity: string): string {
  return createHash('sha256').update(identity, 'utf8').digest('hex');
}

/** The shard folder of a hash: its first two hex digits. */
export function shardDir(dataDir: string, hash: string): string {
  return path.join(dataDir, OBJECTS_DIR, hash.slice(0, 2));
}

export interface ReplicaFiles {
  readonly data: string;
  readonly meta: string;
}

/** The two files of one replica, by the record identity (`recordIdentity`). */
export function replicaFiles(dataDir: string, identity: string): ReplicaFiles {
  return replicaFilesByHash(dataDir, identityHash(identity));
}

export function replicaFilesByHash(dataDir: string, hash: string): ReplicaFiles {
  const stem = path.join(shardDir(dataDir, hash), hash);
  return { data: stem + DATA_SUFFIX, meta: stem + META_SUFFIX };
}

/** Where a commit writes the next meta before the data file is renamed into place. */
export function metaNextFile(dataDir: string, hash: string): string {
  return path.join(shardDir(dataDir, hash), hash + META_NEXT_SUFFIX);
}

export function stagingFile(dataDir: string, stageId: string): string {
  if (!STAGE_ID_PATTERN.test(stageId)) throw new Error(`not a stage id: ${JSON.stringify(stageId)}`);
  return path.join(dataDir, STAGING_DIR, stageId);
}

export function quarantineFiles(dataDir: string, hash: string, at: number): ReplicaFiles {
  const stem = path.join(dataDir, QUARANTINE_DIR, `${hash}-${at}`);
  return { data: stem + DATA_SUFFIX, meta: stem + META_SUFFIX };
}

/** The 256 shard folder names, `00` to `ff`. */
export const SHARDS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Creates the folders of the layout (idempotent). */
export async function ensureLayout(dataDir: string): Promise<void> {
  await mkdir(path.join(dataDir, STAGING_DIR), { recursive: true });
  await mkdir(path.join(dataDir, QUARANTINE_DIR), { recursive: true });
  for (const shard of SHARDS) await mkdir(path.join(dataDir, OBJECTS_DIR, shard), { recursive: true });
}
