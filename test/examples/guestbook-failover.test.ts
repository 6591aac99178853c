import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPool } from '../../examples/guestbook/src/database.ts';
import { createEntry } from '../../examples/guestbook/src/entries.ts';
import { OutcomeUnknownError, withRetry } from '../../examples/guestbook/src/with-retry.ts';
import { CUT_APP_SESSIONS, postJson, sleep, startApp, startGuestbookDatabase, until, type GuestbookDatabase, type RunningApp } from './guestbook-harness.ts';

/** Short enough to watch it run out, long enough for a restart of the test's database to fit in. */
const GRACE_MS = 6_000;

const LOST_LINE = /database connection lost/g;
const lostLines = (a: RunningApp) => (a.output().match(LOST_LINE) ?? []).length;

describe('guestbook through a database failover', () => {
  let gdb: GuestbookDatabase;
  let app: RunningApp;

  const count = async (message: string) =>
    Number((await gdb.superuser<{ n: string }>('SELECT count(*) AS n FROM entries WHERE message = $1', [message]))[0]!.n);

  /** Cuts the app's sessions and waits until its pool has noticed each of them. */
  const cutSessions = async (): Promise<number> => {
    const before = lostLines(app);
    const cut = (await gdb.superuser(CUT_APP_SESSIONS)).length;
    await until(`the app to notice ${cut} lost connection(s)`, async () => (lostLines(app) >= before + cut ? true : undefined));
    await until('no session of the app left', async () =>
      (await gdb.superuser("SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'guestbook%'")).length === 0 ? true : undefined,
    );
    return cut;
  };

  before(async () => {
    gdb = await startGuestbookDatabase();
    app = await startApp({ DATABASE_URL: gdb.databaseUrl, AWS_EC2_METADATA_DISABLED: 'true', READINESS_DB_GRACE_MS: String(GRACE_MS) });
    await until('the app to be ready', async () => ((await fetch(`${app.base}/readyz`)).status === 200 ? true : undefined));
  });

  after(async () => {
    await app?.kill();
    await gdb?.remove();
  });

  it('GIVEN pooled connections WHEN the database cuts them all THEN the process lives on and the next reads and writes get fresh connections', async () => {
    // Several requests at once, so the pool holds several idle connections to be cut.
    await Promise.all(Array.from({ length: 4 }, () => fetch(`${app.base}/entries`).then((r) => r.arrayBuffer())));
    const cut = await cutSessions();
    assert.ok(cut >= 1, 'the app had sessions to cut');

    assert.equal((await fetch(`${app.base}/`)).status, 200);
    assert.equal((await fetch(`${app.base}/entries`)).status, 200);
    const message = `after the cut ${randomUUID()}`;
    assert.equal((await postJson(app.base, { name: 'Cut', message })).status, 201, 'a write without a key, on a fresh connection');
    assert.equal((await postJson(app.base, { name: 'Cut', message: `${message} (keyed)` }, { 'Idempotency-Key': randomUUID() })).status, 201);
    assert.equal(await count(message), 1);
    assert.equal(app.child.exitCode, null, 'the app is still running');
  });

  it('GIVEN connections refused for a moment WHEN a read and a write without a key arrive THEN both are retried (nothing was sent) and succeed once connections are allowed again', async () => {
    const log = gdb.node.paths.logFile;
    const refusals = async () => ((await readFile(log, 'utf8')).match(/too many connections for role "guestbook"/g) ?? []).length;
    const before = await refusals();
    await gdb.superuser('ALTER ROLE guestbook CONNECTION LIMIT 0');
    try {
      await cutSessions();
      const message = `refused first ${randomUUID()}`;
      const read = fetch(`${app.base}/entries`);
      const write = postJson(app.base, { name: 'Refused', message });
      // The server logged a refusal for each request's first try: now let the retries in.
      await until('both first tries to be refused', async () => ((await refusals()) >= before + 2 ? true : undefined));
      await gdb.superuser('ALTER ROLE guestbook CONNECTION LIMIT -1');
      assert.equal((await read).status, 200);
      assert.equal((await write).status, 201);
      assert.equal(await count(message), 1);
    } finally {
      await gdb.superuser('ALTER ROLE guestbook CONNECTION LIMIT -1');
    }
  });

  it('GIVEN writes cut while their statement runs WHEN one has no key THEN it answers 503 "outcome unknown" and is not retried; the keyed one is retried and makes one entry', async () => {
    const locker = new pg.Client({ ...gdb.node.clientConfig('guestbook'), connectionTimeoutMillis: 5_000 });
    await locker.connect();
    const waiting = () => gdb.superuser("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'guestbook%' AND wait_event_type = 'Lock'");
    const noKey = `cut mid-write ${randomUUID()}`;
    const keyed = `cut mid-write, keyed ${randomUUID()}`;
    try {
      // Hold the table, so both inserts are surely on the server, waiting, when their sessions are cut.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE entries IN ACCESS EXCLUSIVE MODE');
      const a = postJson(app.base, { name: 'Cut', message: noKey });
      const b = postJson(app.base, { name: 'Cut', message: keyed }, { 'Idempotency-Key': randomUUID() });
      await until('both inserts to wait on the lock', async () => ((await waiting()).length >= 2 ? true : undefined));
      await gdb.superuser(`${CUT_APP_SESSIONS} AND wait_event_type = 'Lock'`);

      const ra = await a;
      assert.equal(ra.status, 503);
      assert.equal(ra.headers.get('retry-after'), '1');
      const body = (await ra.json()) as { error: string; message: string };
      assert.equal(body.error, 'outcome_unknown');
      assert.match(body.message, /may or may not have been saved/);
      assert.match(body.message, /Idempotency-Key/);

      await until('the keyed insert to try again', async () => ((await waiting()).length >= 1 ? true : undefined));
      await locker.query('ROLLBACK');
      assert.equal((await b).status, 201);
    } finally {
      await locker.end();
    }
    assert.equal(await count(noKey), 0, 'cut before it committed; the client could not know');
    assert.equal(await count(keyed), 1);
  });

  it('GIVEN a write that committed but lost its connection before the answer WHEN retried with its key THEN the retry returns that entry and none is added; without a key it is not retried', async () => {
    const pool = createPool(gdb.databaseUrl, 'in-process', () => undefined);
    const identity = { instanceId: 'i-in-process', zone: 'local-1a', source: 'fallback' as const };
    try {
      let tries = 0;
      const commitThenCut = (message: string, key: string | undefined) => async (db: pg.PoolClient) => {
        tries++;
        const r = await createEntry(db, { name: 'Committed', message }, key, identity);
        // The session ends on its own command, after the insert committed: the answer is lost.
        if (tries === 1) await db.query('SELECT pg_terminate_backend(pg_backend_pid()); SELECT pg_sleep(2)');
        return r;
      };

      const keyed = `committed then cut ${randomUUID()}`;
      const r = await withRetry(pool, commitThenCut(keyed, randomUUID()), { idempotent: true });
      assert.equal(tries, 2);
      assert.equal(r.kind, 'replayed', 'the retry found the entry of the first try');
      assert.equal(await count(keyed), 1);

      tries = 0;
      const noKey = `committed then cut, no key ${randomUUID()}`;
      await assert.rejects(withRetry(pool, commitThenCut(noKey, undefined), { idempotent: false }), OutcomeUnknownError);
      assert.equal(tries, 1, 'not retried');
      assert.equal(await count(noKey), 1, 'it had committed: a blind retry would have made a second entry');
    } finally {
      await pool.end();
    }
  });

  it('GIVEN a database outage of a second WHEN traffic flows THEN requests caught in it succeed by retrying, /readyz stays 200, nothing fails with a 500, and each key is one entry', async (t) => {
    type Kind = 'read' | 'write' | 'ready';
    const results: { kind: Kind; status: number; issuedAt: number; answeredAt: number; key?: string; text: string }[] = [];
    const failures: string[] = [];
    let running = true;
    const record = async (kind: Kind, p: Promise<Response>, key?: string) => {
      const issuedAt = Date.now();
      try {
        const r = await p;
        const text = await r.text();
        results.push({ kind, status: r.status, issuedAt, answeredAt: Date.now(), text, ...(key === undefined ? {} : { key }) });
      } catch (e) {
        failures.push(`${kind}: ${(e as Error).message}`);
      }
    };
    // A few clients side by side, out of step, so some requests start at every moment of the outage.
    const client = async (offsetMs: number) => {
      await sleep(offsetMs);
      while (running) {
        const key = `blip-${randomUUID()}`;
        await Promise.all([
          record('read', fetch(`${app.base}/entries`)),
          record('write', postJson(app.base, { name: 'Blip', message: key }, { 'Idempotency-Key': key }), key),
          record('ready', fetch(`${app.base}/readyz`)),
        ]);
        await sleep(100);
      }
    };
    const traffic = Promise.all([0, 120, 240].map(client));
    await sleep(500);
    await gdb.node.stop({ mode: 'fast' });
    const t0 = Date.now();
    // Halfway through, with the database surely down: a request in flight then and answered 2xx
    // can only have reached the database again after the restart, on a retry.
    const midOutage = t0 + 500;
    await sleep(1_000);
    await gdb.node.start();
    const downMs = Date.now() - t0;
    await sleep(2_500);
    running = false;
    await traffic;

    const by = (kind: Kind) => results.filter((r) => r.kind === kind);
    const ok = (r: { status: number }) => r.status >= 200 && r.status < 300;
    const during = results.filter((r) => r.kind !== 'ready' && r.issuedAt <= midOutage && r.answeredAt >= midOutage);
    t.diagnostic(
      `database down ${downMs} ms; caught in the outage: ${during.filter(ok).length}/${during.length} ok; ` +
        `in all: reads ${by('read').filter(ok).length}/${by('read').length} ok, writes ${by('write').filter(ok).length}/${by('write').length} ok`,
    );
    assert.deepEqual(failures, [], 'every request was answered');
    assert.equal(app.child.exitCode, null, 'the app is still running');
    for (const r of by('read')) assert.ok(r.status === 200 || r.status === 503, `read answered ${r.status}: ${r.text}`);
    for (const r of by('write')) assert.ok(r.status === 201 || r.status === 503, `write answered ${r.status}: ${r.text}`);
    assert.ok(during.some(ok), 'a request in flight while the database was down succeeded by retrying');
    if (downMs < GRACE_MS - 2_000) {
      assert.deepEqual(by('ready').filter((r) => r.status !== 200), [], 'an outage shorter than the grace never fails readiness');
    } else {
      t.diagnostic(`the outage took ${downMs} ms, too close to the ${GRACE_MS} ms grace to judge readiness`);
    }
    // A client retries what answered 503 with the same key: every key ends as exactly one entry.
    for (const r of by('write').filter((x) => x.status === 503)) {
      const again = await postJson(app.base, { name: 'Blip', message: r.key }, { 'Idempotency-Key': r.key! });
      assert.ok(again.status === 200 || again.status === 201, `retry of ${r.key} answered ${again.status}`);
    }
    const counts = await gdb.superuser<{ n: string }>("SELECT count(*) AS n FROM entries WHERE message LIKE 'blip-%' GROUP BY message");
    assert.equal(counts.length, by('write').length);
    assert.ok(counts.every((c) => c.n === '1'), 'one entry per key');
  });

  it('GIVEN the database down for longer than the grace WHEN probed THEN /readyz says for how long it has been unreachable, turns 503 only after the grace, /healthz stays 200, and it recovers', async () => {
    const t0 = Date.now();
    await gdb.node.stop({ mode: 'fast' });
    try {
      const within = await until('/readyz to report the outage within the grace', async () => {
        const r = await fetch(`${app.base}/readyz`);
        const text = (await r.text()).trim();
        return r.status === 200 && text.includes('database unreachable') ? text : undefined;
      });
      assert.match(within, /^ready \(database unreachable for \d+\.\d s, tolerated for up to 6\.0 s: .+\)$/);
      const notReady = await until(
        '/readyz 503',
        async () => {
          const r = await fetch(`${app.base}/readyz`);
          const text = (await r.text()).trim();
          return r.status === 503 ? text : undefined;
        },
        GRACE_MS + 10_000,
      );
      assert.ok(Date.now() - t0 >= GRACE_MS, 'not before the grace is over');
      const m = /^not ready: database unreachable for (\d+\.\d) s, longer than the 6\.0 s grace \(READINESS_DB_GRACE_MS\): .+$/.exec(notReady);
      assert.ok(m !== null, notReady);
      assert.ok(Number(m[1]) >= GRACE_MS / 1000);
      const health = await fetch(`${app.base}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await gdb.node.start();
    }
    const back = await until('/readyz 200', async () => {
      const r = await fetch(`${app.base}/readyz`);
      const text = (await r.text()).trim();
      return r.status === 200 && text === 'ready' ? text : undefined;
    });
    assert.equal(back, 'ready');
  });
});
