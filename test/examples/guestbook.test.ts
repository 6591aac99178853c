import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { ImdsServer, twinInstanceMetadata } from '../../src/twin/compute/imds-server.ts';
import { freePort } from '../../src/util/free-port.ts';
import { postJson, startApp, startGuestbookDatabase, until, type GuestbookDatabase, type RunningApp } from './guestbook-harness.ts';

const INSTANCE_ID = 'i-0123456789abcdef0';
const ZONE = 'local-1b';

describe('guestbook example app', () => {
  let gdb: GuestbookDatabase;
  let imds: ImdsServer;
  let databaseUrl: string;
  let metadataEndpoint: string;
  let app: RunningApp;
  const apps: RunningApp[] = [];

  const launch = async (env: Record<string, string> = {}): Promise<RunningApp> => {
    const a = await startApp({ DATABASE_URL: databaseUrl, AWS_EC2_METADATA_SERVICE_ENDPOINT: metadataEndpoint, ...env });
    apps.push(a);
    return a;
  };

  before(async () => {
    gdb = await startGuestbookDatabase();
    databaseUrl = gdb.databaseUrl;
    // The twin's own IMDSv2 endpoint (tokens required), the one the app meets on the twin.
    imds = new ImdsServer(twinInstanceMetadata(INSTANCE_ID, ZONE, 'local-1', Date.now()));
    metadataEndpoint = await imds.start();
    // A short readiness grace, so the database-stopped case below turns "not ready" quickly; the
    // grace itself is tested in guestbook-failover.test.ts.
    app = await launch({ READINESS_DB_GRACE_MS: '1000' });
    await until('the app to be ready', async () => ((await fetch(`${app.base}/readyz`)).status === 200 ? true : undefined));
  });

  after(async () => {
    for (const a of apps) await a.kill();
    await imds?.close();
    await gdb?.remove();
  });

  it('GIVEN the metadata endpoint WHEN any path is requested THEN X-Instance-Id and X-Availability-Zone name this instance, and the page says who served it', async () => {
    for (const p of ['/', '/entries', '/healthz', '/no-such-page']) {
      const r = await fetch(app.base + p);
      await r.arrayBuffer();
      assert.equal(r.headers.get('x-instance-id'), INSTANCE_ID, p);
      assert.equal(r.headers.get('x-availability-zone'), ZONE, p);
    }
    const html = await (await fetch(app.base + '/')).text();
    assert.match(html, new RegExp(`served by ${INSTANCE_ID} in ${ZONE}`));
  });

  it('GIVEN an Idempotency-Key WHEN the same entry is posted twice THEN the first creates (201), the replay returns the same entry (200), and one entry exists', async () => {
    const key = randomUUID();
    const body = { name: 'Ada', message: `only once ${key}` };
    const first = await postJson(app.base, body, { 'Idempotency-Key': key });
    assert.equal(first.status, 201);
    const created = ((await first.json()) as { entry: { id: number; instanceId: string; zone: string } }).entry;
    assert.equal(created.instanceId, INSTANCE_ID);
    assert.equal(created.zone, ZONE);
    const replay = await postJson(app.base, body, { 'Idempotency-Key': key });
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await replay.json()) as { entry: { id: number } }).entry.id, created.id);
    const list = (await (await fetch(`${app.base}/entries`)).json()) as { entries: { message: string }[] };
    assert.equal(list.entries.filter((e) => e.message === body.message).length, 1);
  });

  it('GIVEN concurrent posts with one key WHEN they race THEN exactly one entry is created', async () => {
    const key = randomUUID();
    const body = { name: 'Racer', message: `race ${key}` };
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => postJson(app.base, body, { 'Idempotency-Key': key })))).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, String(statuses));
    assert.equal(statuses.filter((s) => s === 200).length, 7, String(statuses));
  });

  it('GIVEN a key already used WHEN posted with a different entry THEN 422 names the key', async () => {
    const key = randomUUID();
    assert.equal((await postJson(app.base, { name: 'A', message: 'first' }, { 'Idempotency-Key': key })).status, 201);
    const r = await postJson(app.base, { name: 'A', message: 'second' }, { 'Idempotency-Key': key });
    assert.equal(r.status, 422);
    const body = (await r.json()) as { error: string; field: string };
    assert.equal(body.error, 'idempotency_key_reused');
    assert.equal(body.field, 'Idempotency-Key');
  });

  it('GIVEN invalid entries WHEN posted THEN 400 lists every problem with field, received and expected', async () => {
    const cases: { body: unknown; problems: [string, string, RegExp][] }[] = [
      { body: { message: 'hi' }, problems: [['name', 'missing', /nothing/]] },
      { body: { name: 42, message: 'x'.repeat(501) }, problems: [['name', 'wrong type', /number \(42\)/], ['message', 'too long', /501 characters/]] },
      { body: { name: '   ', message: 'hi' }, problems: [['name', 'empty', /whitespace/]] },
      { body: { name: 'A', message: 'nul \u0000 inside' }, problems: [['message', 'invalid characters', /control/]] },
      { body: ['not', 'an', 'object'], problems: [['(body)', 'wrong type', /array/]] },
    ];
    for (const c of cases) {
      const r = await postJson(app.base, c.body);
      assert.equal(r.status, 400, JSON.stringify(c.body));
      const got = (await r.json()) as { error: string; problems: { field: string; problem: string; received: string; expected: string }[] };
      assert.equal(got.error, 'invalid_entry');
      assert.deepEqual(got.problems.map((p) => [p.field, p.problem]), c.problems.map(([f, p]) => [f, p]));
      c.problems.forEach(([, , received], i) => assert.match(got.problems[i]!.received, received));
      assert.ok(got.problems.every((p) => p.expected.length > 0));
    }
    const badKey = await postJson(app.base, { name: 'A', message: 'b' }, { 'Idempotency-Key': 'has spaces in it' });
    assert.equal(badKey.status, 400);
    assert.equal(((await badKey.json()) as { problems: { field: string }[] }).problems[0]!.field, 'Idempotency-Key');
  });

  it('GIVEN malformed requests WHEN posted THEN bad JSON is 400, a wrong content type 415, a large body 413', async () => {
    const badJson = await postJson(app.base, '{"name": ');
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { error: string }).error, 'invalid_json');

    const text = await fetch(`${app.base}/entries`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    const t = (await text.json()) as { received: string; expected: string[] };
    assert.equal(t.received, 'text/plain');
    assert.ok(t.expected.includes('application/json'));

    const big = await postJson(app.base, { name: 'A', message: 'x'.repeat(20_000) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: string }).error, 'payload_too_large');
  });

  it('GIVEN an entry with markup WHEN the page is rendered THEN the markup is escaped', async () => {
    const evil = `<script>alert("x${randomUUID()}")</script>`;
    assert.equal((await postJson(app.base, { name: '<b>bold</b>', message: evil })).status, 201);
    const r = await fetch(`${app.base}/`);
    const html = await r.text();
    assert.ok(!html.includes('<script>'), 'raw <script> in the page');
    assert.ok(!html.includes('<b>bold</b>'));
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x'));
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  it('GIVEN the HTML form WHEN submitted twice with its hidden key THEN it redirects to / and makes one entry', async () => {
    const page = await (await fetch(`${app.base}/`)).text();
    const key: string = /name="idempotency_key" value="([^"]+)"/.exec(page)?.[1] ?? '';
    assert.notEqual(key, '', 'the form carries an idempotency key');
    const message = `from the form ${key}`;
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${app.base}/entries`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Form', message, idempotency_key: key }).toString(),
        redirect: 'manual',
      });
      assert.equal(r.status, 303);
      assert.equal(r.headers.get('location'), '/');
    }
    const list = (await (await fetch(`${app.base}/entries`)).json()) as { entries: { message: string }[] };
    assert.equal(list.entries.filter((e) => e.message === message).length, 1);
  });

  it('GIVEN load endpoints WHEN called THEN /work burns the asked time, /slow waits, and out-of-range values are 400', async () => {
    const t0 = Date.now();
    const work = await fetch(`${app.base}/work?ms=150`);
    assert.equal(work.status, 200);
    assert.ok(Date.now() - t0 >= 150);
    assert.equal((await fetch(`${app.base}/work?ms=2001`)).status, 400);
    assert.equal((await fetch(`${app.base}/slow?ms=abc`)).status, 400);
    const slow = await fetch(`${app.base}/slow?ms=100`);
    assert.deepEqual(await slow.json(), { waitedMs: 100 });
  });

  it('GIVEN a running app WHEN the database stays stopped past the readiness grace THEN /readyz turns 503 with a reason while /healthz stays 200, and 200 again once it is back', async () => {
    assert.equal((await fetch(`${app.base}/readyz`)).status, 200);
    await gdb.node.stop({ mode: 'fast' });
    try {
      const reason = await until<string>('readyz 503', async () => {
        const r = await fetch(`${app.base}/readyz`);
        const text = await r.text();
        return r.status === 503 ? text : undefined;
      });
      assert.match(reason, /^not ready: database unreachable for \d+\.\d s/);
      const health = await fetch(`${app.base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await health.text()).trim(), 'ok');
      // Refused while connecting: nothing was written, so it is plainly unavailable, not "unknown".
      const write = await postJson(app.base, { name: 'A', message: 'while down' });
      assert.equal(write.status, 503);
      assert.equal(((await write.json()) as { error: string }).error, 'database_unavailable');
    } finally {
      await gdb.node.start();
    }
    await until('readyz 200', async () => ((await fetch(`${app.base}/readyz`)).status === 200 ? true : undefined));
    assert.equal((await postJson(app.base, { name: 'A', message: 'back again' })).status, 201);
  });

  it('GIVEN a request in flight WHEN the app gets SIGTERM THEN that request completes, new connections are refused, and it exits 0', async () => {
    const b = await launch();
    const slow = fetch(`${b.base}/slow?ms=1500`);
    await new Promise((r) => setTimeout(r, 200));
    b.child.kill('SIGTERM');
    await until('shutdown to begin', async () => (/SIGTERM received/.test(b.output()) ? true : undefined), 5_000);
    await assert.rejects(fetch(`${b.base}/healthz`));
    const r = await slow;
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { waitedMs: 1500 });
    assert.equal(await b.exited, 0);
    assert.match(b.output(), /stopped/);
  });

  it('GIVEN a request longer than SHUTDOWN_TIMEOUT_SECONDS WHEN the app gets SIGTERM THEN it exits 1 at the deadline', async () => {
    const c = await launch({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const slow = fetch(`${c.base}/slow?ms=10000`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 1);
    assert.ok(Date.now() - t0 < 5_000);
    assert.match(c.output(), /deadline/);
    await slow;
  });

  it('GIVEN no metadata service WHEN the app starts THEN it falls back to the hostname and zone "unknown" and says so on stderr', async () => {
    const port = await freePort(); // nothing listens there
    const d = await launch({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` });
    const r = await fetch(`${d.base}/healthz`);
    assert.equal(r.headers.get('x-instance-id'), os.hostname());
    assert.equal(r.headers.get('x-availability-zone'), 'unknown');
    assert.match(d.output(), /instance metadata unavailable/);
  });
});
