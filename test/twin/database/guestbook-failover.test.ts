/**
 * The reference app through a database failover on the whole twin: the guestbook keeps serving
 * reads and writes with only transient errors, and no entry is lost or duplicated.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { sleep, startTestTwin } from '../../helpers/twin.ts';

test('the guestbook survives a primary failure: every accepted entry is there once', { timeout: 240_000 }, async (t) => {
  const tt = await startTestTwin({ app: { env: { READINESS_DB_GRACE_MS: '15000' } } });
  t.after(() => tt.close());
  const url = tt.twin.endpoint;
  const accepted = new Set<string>();
  let transient = 0;
  let reads = 0;
  let readErrors = 0;
  const until = { stop: false };

  // A client that writes with an Idempotency-Key and retries the same key until it is accepted.
  const writer = async (w: number) => {
    for (let i = 0; !until.stop; i++) {
      const key = `w${w}-${i}-${randomUUID()}`;
      for (let attempt = 0; attempt < 20; attempt++) {
        const r = await fetch(`${url}/entries`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ name: `writer ${w}`, message: `entry ${i}` }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
        if (r !== undefined && (r.status === 201 || r.status === 200)) {
          await r.arrayBuffer();
          accepted.add(key);
          break;
        }
        await r?.arrayBuffer();
        transient++;
        await sleep(250);
      }
      await sleep(50);
    }
  };
  const reader = async () => {
    while (!until.stop) {
      const r = await fetch(`${url}/entries`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      reads++;
      if (r?.status !== 200) readErrors++;
      await r?.arrayBuffer();
      await sleep(100);
    }
  };
  const clients = [writer(1), writer(2), reader()];
  await sleep(2_000);
  const before = accepted.size;
  tt.twin.dbKillPrimary();
  await sleep(8_000);
  until.stop = true;
  await Promise.all(clients);
  t.diagnostic(`entries accepted: ${accepted.size} (${before} before the fault); transient write errors: ${transient}; reads: ${reads}, failed ${readErrors}`);
  assert.ok(accepted.size > before + 10, 'writes went on after the failover');
  assert.ok(readErrors < reads / 4, `reads kept working (${readErrors} of ${reads} failed)`);

  const c = new pg.Client({ connectionString: tt.twin.env()['DATABASE_URL'] });
  await c.connect();
  try {
    const rows = (await c.query<{ key: string; n: number }>('SELECT idempotency_key AS key, count(*)::int AS n FROM entries GROUP BY idempotency_key')).rows;
    const counts = new Map(rows.map((r) => [r.key, r.n]));
    const missing = [...accepted].filter((k) => !counts.has(k));
    const twice = rows.filter((r) => r.n > 1);
    assert.deepEqual(missing, [], 'no accepted entry is lost');
    assert.deepEqual(twice, [], 'no entry is duplicated');
  } finally {
    await c.end();
  }
});
