/**
 * The snapshot store: a folder with one sub-folder per snapshot, each a base backup (`data/`) and
 * its metadata (`snapshot.json`). A snapshot is built in a hidden work folder named after the
 * process taking it; the metadata is written there last and the folder renamed into place, so a
 * snapshot that crashed half-way never lists, and a later prune removes its remains.
 *
 *   <dir>/<id folder>/data/            the base backup, owned by the PostgreSQL user
 *   <dir>/<id folder>/snapshot.json    SnapshotInfo (+ WAL segment size)
 *   <dir>/.partial-<id folder>-<pid>/  a snapshot being taken
 *   <dir>/.deleting-<id folder>-<pid>/ a snapshot being removed
 */
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { isHastackError } from '../../../errors.ts';
import type { EmitEvent } from '../../events.ts';
import { takeBaseBackup, type CloneMethod } from '../base-backup.ts';
import { dbError } from '../errors.ts';
import type { PostgresBinaries } from '../find-binaries.ts';
import type { PostgresNode } from '../postgres-node.ts';
import { flushArchive, listArchive, readRestorableMark } from './archive.ts';
import { preparePostgresFolder, writeFileDurably } from './folders.ts';
import type { RestorableWindow } from './schedule.ts';
import { checkRetentionDays } from './schedule.ts';
import {
  automatedSnapshotId,
  checkSnapshotName,
  expiredSnapshots,
  snapshotFolderName,
  unneededWalFiles,
  type SnapshotInfo,
  type SnapshotKind,
} from './snapshot-rules.ts';

export interface SnapshotStoreOptions {
  /** The store's folder; created for the PostgreSQL user on first use. */
  readonly dir: string;
  /** The WAL archive the source nodes write to (see archiveSettings). */
  readonly archiveDir: string;
  /** Stack name, part of automated snapshot ids; same rules as snapshot names. */
  readonly stack: string;
  readonly binaries: PostgresBinaries;
  /** @default 'auto' */
  readonly method?: CloneMethod | 'auto';
  /** Milliseconds a snapshot of a primary waits for its last WAL segment to be archived. @default 90000 */
  readonly archiveTimeoutMs?: number;
  readonly onEvent?: EmitEvent;
}

const META = 'snapshot.json';
const DATA = 'data';

interface StoredSnapshot extends SnapshotInfo {
  readonly walSegmentBytes: number;
}

export class SnapshotStore {
  readonly dir: string;
  readonly archiveDir: string;
  readonly #o: SnapshotStoreOptions;
  /** Folders this process is taking snapshots into right now. */
  readonly #taking = new Set<string>();

  constructor(options: SnapshotStoreOptions) {
    checkSnapshotName(options.stack, 'stack');
    this.#o = options;
    this.dir = path.resolve(options.dir);
    this.archiveDir = path.resolve(options.archiveDir);
  }

  /**
   * Takes a snapshot of the running `source` (a primary or a standby). `name` is required for a
   * manual snapshot and validated; an automated one is named after the time it starts. From a
   * primary, the snapshot's WAL is archived before it lists, so the restorable window covers it at
   * once; from a standby, the window reaches past it after the next flushArchive of the primary.
   */
  async take(source: PostgresNode, kind: SnapshotKind, name?: string): Promise<SnapshotInfo> {
    const id = kind === 'manual' ? checkSnapshotName(name) : automatedSnapshotId(this.#o.stack, new Date());
    const folder = snapshotFolderName(id);
    await preparePostgresFolder(this.dir);
    if (this.#taking.has(folder) || (await this.#read(folder)) !== undefined || (await this.#takingElsewhere(folder))) throw exists(id);

    const work = path.join(this.dir, `.partial-${folder}-${process.pid}`);
    this.#taking.add(folder);
    try {
      await rm(work, { recursive: true, force: true });
      await preparePostgresFolder(work);
      const { walSegmentBytes, inRecovery } = await sourceFacts(source);
      const r = await takeBaseBackup({
        source,
        targetDir: path.join(work, DATA),
        binaries: this.#o.binaries,
        method: this.#o.method ?? 'auto',
        label: `snapshot ${id}`,
      });
      if (!inRecovery) await flushArchive(source, this.archiveDir, this.#o.archiveTimeoutMs ?? 90_000);
      const info: SnapshotInfo = {
        id,
        kind,
        node: source.name,
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt.toISOString(),
        startLsn: r.startLsn,
        stopLsn: r.stopLsn,
        bytes: r.bytes,
        method: r.method,
      };
      const stored: StoredSnapshot = { ...info, walSegmentBytes };
      await writeFileDurably(path.join(work, META), JSON.stringify(stored, null, 2) + '\n');
      await rename(work, path.join(this.dir, folder)).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOTEMPTY' || e.code === 'EEXIST' ? exists(id) : e;
      });
      this.#emit('snapshot-taken', `took ${kind} snapshot ${id} of ${source.name} (${r.method}, ${r.bytes} bytes) in ${r.finishedAt.getTime() - r.startedAt.getTime()} ms`, {
        id,
        kind,
        node: source.name,
        bytes: r.bytes,
      });
      return info;
    } catch (e) {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
      if (isHastackError(e) && e.source === 'user') throw e;
      throw dbError('HASTACK_DB_SNAPSHOT_FAILED', `snapshot ${id} of ${source.name} failed: ${(e as Error).message}`, {
        cause: e,
        details: { id, node: source.name, ...(isHastackError(e) ? { causeCode: e.code } : {}) },
      });
    } finally {
      this.#taking.delete(folder);
    }
  }

  /** Every complete snapshot, oldest first. Work folders and folders without metadata are not listed. */
  async list(): Promise<SnapshotInfo[]> {
    return (await this.#all()).map(publicInfo);
  }

  /** The folder holding the snapshot's copy of the data folder; HASTACK_DB_SNAPSHOT_NOT_FOUND when there is none. */
  async dataDirOf(id: string): Promise<string> {
    if ((await this.#read(snapshotFolderName(id))) === undefined) throw notFound(id);
    return path.join(this.dir, snapshotFolderName(id), DATA);
  }

  /** Deletes one snapshot (manual snapshots stay until deleted this way). */
  async delete(id: string): Promise<void> {
    if ((await this.#read(snapshotFolderName(id))) === undefined) throw notFound(id);
    await this.#remove(id);
    this.#emit('snapshot-removed', `deleted snapshot ${id}`, { id, reason: 'deleted' });
  }

  /**
   * Applies the retention: automated snapshots started more than `retentionDays` before `now` go,
   * manual ones stay; then archived WAL older than the oldest kept snapshot needs goes, and the
   * remains of crashed snapshots are cleared. WAL is left alone while a snapshot is being taken.
   */
  async prune(now: Date, retentionDays: number): Promise<{ removed: string[]; walRemoved: number }> {
    checkRetentionDays(retentionDays);
    const all = await this.#all();
    const expired = expiredSnapshots(all, now, retentionDays);
    for (const s of expired) {
      await this.#remove(s.id);
      this.#emit('snapshot-removed', `removed automated snapshot ${s.id}: older than ${retentionDays} day(s)`, { id: s.id, reason: 'retention' });
    }
    const busy = (await this.#clearRemains()) || this.#taking.size > 0;
    const kept = all.filter((s) => !expired.includes(s));
    let walRemoved = 0;
    if (!busy && kept.length > 0) {
      const segmentSize = kept[0]!.walSegmentBytes;
      for (const f of unneededWalFiles(await listArchive(this.archiveDir), kept, segmentSize)) {
        await rm(path.join(this.archiveDir, f), { force: true });
        walRemoved++;
      }
      if (walRemoved > 0) this.#emit('wal-pruned', `removed ${walRemoved} archived WAL file(s) no kept snapshot needs`, { walRemoved });
    }
    return { removed: expired.map((s) => s.id), walRemoved };
  }

  /**
   * The span a point-in-time restore can reach: from the end of the oldest snapshot to the latest
   * time a flush of the archive proved restorable; undefined when there is no snapshot or no flush
   * reached past the oldest one.
   */
  async restorableWindow(): Promise<RestorableWindow | undefined> {
    const all = await this.#all();
    if (all.length === 0) return undefined;
    const earliest = new Date(Math.min(...all.map((s) => Date.parse(s.finishedAt))));
    const latest = await readRestorableMark(this.archiveDir);
    if (latest === undefined || latest.getTime() < earliest.getTime()) return undefined;
    return { earliest, latest };
  }

  async #all(): Promise<StoredSnapshot[]> {
    const names = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const out: StoredSnapshot[] = [];
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const s = await this.#read(n);
      if (s !== undefined) out.push(s);
    }
    return out.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.id.localeCompare(b.id));
  }

  async #read(folder: string): Promise<StoredSnapshot | undefined> {
    const text = await readFile(path.join(this.dir, folder, META), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const s = JSON.parse(text) as Partial<StoredSnapshot>;
      const complete =
        typeof s.id === 'string' &&
        snapshotFolderName(s.id) === folder &&
        (s.kind === 'automated' || s.kind === 'manual') &&
        typeof s.startLsn === 'string' &&
        typeof s.finishedAt === 'string' &&
        typeof s.startedAt === 'string' &&
        typeof s.walSegmentBytes === 'number';
      return complete ? (s as StoredSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Unlists the snapshot at once (rename), then deletes its files. */
  async #remove(id: string): Promise<void> {
    const folder = snapshotFolderName(id);
    const doomed = path.join(this.dir, `.deleting-${folder}-${process.pid}`);
    await rename(path.join(this.dir, folder), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  /** True when another live process is taking a snapshot into `folder`. */
  async #takingElsewhere(folder: string): Promise<boolean> {
    for (const w of await this.#workFolders()) {
      if (w.folder === folder && w.pid !== process.pid && alive(w.pid)) return true;
    }
    return false;
  }

  /** Deletes work folders of dead processes; true when a live one is still taking or removing a snapshot. */
  async #clearRemains(): Promise<boolean> {
    let busy = false;
    for (const w of await this.#workFolders()) {
      const live = w.pid === process.pid ? w.kind === 'deleting' || this.#taking.has(w.folder) : alive(w.pid);
      if (live) {
        busy ||= w.kind === 'partial';
        continue;
      }
      await rm(path.join(this.dir, w.name), { recursive: true, force: true });
    }
    return busy;
  }

  async #workFolders(): Promise<{ name: string; kind: 'partial' | 'deleting'; folder: string; pid: number }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.flatMap((name) => {
      const m = /^\.(partial|deleting)-(.+)-(\d+)$/.exec(name);
      return m === null ? [] : [{ name, kind: m[1] as 'partial' | 'deleting', folder: m[2]!, pid: Number(m[3]) }];
    });
  }

  #emit(type: string, message: string, data: Record<string, unknown>): void {
    this.#o.onEvent?.({ source: 'db', type, message, data: { store: this.dir, ...data } });
  }
}

async function sourceFacts(source: PostgresNode): Promise<{ walSegmentBytes: number; inRecovery: boolean }> {
  const c = new pg.Client({ ...source.clientConfig(), connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const [r] = (await c.query<{ seg: string; rec: boolean }>(
      "SELECT (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS seg, pg_is_in_recovery() AS rec",
    )).rows;
    return { walSegmentBytes: Number(r!.seg), inRecovery: r!.rec };
  } finally {
    await c.end().catch(() => undefined);
  }
}

function publicInfo(s: StoredSnapshot): SnapshotInfo {
  const { id, kind, node, startedAt, finishedAt, startLsn, stopLsn, bytes, method } = s;
  return { id, kind, node, startedAt, finishedAt, startLsn, stopLsn, bytes, method };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function exists(id: string) {
  return dbError('HASTACK_DB_SNAPSHOT_EXISTS', `a snapshot named ${id} already exists or is being taken; choose another name`, {
    details: { field: 'name', received: id, expected: 'a name no snapshot has' },
  });
}

function notFound(id: string) {
  return dbError('HASTACK_DB_SNAPSHOT_NOT_FOUND', `no snapshot has the id ${id}`, { details: { field: 'id', received: id } });
}
