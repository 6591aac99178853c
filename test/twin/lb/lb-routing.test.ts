import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../../src/twin/clock.ts';
import { Backend, lbConfig, rawExchange, request, spread, startBackends, startLb, waitFor, type Harness } from './helpers.ts';

describe('load balancer routing', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.reverse()) await o.close();
  });

  async function backends(n: number, handler?: ConstructorParameters<typeof Backend>[1]): Promise<Backend[]> {
    const bs = await startBackends(n, handler);
    for (const b of bs) open.push({ close: () => b.kill() });
    return bs;
  }

  async function lbWith(bs: Backend[], over: Parameters<typeof lbConfig>[0] = {}, extra: Parameters<typeof startLb>[1] = {}): Promise<Harness> {
    const h = await startLb(lbConfig(over), extra);
    open.push(h.lb);
    for (const b of bs) h.lb.registerTarget(b.ref());
    await waitFor('targets healthy', () => bs.every((b) => h.lb.isHealthy(b.ref().id) === true));
    return h;
  }

  it('GIVEN three healthy targets and round robin WHEN 300 requests are sent THEN each target gets 100', async () => {
    const bs = await backends(3);
    const h = await lbWith(bs);
    const counts = await spread(h.port, 300);
    assert.deepEqual([...counts.entries()].sort(), [
      ['a', 100],
      ['b', 100],
      ['c', 100],
    ]);
  });

  it('GIVEN least outstanding requests and one target stuck on a request WHEN more requests come THEN they go to the idle target', async () => {
    const held: http.ServerResponse[] = [];
    const [slow, fast] = await backends(2);
    slow!.handler = (_req, res) => held.push(res);
    const h = await lbWith([slow!, fast!], { algorithm: 'least_outstanding_requests' });
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const fastBefore = fast!.hits;
      const slowBefore = slow!.hits;
      const p = request(h.port);
      pending.push(p);
      await waitFor('the request to arrive', () => fast!.hits + slow!.hits > fastBefore + slowBefore);
      // The fast target's answer is back before the next pick; the slow one's never is.
      if (fast!.hits > fastBefore) await p;
    }
    assert.ok(slow!.hits <= 2, `the busy target got ${slow!.hits} of 20`);
    assert.ok(fast!.hits >= 18);
    for (const r of held) r.end('late');
    await Promise.all(pending);
  });

  it('GIVEN slow start WHEN a new target joins a healthy one THEN its share ramps linearly over the window', async () => {
    const clock = new FakeClock();
    const [a, b] = await backends(2);
    const h = await startLb(lbConfig({ slowStart: 100, healthCheck: { interval: 1000 } }), { clock });
    open.push(h.lb);
    h.lb.registerTarget(a!.ref());
    await waitFor('a healthy', () => h.lb.isHealthy(a!.ref().id) === true);
    h.lb.registerTarget(b!.ref());
    await waitFor('b healthy', () => h.lb.isHealthy(b!.ref().id) === true);
    const shareOfB = async () => (await spread(h.port, 200)).get('b') ?? 0;
    clock.advance(10_000);
    const at10 = await shareOfB();
    clock.advance(40_000);
    const at50 = await shareOfB();
    clock.advance(60_000);
    const after = await shareOfB();
    // Weights 0.1 → 9 %, 0.5 → 33 %, then an even split.
    assert.ok(at10 >= 10 && at10 <= 30, `at 10 %: ${at10}/200`);
    assert.ok(at50 >= 50 && at50 <= 84, `at 50 %: ${at50}/200`);
    assert.ok(after >= 90 && after <= 110, `after: ${after}/200`);
    assert.ok(h.events.some((e) => e.type === 'target-healthy' && /slow start/.test(e.message)));
  });

  it('GIVEN every target unhealthy WHEN requests come THEN the load balancer fails open to all of them, and stops once one recovers', async () => {
    const bs = await backends(2);
    const h = await lbWith(bs, { healthCheck: { interval: 0.1, timeout: 0.08, healthyThreshold: 2, unhealthyThreshold: 2 } });
    for (const b of bs) b.ready = false;
    await waitFor('both unhealthy', () => bs.every((b) => h.lb.isHealthy(b.ref().id) === false), 5_000);
    const counts = await spread(h.port, 20);
    assert.deepEqual([...counts.entries()].sort(), [
      ['a', 10],
      ['b', 10],
    ]);
    assert.ok(h.events.some((e) => e.type === 'fail-open'));
    bs[0]!.ready = true;
    await waitFor('a healthy again', () => h.lb.isHealthy(bs[0]!.ref().id) === true, 5_000);
    assert.deepEqual([...(await spread(h.port, 10)).entries()], [['a', 10]]);
    assert.ok(h.events.some((e) => e.type === 'fail-open-ended'));
  });

  it('GIVEN a target with a request in flight WHEN it is deregistered THEN that request finishes, no new one reaches it, and deregistration resolves', async () => {
    const held: http.ServerResponse[] = [];
    const [a, b] = await backends(2);
    const h = await lbWith([a!, b!]);
    a!.handler = (req, res) => (req.url === '/hold' ? held.push(res) : res.end('a'));
    // Round robin starts at a.
    const inFlight = request(h.port, '/hold');
    await waitFor('the held request', () => held.length === 1);
    let resolved = false;
    const dereg = h.lb.deregisterTarget(a!.ref().id).then(() => (resolved = true));
    assert.equal(h.lb.targetHealth().find((t) => t.id === a!.ref().id)?.state, 'draining');
    assert.equal(h.lb.targetHealth().find((t) => t.id === a!.ref().id)?.reason, 'Target.DeregistrationInProgress');
    const counts = await spread(h.port, 10);
    assert.deepEqual([...counts.entries()], [['b', 10]]);
    assert.equal(resolved, false);
    held[0]!.end('finished');
    assert.equal((await inFlight).body, 'finished');
    await dereg;
    assert.equal(h.lb.targetHealth().some((t) => t.id === a!.ref().id), false);
    assert.ok(h.events.some((e) => e.type === 'target-deregistered'));
  });

  it('GIVEN a draining target whose request outlasts the deregistration delay WHEN the delay runs out THEN the request is cut (502) and the target removed', async () => {
    const clock = new FakeClock();
    const [a] = await backends(1);
    a!.handler = () => {};
    const h = await lbWith([a!], { deregistrationDelay: 30 }, { clock });
    const inFlight = request(h.port, '/forever');
    await waitFor('the request to arrive', () => a!.hits === 1);
    const dereg = h.lb.deregisterTarget(a!.ref().id);
    clock.advance(30_000);
    await dereg;
    const r = await inFlight;
    assert.equal(r.status, 502);
    assert.equal(h.lb.targetHealth().length, 0);
  });

  it('GIVEN a client with its own X-Forwarded-For WHEN the request is forwarded THEN X-Forwarded-For is appended, Proto/Port set, a trace id added and Host kept', async () => {
    const [a] = await backends(1, (req, res) => res.end(JSON.stringify(req.headers)));
    const h = await lbWith([a!]);
    const r = await request(h.port, '/', { headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '1', Host: 'app.example' } });
    const seen = JSON.parse(r.body) as Record<string, string>;
    assert.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-port'], String(h.port));
    assert.equal(seen.host, 'app.example');
    assert.match(seen['x-amzn-trace-id'] ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const plain = JSON.parse((await request(h.port)).body) as Record<string, string>;
    assert.equal(plain['x-forwarded-for'], '127.0.0.1');
    const kept = JSON.parse((await request(h.port, '/', { headers: { 'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000001' } })).body) as Record<string, string>;
    assert.equal(kept['x-amzn-trace-id'], 'Root=1-00000000-000000000000000000000001');
  });

  it('GIVEN a large chunked upload and a large streamed answer WHEN proxied THEN both bodies arrive whole', async () => {
    const [a] = await backends(1, (req, res) => {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
      });
      req.on('end', () => {
        res.setHeader('x-got', `${n}:${hash.digest('hex')}`);
        // 4 MiB back, chunked, in pieces.
        let left = 64;
        const piece = Buffer.alloc(64 * 1024, 0x61);
        const push = () => {
          while (left > 0) {
            left--;
            if (!res.write(piece)) return void res.once('drain', push);
          }
          res.end();
        };
        push();
      });
    });
    const h = await lbWith([a!]);
    const upload = Buffer.alloc(3 * 1024 * 1024 + 7, 0x62);
    const result = await new Promise<{ got: string; len: number }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/up', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let len = 0;
        res.on('data', (c: Buffer) => (len += c.length));
        res.on('end', () => resolve({ got: String(res.headers['x-got']), len }));
      });
      req.on('error', reject);
      for (let i = 0; i < upload.length; i += 100_000) req.write(upload.subarray(i, i + 100_000));
      req.end();
    });
    assert.equal(result.got, `${upload.length}:${createHash('sha256').update(upload).digest('hex')}`);
    assert.equal(result.len, 64 * 64 * 1024);
  });

  it('GIVEN pipelined requests on one connection WHEN sent at once THEN the answers come back in order', async () => {
    const [a] = await backends(1, (req, res) => res.end(`you asked ${req.url}`));
    const h = await lbWith([a!]);
    const reqs = ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') + 'GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const { text, closed } = await rawExchange(h.port, reqs);
    assert.deepEqual(text.match(/you asked \/\d/g), ['you asked /1', 'you asked /2', 'you asked /3', 'you asked /4']);
    assert.equal(closed, true);
  });

  it('GIVEN a target that died before its health check noticed WHEN its connection is refused THEN the request is retried once on another target', async () => {
    const [a, b] = await backends(2);
    const h = await lbWith([a!, b!], { healthCheck: { interval: 60, timeout: 5 } });
    await a!.kill();
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(h.port, '/', { method: 'POST', body: 'payload' })));
    assert.deepEqual(
      replies.map((r) => `${r.status} ${r.body}`),
      Array(6).fill('200 b'),
    );
    await h.lb.close();
    assert.ok(h.metrics.some((m) => m.name === 'TargetConnectionErrorCount' && m.value >= 1));
  });

  it('GIVEN a WebSocket-style upgrade WHEN the target answers 101 THEN bytes flow both ways through the tunnel', async () => {
    const [a] = await backends(1);
    a!.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    const h = await lbWith([a!]);
    const s = net.connect({ host: '127.0.0.1', port: h.port });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    await waitFor('101', () => got.includes('101 Switching Protocols'));
    s.write('ping');
    await waitFor('echo', () => got.endsWith('echo:ping'));
    assert.equal(h.lb.targetHealth()[0]!.inFlight, 1, 'an open tunnel counts as in flight');
    s.destroy();
    await waitFor('tunnel closed', () => h.lb.targetHealth()[0]!.inFlight === 0);
  });
});
