/**
 * Applying what the journal (journal.ts) still holds, at start and before anything else reads the
 * data folder: every whole entry is written to its replica files durably, in journal order, unless
 * the folder already holds that record intact or a newer one. Then the segments are deleted. A
 * commit the journal made durable is thereby in its files even if the machine went down before
 * they reached the disk, and replaying twice changes nothing.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from '../../../util/fsync-path.ts';
import { compareSeq, hasData, recordIdentity } from '../records.ts';
import { writeFileDurably } from './durable-file.ts';
import { decodeEntries, segmentFiles, type JournalEntry } from './journal.ts';
import { identityHash, metaNextFile, replicaFilesByHash, shardDir } from './layout.ts';
import { parseMeta, type ReplicaMeta } from './meta.ts';
import type { LogFn } from './recover.ts';

export interface Replayed {
  readonly segments: number;
  readonly entries: number;
  /** Entries whose files had to be written. */
  readonly applied: number;
  /** The greatest segment number found (0 when none): new segments continue after it. */
  readonly last: number;
}

export async function replayJournal(dataDir: string, log: LogFn): Promise<Replayed> {
  const files = await segmentFiles(dataDir);
  let entries = 0;
  let applied = 0;
  const dirs = new Set<string>();
  for (const file of files) {
    const decoded = decodeEntries(await readFile(file));
    if (decoded.torn > 0) log('journal-torn-tail', { segment: path.basename(file), bytes: decoded.torn });
    for (const e of decoded.entries) {
      entries++;
      const dir = await applyEntry(dataDir, e, log);
      if (dir !== undefined) {
        applied++;
        dirs.add(dir);
      }
    }
  }
  for (const dir of dirs) await fsyncPath(dir);
  for (const file of files) await rm(file, { force: true });
  const last = files.length === 0 ? 0 : Number(path.basename(files[files.length - 1]!).slice(0, 16));
  if (files.length > 0) log('journal-replayed', { segments: files.length, entries, applied });
  return { segments: files.length, entries, applied, last };
}

/** Writes one entry's files unless the folder holds it (or something newer) already; returns the shard folder written to. */
async function applyEntry(dataDir: string, e: JournalEntry, log: LogFn): Promise<string | undefined> {
  let meta: ReplicaMeta;
  try {
    meta = parseMeta(e.meta);
  } catch (err) {
    log('journal-entry-skipped', { reason: (err as Error).message });
    return undefined;
  }
  const hash = identityHash(recordIdentity(meta.record));
  const files = replicaFilesByHash(dataDir, hash);
  const next = await readMeta(metaNextFile(dataDir, hash));
  if (next !== undefined && compareSeq(next.record.seq, meta.record.seq) > 0) return undefined;
  const held = await readMeta(files.meta);
  if (held !== undefined) {
    const order = compareSeq(held.record.seq, meta.record.seq);
    if (order > 0 || (order === 0 && (await intact(files.data, held, e.data)))) return undefined;
  }
  if (hasData(meta.record)) await writeFileDurably(files.data, e.data ?? Buffer.alloc(0));
  else await rm(files.data, { force: true });
  await writeFileDurably(files.meta, e.meta);
  return shardDir(dataDir, hash);
}

/** Whether the bytes on disk are the entry's (always, for a record without bytes). */
async function intact(dataFile: string, held: ReplicaMeta, data: Buffer | undefined): Promise<boolean> {
  if (!hasData(held.record)) return true;
  try {
    return data !== undefined && (await readFile(dataFile)).equals(data);
  } catch {
    return false;
  }
}

async function readMeta(file: string): Promise<ReplicaMeta | undefined> {
  try {
    return parseMeta(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}
