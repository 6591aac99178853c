import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isHastackError } from '../../src/errors.ts';
import {
  classifyWriteError,
  prepareWriteTable,
  startWriteLoad,
  verifyWrites,
  writeUnavailability,
  type WriteRecord,
} from '../../src/resilience/db-writes.ts';
import { findPostgresBinaries, PostgresNode } from '../../src/twin/db/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const rec = (seq: number, outcome: WriteRecord['outcome'], startedAt: number, endedAt: number): WriteRecord => ({
  seq,
  key: `k-${seq}`,
  outcome,
  startedAt,
  endedAt,
});

describe('write classification (pure)', () => {
  it('GIVEN an error while connecting THEN the write failed, keeping the SQLSTATE', () => {
    const starting = Object.assign(new pg.DatabaseError('the database system is starting up', 0, 'error'), { code: '57P03', severity: 'FATAL' });
    assert.deepEqual(classifyWriteError(starting, 'connect'), { outcome: 'failed', error: 'the database system is starting up', sqlstate: '57P03' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(classifyWriteError(refused, 'connect').outcome, 'failed');
    assert.equal(classifyWriteError(new Error('timeout expired'), 'connect').outcome, 'failed');
  });

  it('GIVEN a server error answering the statement THEN it failed, unless the code leaves the commit uncertain', () => {
    const ro = Object.assign(new pg.DatabaseError('cannot execute INSERT in a read-only transaction', 0, 'error'), { code: '25006', severity: 'ERROR' });
    assert.deepEqual(classifyWriteError(ro, 'query'), { outcome: 'failed', error: ro.message, sqlstate: '25006' });
    const unknown = Object.assign(new pg.DatabaseError('completion unknown', 0, 'error'), { code: '40003', severity: 'ERROR' });
    assert.equal(classifyWriteError(unknown, 'query').outcome, 'indeterminate');
    const io = Object.assign(new pg.DatabaseError('could not fsync', 0, 'error'), { code: '58030', severity: 'ERROR' });
    assert.equal(classifyWriteError(io, 'query').outcome, 'indeterminate');
    const panic = Object.assign(new pg.DatabaseError('panic', 0, 'error'), { code: '53100', severity: 'PANIC' });
    assert.equal(classifyWriteError(panic, 'query').outcome, 'indeterminate');
  });

  it('GIVEN the connection broke or timed out after the statement was sent THEN the write is indeterminate (a query pg refused to send failed)', () => {
    assert.equal(classifyWriteError(new Error('Connection terminated unexpectedly'), 'query').outcome, 'indeterminate');
    assert.equal(classifyWriteError(new Error('Query read timeout'), 'query').outcome, 'indeterminate');
    assert.equal(classifyWriteError(new Error('Client has encountered a connection error and is not queryable'), 'query').outcome, 'failed');
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.deepEqual(classifyWriteError(reset, 'query'), { outcome: 'indeterminate', error: 'read ECONNRESET' });
  });
});

describe('write unavailability (pure)', () => {
  it('GIVEN ok writes, a gap of failures, ok writes THEN it is last ok before the fault → first ok after', () => {
    const r = [rec(0, 'ok', 900, 910), rec(1, 'ok', 990, 995), rec(2, 'indeterminate', 998, 1_010), rec(3, 'failed', 1_100, 1_101), rec(4, 'ok', 2_400, 2_450), rec(5, 'ok', 2_500, 2_505)];
    assert.deepEqual(writeUnavailability(r, 1_000), { lastOkBefore: 995, firstOkAfter: 2_450, ms: 1_455 });
  });

  it('GIVEN a write that slipped through just after the kill THEN it does not close the window', () => {
    const r = [rec(0, 'ok', 990, 995), rec(1, 'ok', 1_001, 1_003), rec(2, 'failed', 1_004, 1_005), rec(3, 'ok', 3_000, 3_010)];
    assert.deepEqual(writeUnavailability(r, 1_000), { lastOkBefore: 995, firstOkAfter: 3_010, ms: 2_015 });
  });

  it('GIVEN no failure at all THEN the window is the gap around the fault; none ok after THEN undefined', () => {
    assert.deepEqual(writeUnavailability([rec(0, 'ok', 990, 995), rec(1, 'ok', 1_005, 1_010)], 1_000), { lastOkBefore: 995, firstOkAfter: 1_010, ms: 15 });
    assert.deepEqual(writeUnavailability([rec(0, 'ok', 990, 995), rec(1, 'failed', 1_005, 1_010)], 1_000), { lastOkBefore: 995, firstOkAfter: undefined, ms: undefined });
  });
});

describe('write load options', () => {
  it('GIVEN a non-loopback host or bad options THEN a coded user error names the field', async () => {
    const expectCode = (fn: () => unknown, code: string, re: RegExp) =>
      assert.throws(fn, (e: unknown) => isHastackError(e) && e.code === code && e.source === 'user' && re.test(e.message));
    expectCode(() => startWriteLoad({ connectionString: 'postgresql://u:p@10.0.0.5:5432/db', ratePerSecond: 10 }), 'HASTACK_LOAD_NOT_LOOPBACK', /host "10\.0\.0\.5"/);
    expectCode(() => startWriteLoad({ connectionString: 'postgresql://u:p@127.0.0.1:5432/db?host=db.example.com', ratePerSecond: 10 }), 'HASTACK_LOAD_NOT_LOOPBACK', /db\.example\.com/);
    expectCode(() => startWriteLoad({ connectionString: 'postgresql://u:p@127.0.0.1:5432/db', ratePerSecond: 0 }), 'HASTACK_LOAD_BAD_OPTIONS', /ratePerSecond: received 0/);
    expectCode(() => startWriteLoad({ connectionString: 'postgresql://u:p@127.0.0.1:5432/db', ratePerSecond: 5, table: 'x; DROP' }), 'HASTACK_LOAD_BAD_OPTIONS', /^table:/);
    expectCode(() => startWriteLoad({ connectionString: 'host=127.0.0.1', ratePerSecond: 5 }), 'HASTACK_LOAD_BAD_OPTIONS', /connectionString/);
    expectCode(() => startWriteLoad({ connectionString: 'postgresql:///db', ratePerSecond: 5 }), 'HASTACK_LOAD_BAD_OPTIONS', /no host/);
    await assert.rejects(verifyWrites('postgresql://u:p@192.168.1.1/db', []), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_LOAD_NOT_LOOPBACK');
  });

  it('GIVEN nothing listens THEN every write fails fast, maxWrites bounds the load and it stops by itself', async () => {
    const load = startWriteLoad({ connectionString: 'postgresql://u:p@127.0.0.1:1/db', ratePerSecond: 200, maxWrites: 20, connectTimeoutMs: 500 });
    await waitFor('20 writes', () => load.records().length === 20, 10_000);
    const records = await load.stop();
    assert.equal(records.length, 20);
    assert.ok(records.every((r) => r.outcome === 'failed' && r.endedAt >= r.startedAt), JSON.stringify(records[0]));
    assert.deepEqual(records.map((r) => r.seq), [...Array(20).keys()]);
  });
});

describe('write load against a real PostgreSQL', () => {
  let root: string;
  let node: PostgresNode;
  let url: string;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-writes-test-'));
    await chmod(root, 0o711); // the unprivileged server user (when root) passes through
    node = new PostgresNode({ name: 'db-w', zone: 'local-1a', dataDir: path.join(root, 'db-w', 'data'), binaries: await findPostgresBinaries() });
    await node.init();
    await node.start();
    url = node.connectionString();
    await prepareWriteTable(url);
    await prepareWriteTable(url); // idempotent
  });

  after(async () => {
    await node?.remove().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a healthy server THEN every write is ok and present once, and a row written twice shows as duplicated', async () => {
    const load = startWriteLoad({ connectionString: url, ratePerSecond: 100, maxWrites: 60 });
    await waitFor('60 writes', () => load.records().length === 60, 15_000);
    const records = await load.stop();
    assert.equal(records.filter((r) => r.outcome === 'ok').length, 60);
    const v = await verifyWrites(url, records);
    assert.deepEqual({ ...v, missing: v.missing.length, failedButPresent: v.failedButPresent.length }, {
      acknowledged: 60,
      missing: 0,
      duplicated: [],
      failedButPresent: 0,
      indeterminatePresent: 0,
      indeterminateAbsent: 0,
    });
    const c = new pg.Client(node.clientConfig());
    await c.connect();
    try {
      await c.query('INSERT INTO hastack_writes (key, seq) VALUES ($1, 7)', [records[7]!.key]);
      await c.query('DELETE FROM hastack_writes WHERE key = $1', [records[8]!.key]);
    } finally {
      await c.end();
    }
    const v2 = await verifyWrites(url, records);
    assert.deepEqual(v2.duplicated, [records[7]!.key]);
    assert.deepEqual(v2.missing.map((r) => r.seq), [8]);
  });

  it('GIVEN a read-only database THEN writes fail with SQLSTATE 25006 and none is present', async () => {
    const c = new pg.Client(node.clientConfig());
    await c.connect();
    try {
      await c.query('ALTER DATABASE postgres SET default_transaction_read_only = on');
      const load = startWriteLoad({ connectionString: url, ratePerSecond: 50, maxWrites: 10 });
      await waitFor('10 writes', () => load.records().length === 10, 10_000);
      const records = await load.stop();
      assert.ok(records.every((r) => r.outcome === 'failed' && r.sqlstate === '25006'), JSON.stringify(records[0]));
      const v = await verifyWrites(url, records);
      assert.equal(v.failedButPresent.length, 0);
    } finally {
      await c.query('ALTER DATABASE postgres RESET default_transaction_read_only').catch(() => undefined);
      await c.end();
    }
  });

  it('GIVEN writes stuck behind a lock WHEN they time out THEN they are indeterminate, and do commit once the lock goes', async () => {
    const locker = new pg.Client(node.clientConfig());
    await locker.connect();
    const load = startWriteLoad({ connectionString: url, ratePerSecond: 50, maxInFlight: 2, queryTimeoutMs: 300, maxWrites: 1_000 });
    let records: readonly WriteRecord[] = [];
    try {
      await waitFor('a few ok writes', () => load.records().filter((r) => r.outcome === 'ok').length >= 5, 10_000);
      await locker.query('BEGIN; LOCK TABLE hastack_writes IN ACCESS EXCLUSIVE MODE');
      await waitFor('indeterminate writes', () => load.records().filter((r) => r.outcome === 'indeterminate').length >= 2, 10_000);
      await locker.query('COMMIT');
      await waitFor('ok writes after the lock', () => load.records().slice(-3).every((r) => r.outcome === 'ok'), 15_000);
    } finally {
      records = await load.stop();
      await locker.end();
    }
    const v = await verifyWrites(url, records);
    const ind = records.filter((r) => r.outcome === 'indeterminate');
    assert.ok(ind.every((r) => r.error === 'Query read timeout'), JSON.stringify(ind[0]));
    assert.equal(v.indeterminatePresent + v.indeterminateAbsent, ind.length);
    // The server went on with the INSERTs the client gave up on: "indeterminate" is not "failed".
    assert.ok(v.indeterminatePresent >= 1, `indeterminate present ${v.indeterminatePresent} of ${ind.length}`);
    assert.equal(v.missing.length, 0);
    assert.deepEqual(v.duplicated, []);
  });

  it('GIVEN a load WHEN the server is SIGKILLed and restarted THEN no ok write is missing, none twice, and the gap is measured', async (t) => {
    const load = startWriteLoad({ connectionString: url, ratePerSecond: 100, connectTimeoutMs: 500, queryTimeoutMs: 2_000 });
    let faultAt = 0;
    let restartedAt = 0;
    let records: readonly WriteRecord[] = [];
    try {
      await waitFor('ok writes before the kill', () => load.records().filter((r) => r.outcome === 'ok').length >= 50, 15_000);
      faultAt = Date.now();
      node.kill('SIGKILL', { group: true });
      await node.waitForExit();
      await sleep(800);
      await node.start();
      restartedAt = Date.now();
      await waitFor('ok writes after the restart', () => load.records().filter((r) => r.outcome === 'ok' && r.startedAt > restartedAt).length >= 20, 15_000);
    } finally {
      records = await load.stop();
    }
    const v = await verifyWrites(url, records);
    const count = (o: WriteRecord['outcome']) => records.filter((r) => r.outcome === o).length;
    const before = records.filter((r) => r.outcome === 'ok' && r.endedAt <= faultAt);
    assert.ok(before.length >= 50);
    assert.deepEqual(v.missing, [], 'an acknowledged write is missing');
    assert.deepEqual(v.duplicated, []);
    assert.deepEqual(v.failedButPresent, [], 'a write recorded failed is present');
    assert.ok(count('failed') > 0, 'writes during the outage should fail to connect');
    const u = writeUnavailability(records, faultAt);
    t.diagnostic(`ok ${count('ok')}, failed ${count('failed')}, indeterminate ${count('indeterminate')} (present ${v.indeterminatePresent}); unavailability ${u.ms} ms`);
    assert.ok(u.ms !== undefined && u.ms >= 800, `unavailability ${u.ms} ms should cover the 800 ms the server was down`);
    assert.ok(u.firstOkAfter! >= faultAt + 800 && u.lastOkBefore! <= faultAt);
    assert.ok(u.ms < restartedAt - faultAt + 5_000, `unavailability ${u.ms} ms`);
  });
});
