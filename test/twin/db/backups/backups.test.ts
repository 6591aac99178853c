import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { isHastackError } from '../../../../src/errors.ts';
import {
  archiveSettings,
  checkRestoreTime,
  flushArchive,
  prepareArchiveDir,
  restoreToTime,
  SnapshotStore,
  type SnapshotInfo,
} from '../../../../src/twin/db/backups/index.ts';
import { findPostgresBinaries, PostgresNode, resolveRunAsUser, type PostgresBinaries } from '../../../../src/twin/db/index.ts';
import type { TwinEvent } from '../../../../src/twin/events.ts';

const execFileAsync = promisify(execFile);
const DAY_MS = 86_400_000;
const PASSWORD = 'backup-test-superuser-password';

async function query<T extends pg.QueryResultRow>(node: PostgresNode, sql: string): Promise<T[]> {
  const c = new pg.Client({ ...node.clientConfig(), connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('archive command', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "hastack-arch cmd's %-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs archive_command as PostgreSQL would: %p relative to the data folder, %f the file name. */
  async function archive(name: string, content: string): Promise<number> {
    const data = path.join(dir, 'data');
    await mkdir(path.join(data, 'pg_wal'), { recursive: true });
    await writeFile(path.join(data, 'pg_wal', name), content);
    const cmd = String(archiveSettings(path.join(dir, 'archive'))['archive_command'])
      .replace(/%p/g, `pg_wal/${name}`)
      .replace(/%f/g, name)
      .replace(/%%/g, '%');
    return execFileAsync('/bin/sh', ['-c', cmd], { cwd: data }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
  }

  it('GIVEN a segment WHEN archived twice THEN it is copied once, the same copy again succeeds, a different one fails and keeps the first', async () => {
    await mkdir(path.join(dir, 'archive'));
    const seg = '000000010000000000000001';
    assert.equal(await archive(seg, 'first'), 0);
    assert.equal(await archive(seg, 'first'), 0, 'archiving an identical copy again must succeed');
    assert.notEqual(await archive(seg, 'other'), 0, 'a different file must not overwrite the archived one');
    assert.equal(await readFile(path.join(dir, 'archive', seg), 'utf8'), 'first');
    assert.deepEqual(await readdir(path.join(dir, 'archive')), [seg], 'no temporary file is left behind');
  });
});

describe('backups against a real PostgreSQL', () => {
  let root: string;
  let binaries: PostgresBinaries;
  let archiveDir: string;
  let primary: PostgresNode;
  let store: SnapshotStore;
  const nodes: PostgresNode[] = [];
  const events: TwinEvent[] = [];
  let automated: SnapshotInfo;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-backups-test-'));
    await chmod(root, 0o711);
    binaries = await findPostgresBinaries();
    archiveDir = path.join(root, 'wal');
    await prepareArchiveDir(archiveDir);
    primary = new PostgresNode({
      name: 'db-a',
      zone: 'local-1a',
      dataDir: path.join(root, 'db-a', 'data'),
      binaries,
      superuserPassword: PASSWORD,
      settings: archiveSettings(archiveDir),
    });
    nodes.push(primary);
    await primary.init();
    await primary.start();
    store = new SnapshotStore({
      dir: path.join(root, 'snapshots'),
      archiveDir,
      stack: 'shop',
      binaries,
      onEvent: (e) => events.push({ at: Date.now(), ...e }),
    });
  });

  after(async () => {
    for (const n of nodes) await n.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a prepared archive folder THEN it is private to the user PostgreSQL runs as', async () => {
    const st = await stat(archiveDir);
    assert.equal(st.mode & 0o777, 0o700);
    const runAs = await resolveRunAsUser();
    if (runAs !== undefined) assert.equal(st.uid, runAs.uid);
  });

  it('GIVEN a snapshot, then A, time T, then B WHEN restored to T THEN the new instance holds A and not B, and its recovery point is at most T', async (t) => {
    await query(primary, 'CREATE TABLE orders (item text)');
    automated = await store.take(primary, 'automated');
    assert.match(automated.id, /^rds:shop-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/);
    assert.equal(automated.kind, 'automated');
    assert.equal(automated.node, 'db-a');
    assert.ok(automated.bytes > 1_000_000);

    await query(primary, "INSERT INTO orders VALUES ('A')");
    await sleep(30);
    const T = new Date();
    await sleep(30);
    await query(primary, "INSERT INTO orders VALUES ('B')");
    const latest = await flushArchive(primary, archiveDir, 30_000);
    assert.ok(latest.getTime() > T.getTime(), 'the flush makes B restorable too');

    const window = await store.restorableWindow();
    assert.ok(window !== undefined);
    assert.equal(window.earliest.toISOString(), automated.finishedAt);
    assert.equal(window.latest.getTime(), latest.getTime());
    assert.deepEqual(checkRestoreTime(T.toISOString(), window, new Date()), T);

    const r = await restoreToTime({
      store,
      archiveDir,
      toTime: T,
      name: 'db-restored',
      dataDir: path.join(root, 'db-restored', 'data'),
      binaries,
      superuserPassword: PASSWORD,
      zone: 'local-1b',
      onEvent: (e) => events.push({ at: Date.now(), ...e }),
    });
    nodes.push(r.node);
    t.diagnostic(`restored from ${r.snapshotId} in ${r.ms} ms; recovery point ${r.recoveryPoint?.toISOString()} for T ${T.toISOString()}`);
    assert.equal(r.snapshotId, automated.id);
    assert.ok(r.recoveryPoint !== undefined && r.recoveryPoint.getTime() <= T.getTime(), 'the recovery point is at most T');
    assert.deepEqual(await query(r.node, 'SELECT item FROM orders ORDER BY item'), [{ item: 'A' }]);

    // A writable instance of its own: promoted, archiving nothing, recovery settings gone.
    const [s] = await query<{ rec: boolean; mode: string; command: string; recovery: string }>(
      r.node,
      `SELECT pg_is_in_recovery() AS rec, current_setting('archive_mode') AS mode, current_setting('archive_command') AS command,
              (SELECT count(*) FROM pg_file_settings WHERE name = 'restore_command' OR name LIKE 'recovery_target%')::text AS recovery`,
    );
    assert.deepEqual(s, { rec: false, mode: 'off', command: '(disabled)', recovery: '0' });
    await query(r.node, "INSERT INTO orders VALUES ('C')");
    assert.deepEqual(await query(primary, 'SELECT item FROM orders ORDER BY item'), [{ item: 'A' }, { item: 'B' }]);
    assert.ok(events.some((e) => e.type === 'restore-finished'));
    await r.node.remove();

    // The same name again would overwrite nothing: refused before any work.
    await mkdir(path.join(root, 'taken', 'data'), { recursive: true });
    await writeFile(path.join(root, 'taken', 'data', 'PG_VERSION'), '15\n');
    await chmod(path.join(root, 'taken'), 0o755);
    await assert.rejects(
      restoreToTime({ store, archiveDir, toTime: T, name: 'taken', dataDir: path.join(root, 'taken', 'data'), binaries, superuserPassword: PASSWORD, zone: 'local-1a' }),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_RESTORE_TARGET_EXISTS',
    );
    await assert.rejects(
      restoreToTime({ store, archiveDir, toTime: new Date(latest.getTime() + 1), name: 'late', dataDir: path.join(root, 'late', 'data'), binaries, superuserPassword: PASSWORD, zone: 'local-1a' }),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE' && /after the latest restorable time/.test(e.message),
    );
  });

  it('GIVEN automated and manual snapshots WHEN the retention passes THEN the automated one and the WAL only it needed go, the manual one stays', async () => {
    const manual = await store.take(primary, 'manual', 'before-upgrade');
    await assert.rejects(store.take(primary, 'manual', 'before-upgrade'), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_SNAPSHOT_EXISTS');
    await assert.rejects(store.take(primary, 'manual', 'Bad--name'), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_SNAPSHOT_NAME_INVALID' && /Bad--name/.test(e.message));
    assert.deepEqual((await store.list()).map((s) => s.id), [automated.id, manual.id]);

    const now = Date.parse(automated.startedAt);
    // Within the retention nothing expires; only WAL from before the oldest snapshot may go.
    assert.deepEqual((await store.prune(new Date(now + 6 * DAY_MS), 7)).removed, []);
    const segmentsBefore = (await readdir(archiveDir)).filter((f) => /^[0-9A-F]{24}$/.test(f));
    const pruned = await store.prune(new Date(now + 8 * DAY_MS), 7);
    assert.deepEqual(pruned.removed, [automated.id]);
    assert.ok(pruned.walRemoved > 0, 'the segments before the manual snapshot are no longer needed');
    assert.deepEqual((await store.list()).map((s) => s.id), [manual.id]);

    // Segment numbers with 16 MiB segments: what came before the manual snapshot's start is gone, the rest stays.
    const segmentOf = (log: string, low: bigint) => BigInt(`0x${log}`) * 256n + low;
    const [hi, lo] = manual.startLsn.split('/') as [string, string];
    const start = segmentOf(hi, BigInt(`0x${lo}`) >> 24n);
    const needed = (f: string) => segmentOf(f.slice(8, 16), BigInt(`0x${f.slice(16)}`)) >= start;
    assert.ok(segmentsBefore.some((f) => !needed(f)));
    assert.deepEqual((await readdir(archiveDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)), segmentsBefore.filter(needed));

    // Manual snapshots outlive any retention, and the window now starts at the manual one.
    assert.deepEqual((await store.prune(new Date(now + 400 * DAY_MS), 0)).removed, []);
    assert.equal((await store.restorableWindow())?.earliest.toISOString(), manual.finishedAt);
    await store.delete(manual.id);
    assert.deepEqual(await store.list(), []);
    assert.equal(await store.restorableWindow(), undefined);
  });

  it('GIVEN a crashed or failed snapshot WHEN listed THEN it does not appear, and prune clears its remains', async () => {
    const dir = path.join(root, 'snapshots');
    await mkdir(path.join(dir, 'half-done', 'data'), { recursive: true });
    await mkdir(path.join(dir, '.partial-crashed-2147483646', 'data'), { recursive: true });
    await writeFile(path.join(dir, '.partial-crashed-2147483646', 'snapshot.json'), '{}');

    const stopped = new PostgresNode({ name: 'db-x', zone: 'local-1a', dataDir: path.join(root, 'db-x', 'data'), binaries });
    await assert.rejects(store.take(stopped, 'manual', 'never'), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_SNAPSHOT_FAILED');
    assert.deepEqual(await store.list(), []);
    assert.ok(!(await readdir(dir)).some((n) => n.includes('never')), 'a failed snapshot leaves no folder');

    await store.prune(new Date(), 7);
    assert.deepEqual((await readdir(dir)).sort(), ['half-done']);
  });
});
