import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isHastackError } from '../../../src/errors.ts';
import { conninfo, setSettings } from '../../../src/twin/db/auto-conf.ts';
import {
  applyCommitPolicy,
  compareLsn,
  configureStandby,
  ensureReplicationRole,
  findPostgresBinaries,
  lsnToBigInt,
  PostgresNode,
  promote,
  readPrimaryReplication,
  readStandbyPosition,
  repointStandby,
  resolveRunAsUser,
  synchronousStandbyNames,
  takeBaseBackup,
  type CommitPolicy,
  type PostgresBinaries,
} from '../../../src/twin/db/index.ts';
import { parseWalFileName, walSegmentRange } from '../../../src/twin/db/lsn.ts';
import { passfileLine } from '../../../src/twin/db/replication.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What `p` settled with, or 'timeout' after `ms` (the timer does not outlive the call). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function hasCode(code: string) {
  return (e: unknown) => {
    assert.ok(isHastackError(e), `expected a HastackError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  };
}

describe('LSNs and replication settings (pure)', () => {
  it('GIVEN LSNs as PostgreSQL prints them WHEN compared THEN the 64-bit positions decide, not the text', () => {
    assert.equal(lsnToBigInt('0/3000148'), 0x3000148n);
    assert.equal(lsnToBigInt('1/0'), 0x100000000n);
    assert.equal(compareLsn('0/FFFFFFFF', '1/0'), -1);
    assert.equal(compareLsn('A/10', '9/FFFFFFF0'), 1);
    assert.equal(compareLsn('0/3000060', '0/3000060'), 0);
    assert.throws(() => lsnToBigInt('3000060'), hasCode('HASTACK_DB_INVALID_LSN'));
  });

  it('GIVEN a backup range WHEN its segments are named THEN they run from the start segment to the one holding the last byte', () => {
    const seg = 16 * 1024 * 1024;
    assert.deepEqual(walSegmentRange('0/2000028', '0/2000100', seg), { first: 2n, last: 2n });
    assert.deepEqual(walSegmentRange('0/2FFFFF0', '0/3000000', seg), { first: 2n, last: 2n });
    assert.deepEqual(walSegmentRange('0/2FFFFF0', '1/1000010', seg), { first: 2n, last: 257n });
    assert.deepEqual(parseWalFileName('000000020000000100000001', seg), { timeline: 2, segment: 257n });
    assert.equal(parseWalFileName('00000002.history', seg), undefined);
  });

  it('GIVEN commit policies WHEN rendered THEN names are quoted, and bad names or counts are refused naming the field', () => {
    const p = (x: Partial<CommitPolicy>) => ({ standbys: ['db-b'], mode: 'first' as const, num: 1, ...x });
    assert.equal(synchronousStandbyNames(p({})), 'FIRST 1 ("db-b")');
    assert.equal(synchronousStandbyNames(p({ standbys: ['db-b', 'db-c'], mode: 'any', num: 2 })), 'ANY 2 ("db-b", "db-c")');
    assert.equal(synchronousStandbyNames(p({ standbys: [] })), '');
    assert.equal(synchronousStandbyNames(p({ standbys: ['*'] })), 'FIRST 1 (*)');
    assert.throws(() => synchronousStandbyNames(p({ standbys: ['db-b", "x'] })), (e: unknown) => {
      hasCode('HASTACK_DB_INVALID_REPLICATION_INPUT')(e);
      assert.match((e as Error).message, /standbys\[0\]/);
      return true;
    });
    assert.throws(() => synchronousStandbyNames(p({ num: 2 })), /num 2 is invalid: expected a whole number from 1 to 1/);
    assert.throws(() => synchronousStandbyNames(p({ mode: 'all' as 'any' })), hasCode('HASTACK_DB_INVALID_REPLICATION_INPUT'));
  });

  it('GIVEN awkward values WHEN written as a conninfo in postgresql.auto.conf THEN both quoting levels escape them and old lines go', () => {
    const c = conninfo({ host: '127.0.0.1', password: "a'b\\c" });
    assert.equal(c, "host='127.0.0.1' password='a\\'b\\\\c'");
    const text = setSettings("# header\nprimary_conninfo = 'old'\nwork_mem = '8MB'\n", { primary_conninfo: c, restore_command: undefined });
    assert.equal(text, "# header\nwork_mem = '8MB'\nprimary_conninfo = 'host=''127.0.0.1'' password=''a\\\\''b\\\\\\\\c'''\n");
    assert.equal(passfileLine('replicator', 'pa:ss\\word'), '127.0.0.1:*:*:replicator:pa\\:ss\\\\word\n');
  });
});

describe('streaming replication on real PostgreSQL', () => {
  let root: string;
  let binaries: PostgresBinaries;
  let a: PostgresNode;
  let b: PostgresNode;
  let c: PostgresNode;
  const nodes: PostgresNode[] = [];
  const REPL_USER = 'replicator';
  const REPL_PASSWORD = 'repl-Secret-9f3c1e7a';
  /** Every value committed so far, in order. */
  const written: string[] = [];

  const makeNode = (name: string, zone: string, superuserPassword?: string): PostgresNode => {
    const node = new PostgresNode({
      name,
      zone,
      dataDir: path.join(root, name, 'data'),
      binaries,
      ...(superuserPassword === undefined ? {} : { superuserPassword }),
    });
    nodes.push(node);
    return node;
  };

  const rows = async (node: PostgresNode): Promise<string[]> => {
    const client = new pg.Client({ ...node.clientConfig(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<{ v: string }>('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v);
    } finally {
      await client.end();
    }
  };

  /** Inserts a row and records it; the promise settles when the commit returns. */
  const write = async (node: PostgresNode, v: string): Promise<void> => {
    const client = new pg.Client({ ...node.clientConfig(), connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('INSERT INTO t (v) VALUES ($1)', [v]);
      written.push(v);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  };

  const policy = (standbys: string[], readOnly = false): CommitPolicy => ({ standbys, mode: 'first', num: 1, readOnly });

  const standbyOf = (primary: PostgresNode, applicationName: string) => ({
    primaryPort: primary.port,
    user: REPL_USER,
    password: REPL_PASSWORD,
    applicationName,
  });

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-repl-test-'));
    await chmod(root, 0o711);
    binaries = await findPostgresBinaries();
    a = makeNode('db-a', 'local-1a');
    await a.init();
    await a.start();
    const client = new pg.Client(a.clientConfig());
    await client.connect();
    await client.query('CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)');
    await client.end();
    await write(a, 'before-clones');
  });

  after(async () => {
    for (const n of nodes) await n.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a primary WHEN the replication role is ensured twice THEN one LOGIN REPLICATION role exists and is no superuser', async () => {
    await ensureReplicationRole(a, REPL_USER, REPL_PASSWORD);
    await ensureReplicationRole(a, REPL_USER, REPL_PASSWORD);
    const client = new pg.Client(a.clientConfig());
    await client.connect();
    const r = await client.query('SELECT rolcanlogin, rolreplication, rolsuper FROM pg_roles WHERE rolname = $1', [REPL_USER]);
    await client.end();
    assert.deepEqual(r.rows, [{ rolcanlogin: true, rolreplication: true, rolsuper: false }]);
    await assert.rejects(ensureReplicationRole(a, 'postgres', REPL_PASSWORD), hasCode('HASTACK_DB_INVALID_REPLICATION_INPUT'));
  });

  it('GIVEN a primary whose commits wait for db-b WHEN db-b is cloned by pg_basebackup and db-c by the backup-API copy THEN both start as hot standbys, replay a later row, and carry no commit policy', async (t) => {
    // The policy is set before the clones: cloning must not need a commit, as when a lost
    // synchronous standby is rebuilt.
    await applyCommitPolicy(a, policy(['db-b']));
    const password = String(a.clientConfig().password);
    b = makeNode('db-b', 'local-1b');
    c = makeNode('db-c', 'local-1c');
    const clones = [
      { node: b, method: 'pg_basebackup' as const },
      { node: c, method: 'backup-api-copy' as const },
    ];
    const runAs = await resolveRunAsUser();
    for (const { node, method } of clones) {
      const paths = await node.adoptClone(password);
      const r = await takeBaseBackup({ source: a, targetDir: paths.dataDir, binaries, method, label: `standby ${node.name}` });
      t.diagnostic(`${method}: ${r.finishedAt.getTime() - r.startedAt.getTime()} ms, ${r.bytes} bytes, ${r.startLsn}..${r.stopLsn}`);
      assert.equal(r.method, method);
      assert.ok(compareLsn(r.startLsn, r.stopLsn) <= 0);
      const autoConf = await readFile(path.join(paths.dataDir, 'postgresql.auto.conf'), 'utf8');
      assert.doesNotMatch(autoConf, /synchronous_standby_names|default_transaction_read_only/);

      await configureStandby(paths.dataDir, standbyOf(a, node.name));
      for (const file of ['postgresql.auto.conf', 'hastack-replication.pgpass', 'standby.signal']) {
        const st = await stat(path.join(paths.dataDir, file));
        assert.equal(st.mode & 0o777, 0o600, file);
        if (runAs !== undefined) assert.equal(st.uid, runAs.uid, file);
      }
      assert.doesNotMatch(await readFile(path.join(paths.dataDir, 'postgresql.auto.conf'), 'utf8'), new RegExp(REPL_PASSWORD));
      await node.start();
      const pos = await readStandbyPosition(node);
      assert.equal(pos.inRecovery, true);
    }

    await write(a, 'after-clones');
    for (const node of [b, c]) {
      await waitFor(`${node.name} to replay the row written after the clone`, async () => (await rows(node)).includes('after-clones'));
      const client = new pg.Client(node.clientConfig());
      await client.connect();
      const s = await client.query("SELECT current_setting('synchronous_standby_names') AS s, current_setting('default_transaction_read_only') AS ro");
      await client.end();
      assert.deepEqual(s.rows, [{ s: '', ro: 'off' }], `${node.name} inherited the primary's commit policy`);
    }
    const status = await readPrimaryReplication(a);
    const byName = Object.fromEntries(status.standbys.map((s) => [s.applicationName, s]));
    assert.equal(byName['db-b']?.syncState, 'sync');
    assert.equal(byName['db-c']?.syncState, 'async');
    assert.equal(byName['db-b']?.state, 'streaming');
    await assert.rejects(readPrimaryReplication(b), hasCode('HASTACK_DB_WRONG_ROLE'));
  });

  it('GIVEN commits that wait for db-b WHEN db-b stops THEN a commit does not return until it runs again, and with no standbys listed commits need none', async () => {
    await b.stop();
    const client = new pg.Client(a.clientConfig());
    client.on('error', () => undefined);
    await client.connect();
    try {
      const insert = client.query("INSERT INTO t (v) VALUES ('while-b-down')").then(
        () => 'returned',
        (e: Error) => e.message,
      );
      assert.equal(await within(insert, 2_000), 'timeout', 'the commit returned while its synchronous standby was down');
      await b.start();
      assert.equal(await within(insert, 30_000), 'returned');
      written.push('while-b-down');
    } finally {
      await client.end().catch(() => undefined);
    }

    await b.stop();
    await applyCommitPolicy(a, policy([]));
    const t0 = Date.now();
    await write(a, 'no-standby-needed');
    assert.ok(Date.now() - t0 < 2_000, `the commit took ${Date.now() - t0} ms with no standby required`);
    await applyCommitPolicy(a, policy(['db-b']));
    await b.start();
    await waitFor('db-b to become the synchronous standby again', async () =>
      (await readPrimaryReplication(a)).standbys.some((s) => s.applicationName === 'db-b' && s.syncState === 'sync' && s.state === 'streaming'),
    );
  });

  it('GIVEN a read-only commit policy WHEN a client inserts THEN PostgreSQL refuses with SQLSTATE 25006, and writes resume when lifted', async () => {
    await applyCommitPolicy(a, policy(['db-b'], true));
    await assert.rejects(write(a, 'refused'), (e: unknown) => (e as { code?: string }).code === '25006');
    await applyCommitPolicy(a, policy(['db-b'], false));
    await write(a, 'after-fence');
  });

  it('GIVEN db-b promoted after the primary stops THEN it takes writes and has every committed row, and db-c repointed to it follows the new timeline', async (t) => {
    await write(a, 'last-on-a');
    const last = (await readPrimaryReplication(a)).currentLsn;
    await waitFor('db-c to replay the primary’s last row', async () => {
      const replay = (await readStandbyPosition(c)).replayLsn;
      return replay !== null && compareLsn(replay, last) >= 0;
    });
    await a.stop();

    const { ms } = await promote(b, 30_000);
    t.diagnostic(`promotion took ${ms} ms`);
    assert.equal((await readStandbyPosition(b)).inRecovery, false);
    assert.deepEqual(await rows(b), written);
    await write(b, 'on-b');
    await assert.rejects(promote(b, 5_000), hasCode('HASTACK_DB_WRONG_ROLE'));

    await repointStandby(c, standbyOf(b, 'db-c'));
    await waitFor('db-c to replay the row written on the new primary', async () => (await rows(c)).includes('on-b'), 30_000);
    assert.deepEqual(await rows(c), written);
    const client = new pg.Client(c.clientConfig());
    await client.connect();
    const tli = await client.query<{ tli: number }>('SELECT received_tli AS tli FROM pg_stat_wal_receiver');
    await client.end();
    assert.equal(tli.rows[0]?.tli, 2);
    assert.ok((await readPrimaryReplication(b)).standbys.some((s) => s.applicationName === 'db-c' && s.state === 'streaming'));
    await assert.rejects(repointStandby(b, standbyOf(c, 'db-b')), hasCode('HASTACK_DB_WRONG_ROLE'));

    for (const node of [a, b, c]) {
      assert.ok(!(await readFile(node.paths.logFile, 'utf8')).includes(REPL_PASSWORD), `${node.name}'s log holds the replication password`);
    }
  });
});
