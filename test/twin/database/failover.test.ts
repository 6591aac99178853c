/**
 * RDS Multi-AZ on the twin, end to end with real PostgreSQL: failovers under a steady write load
 * lose no acknowledged write, the endpoint moves, a new standby becomes synchronous on its own, and
 * the old primary never takes a write again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { prepareWriteTable, startWriteLoad, verifyWrites, writeUnavailability, type WriteRecord } from '../../../src/resilience/db-writes.ts';
import { startTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { sleep, waitFor } from '../../helpers/twin.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function query(url: string, sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Runs one fault under load and returns the write unavailability it caused. */
async function faultUnderLoad(t: TestDatabase, records: () => readonly WriteRecord[], fault: () => void): Promise<number> {
  await t.db.waitUntilReplicated(60_000);
  const failovers = t.db.status().lastFailover?.at;
  await sleep(300);
  const at = Date.now();
  fault();
  await waitFor('a failover', () => t.db.status().lastFailover !== undefined && t.db.status().lastFailover!.at !== failovers, 30_000);
  const u = await waitFor('a write acknowledged after the fault', () => {
    const w = writeUnavailability(records(), at);
    return w.ms !== undefined ? w.ms : undefined;
  }, 30_000);
  return u;
}

test('ten SIGKILLs of the primary under write load: every acknowledged write is there once, and the endpoint moves each time', { timeout: 600_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await prepareWriteTable(d.url);
  const load = startWriteLoad({ connectionString: d.url, ratePerSecond: 100, maxWrites: 100_000 });
  const unavailable: number[] = [];
  const primaries: string[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      primaries.push(d.db.status().writerTarget!);
      unavailable.push(await faultUnderLoad(d, () => load.records(), () => d.db.faults.killPrimary()));
      assert.notEqual(d.db.status().writerTarget, primaries.at(-1), 'the endpoint leads to the new primary');
    }
    await d.db.waitUntilReplicated(60_000);
  } finally {
    await load.stop();
  }
  const records = load.records();
  const v = await verifyWrites(d.url, records);
  t.diagnostic(`writes: ${records.length}, acknowledged ${v.acknowledged}, failed ${records.filter((r) => r.outcome === 'failed').length}, indeterminate ${records.filter((r) => r.outcome === 'indeterminate').length}`);
  t.diagnostic(`write unavailability per failover (ms): ${unavailable.join(', ')}; median ${median(unavailable)}`);
  assert.ok(v.acknowledged > 500, `a steady load ran (${v.acknowledged} acknowledged)`);
  assert.deepEqual(v.missing, [], 'no acknowledged write is missing');
  assert.deepEqual(v.duplicated, [], 'no write is present twice');
  assert.deepEqual(v.failedButPresent, [], 'no write reported failed is present');
  assert.ok(median(unavailable) < 10_000, `median write unavailability ${median(unavailable)} ms`);
  const completed = d.events.filter((e) => e.type === 'failover-completed');
  assert.equal(completed.length, 10);
  assert.ok(d.events.some((e) => e.type === 'failover-started'));
});

test('a hung primary is fenced: after SIGCONT it never takes a write through the endpoint, and a new standby is synchronous', { timeout: 180_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await prepareWriteTable(d.url);
  const load = startWriteLoad({ connectionString: d.url, ratePerSecond: 100, maxWrites: 20_000 });
  const old = d.db.status().nodes.find((n) => n.role === 'primary')!;
  let u: number;
  try {
    u = await faultUnderLoad(d, () => load.records(), () => d.db.faults.hangPrimary(3));
    await sleep(4_000); // SIGCONT has been sent by now
    await d.db.waitUntilReplicated(60_000);
  } finally {
    await load.stop();
  }
  t.diagnostic(`hang: write unavailability ${u} ms`);
  const s = d.db.status();
  assert.notEqual(s.writerTarget, old.name);
  const r = await query(d.url, 'SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby');
  assert.notEqual(r.rows[0].port, old.port, 'the endpoint does not lead to the old primary');
  const again = s.nodes.find((n) => n.name === old.name);
  assert.ok(again === undefined || again.role === 'standby', `the old primary is gone or a standby (${JSON.stringify(again)})`);
  assert.ok(again === undefined || again.pid !== old.pid, 'the old primary process was fenced');
  const v = await verifyWrites(d.url, load.records());
  assert.deepEqual(v.missing, []);
  assert.deepEqual(v.duplicated, []);
  assert.equal(s.synchronousStandbys.length, 1, 'a standby is synchronous again without manual action');
});

test("the primary's zone out: failover, a standby in a third zone, and the old node removed when its zone returns", { timeout: 180_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await prepareWriteTable(d.url);
  const load = startWriteLoad({ connectionString: d.url, ratePerSecond: 100, maxWrites: 20_000 });
  const old = d.db.status().nodes.find((n) => n.role === 'primary')!;
  let u: number;
  try {
    u = await faultUnderLoad(d, () => load.records(), () => d.db.zoneOut(old.zone));
    await d.db.waitUntilReplicated(60_000);
  } finally {
    await load.stop();
  }
  t.diagnostic(`zone outage: write unavailability ${u} ms`);
  const zones = d.db.status().nodes.filter((n) => n.role !== 'stale').map((n) => n.zone);
  assert.ok(!zones.includes(old.zone), `primary and standby live outside ${old.zone}: ${zones.join(', ')}`);
  d.db.zoneBack(old.zone);
  await waitFor('the stale node removed', () => !d.db.status().nodes.some((n) => n.role === 'stale'), 30_000);
  const v = await verifyWrites(d.url, load.records());
  assert.deepEqual(v.missing, []);
});

test('standby loss: writes go on by default, and the standby comes back synchronous', { timeout: 120_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await prepareWriteTable(d.url);
  d.db.faults.killStandby();
  await waitFor('the standby dropped from the synchronous set', () => d.db.status().synchronousStandbys.length === 0, 20_000);
  await query(d.url, "INSERT INTO hastack_writes (key, seq) VALUES ('during-loss', 1)");
  await d.db.waitUntilReplicated(60_000);
  assert.ok(d.events.some((e) => e.type === 'sync-changed' && /commits go on without a synchronous standby/.test(e.message)));
});

test('strict mode: without a synchronous standby commits are refused, and accepted again once it is back', { timeout: 120_000 }, async (t) => {
  const d = await startTestDatabase({ strictSync: true });
  t.after(() => d.close());
  await prepareWriteTable(d.url);
  // Keep it down long enough to see the refusal: pause the standby's zone.
  const standby = d.db.status().nodes.find((n) => n.role === 'standby')!;
  d.db.zoneOut(standby.zone);
  await waitFor('commits refused', () => d.db.status().commitsRefused, 20_000);
  await assert.rejects(query(d.url, "INSERT INTO hastack_writes (key, seq) VALUES ('strict', 1)"), (e: { code?: string }) => e.code === '25006');
  await waitFor('a replacement standby made writes possible again', () => !d.db.status().commitsRefused && d.db.status().synchronousStandbys.length === 1, 60_000);
  await query(d.url, "INSERT INTO hastack_writes (key, seq) VALUES ('strict', 2)");
  d.db.zoneBack(standby.zone);
});

test('planned failover (reboot with failover) and RDS metrics', { timeout: 120_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  const before = d.db.status().writerTarget;
  const f = await d.db.failover();
  assert.equal(f.planned, true);
  assert.equal(f.from, before);
  assert.equal(d.db.status().writerTarget, f.to);
  await d.db.waitUntilReplicated(60_000);
  await waitFor('RDS metrics', () => {
    const names = new Set(d.metrics.listMetrics({ namespace: 'AWS/RDS' }).map((m) => m.name));
    return ['DatabaseConnections', 'CommitThroughput', 'ReplicaLag'].every((n) => names.has(n));
  }, 20_000);
});

test('bad input: a restore time that is not a time, in the future, or before the first backup gets a clear error', { timeout: 120_000 }, async (t) => {
  const d = await startTestDatabase();
  t.after(() => d.close());
  await d.db.snapshot('before-bad-input');
  await assert.rejects(d.db.snapshot('Not A Name'), /Not A Name/);
  await assert.rejects(d.db.restore('yesterday'), /yesterday/);
  await assert.rejects(d.db.restore(new Date(Date.now() + 3_600_000).toISOString()), /future/);
  await assert.rejects(d.db.restore('2000-01-01T00:00:00Z'), /earliest|before/);
  await assert.rejects(d.db.restore(new Date().toISOString(), 'Bad Name'), /--as/);
});
