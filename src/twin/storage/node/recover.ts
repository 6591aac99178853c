/**
 * Bringing a data folder back to a consistent state at start, after a clean stop or a kill -9 at
 * any point of a commit, and reading every meta into index entries:
 *
 * - a `.meta.next` whose staging file still exists belongs to a commit that never moved its bytes
 *   and was never answered: it is dropped. One whose staging file is gone moved its bytes: it
 *   becomes the `.meta`. One without a stage id (a record without bytes) was never renamed: dropped.
 * - a `.meta` that cannot be read is quarantined; one whose bytes are missing is kept as damaged
 *   (its record is still known; repair brings the bytes back).
 * - a `.data` file without a meta that wants bytes (e.g. an object replaced by a tombstone) is removed.
 * - parts of uploads already completed or aborted are removed.
 * - staged bytes are removed: nobody can commit them any more.
 */
import { access, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { hasData, recordIdentity } from '../records.ts';
import { DATA_SUFFIX, META_NEXT_SUFFIX, META_SUFFIX, OBJECTS_DIR, SHARDS, STAGE_ID_PATTERN, replicaFilesByHash, stagingFile } from './layout.ts';
import { parseMeta } from './meta.ts';
import { moveToQuarantine } from './quarantine.ts';
import type { IndexEntry } from './record-index.ts';

export type LogFn = (event: string, fields?: Record<string, unknown>) => void;

export interface Recovered {
  readonly entries: IndexEntry[];
  /** Replicas moved to quarantine while loading. */
  readonly quarantined: number;
}

/** Shards read at once. */
const PARALLEL_SHARDS = 8;

export async function recoverReplicas(dataDir: string, log: LogFn): Promise<Recovered> {
  const entries: IndexEntry[] = [];
  let quarantined = 0;
  const shards = [...SHARDS];
  const worker = async (): Promise<void> => {
    for (let shard = shards.shift(); shard !== undefined; shard = shards.shift()) {
      const r = await recoverShard(dataDir, path.join(dataDir, OBJECTS_DIR, shard), log);
      for (const e of r.entries) entries.push(e);
      quarantined += r.quarantined;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_SHARDS }, worker));
  const finished = new Set<string>();
  for (const e of entries) {
    const r = e.meta.record;
    if (r.type === 'upload' && r.state !== 'open') finished.add(`${r.bucket}\0${r.uploadId}`);
  }
  const kept: IndexEntry[] = [];
  for (const e of entries) {
    const r = e.meta.record;
    if (r.type === 'part' && finished.has(`${r.bucket}\0${r.uploadId}`)) {
      const files = replicaFilesByHash(dataDir, e.hash);
      await rm(files.meta, { force: true });
      await rm(files.data, { force: true });
    } else {
      kept.push(e);
    }
  }
  return { entries: kept, quarantined };
}

async function recoverShard(dataDir: string, dir: string, log: LogFn): Promise<Recovered> {
  const names = await readdir(dir);
  const present = new Set(names);
  const entries: IndexEntry[] = [];
  let quarantined = 0;

  // Commits caught between their steps.
  for (const name of names) {
    if (!name.endsWith(META_NEXT_SUFFIX)) continue;
    const hash = name.slice(0, -META_NEXT_SUFFIX.length);
    const next = path.join(dir, name);
    let promote = false;
    try {
      const meta = parseMeta(await readFile(next, 'utf8'));
      if (meta.stageId !== undefined && STAGE_ID_PATTERN.test(meta.stageId)) promote = !(await exists(stagingFile(dataDir, meta.stageId)));
    } catch {
      promote = false;
    }
    present.delete(name);
    if (promote) {
      await rename(next, path.join(dir, hash + META_SUFFIX));
      present.add(hash + META_SUFFIX);
      log('commit-recovered', { hash });
    } else {
      await rm(next, { force: true });
    }
  }

  const wantData = new Set<string>();
  for (const name of present) {
    if (!name.endsWith(META_SUFFIX)) continue;
    const hash = name.slice(0, -META_SUFFIX.length);
    try {
      const meta = parseMeta(await readFile(path.join(dir, name), 'utf8'));
      const id = recordIdentity(meta.record);
      if (hasData(meta.record)) {
        if (!present.has(hash + DATA_SUFFIX)) {
          // Known but without bytes (damaged earlier, or lost): kept as damaged, so repair restores it.
          const { stageId: _stage, ...known } = meta;
          entries.push({ id, hash, meta: known, damaged: true });
          log('replica-damaged', { hash, id, reason: 'data file missing' });
          continue;
        }
        wantData.add(hash);
      }
      const { stageId: _ignored, ...kept } = meta;
      entries.push({ id, hash, meta: kept });
    } catch (err) {
      await moveToQuarantine(dataDir, hash);
      quarantined++;
      log('replica-quarantined', { hash, reason: `meta unreadable: ${(err as Error).message}` });
    }
  }

  for (const name of present) {
    if (name.endsWith(META_SUFFIX)) continue;
    if (name.endsWith(DATA_SUFFIX) && wantData.has(name.slice(0, -DATA_SUFFIX.length))) continue;
    await rm(path.join(dir, name), { force: true, recursive: true });
  }
  return { entries, quarantined };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
