import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startTestDatabase } from '../../helpers/database.ts';
import { sleep, waitFor } from '../../helpers/twin.ts';

async function query(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('point-in-time restore to a time between two writes gives exactly the writes before it, in a new node', { timeout: 180_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await d.db.snapshot('base');
  await query(d.url, 'CREATE TABLE notes (n int)');
  await query(d.url, 'INSERT INTO notes VALUES (1)');
  await sleep(1_100);
  const between = new Date().toISOString();
  await sleep(1_100);
  await query(d.url, 'INSERT INTO notes VALUES (2)');
  // A failover in between: the restore follows the archive across timelines.
  await d.db.failover();
  await d.db.waitUntilReplicated(60_000);
  await query(d.url, 'INSERT INTO notes VALUES (3)');
  const r = await d.db.restore(between, 'before-two');
  assert.equal(r.name, 'before-two');
  assert.ok(r.recoveryPoint !== undefined && r.recoveryPoint <= between, `recovery point ${r.recoveryPoint} is at or before ${between}`);
  const rows = await query(r.url, 'SELECT n FROM notes ORDER BY n');
  assert.deepEqual(rows.rows.map((x) => x.n), [1]);
  const node = d.db.status().nodes.find((n) => n.name === 'before-two');
  assert.equal(node?.role, 'restored');
  assert.notEqual(new URL(r.url).port, new URL(d.url).port, 'a new instance with its own endpoint');
  // The source is untouched.
  assert.deepEqual((await query(d.url, 'SELECT n FROM notes ORDER BY n')).rows.map((x) => x.n), [1, 2, 3]);
});

test('multi-az-cluster: two readable standbys behind a reader endpoint, failover to the one furthest ahead', { timeout: 180_000 }, async (t) => {
  const d = await startTestDatabase({ deployment: 'multi-az-cluster' });
  t.after(() => d.close());
  const reader = d.db.env()['DATABASE_READER_URL'];
  assert.ok(reader !== undefined, 'DATABASE_READER_URL is set for a cluster');
  await query(d.url, 'CREATE TABLE t (n int)');
  await query(d.url, 'INSERT INTO t VALUES (42)');
  assert.equal(d.db.status().synchronousStandbys.length, 2);
  await waitFor('the reader endpoint over both standbys', () => d.db.status().readerTargets.length === 2, 20_000);
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const r = await waitFor('the row on a standby', async () => {
      const x = await query(reader, 'SELECT pg_is_in_recovery() AS standby, inet_server_port() AS port, (SELECT count(*) FROM t)::int AS rows');
      return x.rows[0].rows === 1 ? x.rows[0] : undefined;
    }, 10_000);
    assert.equal(r.standby, true, 'the reader endpoint leads to standbys');
    seen.add(r.port);
  }
  assert.equal(seen.size, 2, 'reads spread over both standbys');
  const before = d.db.status().writerTarget;
  d.db.faults.killPrimary();
  await waitFor('failover', () => d.db.status().writerTarget !== undefined && d.db.status().writerTarget !== before, 30_000);
  assert.deepEqual((await query(d.url, 'SELECT n FROM t')).rows.map((x) => x.n), [42]);
  await d.db.waitUntilReplicated(60_000);
  assert.equal(d.db.status().synchronousStandbys.length, 2, 'both standbys follow the new primary');
});
