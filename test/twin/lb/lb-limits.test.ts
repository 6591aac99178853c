import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Backend, delay, lbConfig, rawExchange, request, startLb, waitFor, type Harness } from './helpers.ts';

describe('load balancer limits and hostile clients', () => {
  let b: Backend;
  let h: Harness;
  before(async () => {
    b = await new Backend('a').start();
    // A 1 s idle timeout makes the header deadline 1 s too, so slow clients are seen quickly.
    h = await startLb(lbConfig({ idleTimeout: 1, healthCheck: { interval: 60, timeout: 5 } }));
    h.lb.registerTarget(b.ref());
    await waitFor('healthy', () => h.lb.isHealthy(b.ref().id) === true);
  });
  after(async () => {
    await h.lb.close();
    await b.kill();
  });

  async function stillServes(): Promise<void> {
    const r = await request(h.port);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a');
  }

  it('GIVEN headers over 64 KiB WHEN sent THEN the answer is 400, the connection closes, and the load balancer still serves', async () => {
    const big = `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 10 }, (_, i) => `X-Fill-${i}: ${'a'.repeat(7000)}\r\n`).join('')}\r\n`;
    assert.ok(big.length > 64 * 1024);
    const { text, closed } = await rawExchange(h.port, big);
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(text, /Connection: close/);
    assert.equal(closed, true);
    assert.equal(b.hits, 0, 'nothing reached the target');
    await stillServes();
  });

  it('GIVEN a header stream that never ends WHEN more than 64 KiB arrive THEN the answer is 400 without waiting for the end', async () => {
    const s = net.connect({ host: '127.0.0.1', port: h.port });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', () => {});
    s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    for (let i = 0; i < 20 && !got; i++) {
      s.write(`X-${i}: ${'b'.repeat(8000)}\r\n`);
      await delay(5);
    }
    await waitFor('400', () => got.startsWith('HTTP/1.1 400'));
    s.destroy();
  });

  const malformed: [string, string, number][] = [
    ['garbage', 'GARBAGE\r\n\r\n', 400],
    ['bare LF line ends', 'GET / HTTP/1.1\nHost: x\n\n', 400],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
    ['Content-Length with chunked', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['broken chunked framing', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['an unknown Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['HTTP/2 prior knowledge', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
    ['a request line over 16 KiB', `GET /${'x'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ];
  for (const [name, data, status] of malformed) {
    it(`GIVEN ${name} WHEN sent THEN the answer is ${status} and the connection closes`, async () => {
      const { text, closed } = await rawExchange(h.port, data);
      assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.equal(closed, true);
    });
  }

  it('GIVEN a slowloris client trickling its head WHEN the header deadline passes THEN it gets 408 and is closed, however often it sends', async () => {
    const s = net.connect({ host: '127.0.0.1', port: h.port });
    let got = '';
    let closed = false;
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    const started = Date.now();
    const drip = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    let i = 0;
    const timer = setInterval(() => {
      if (!closed) s.write(drip[i++ % drip.length]!);
    }, 100);
    try {
      await waitFor('the slow client to be closed', () => closed, 6_000);
    } finally {
      clearInterval(timer);
    }
    const took = Date.now() - started;
    assert.match(got, /^HTTP\/1\.1 408 /);
    assert.ok(took >= 900 && took < 5_000, `closed after ${took} ms`);
    await stillServes();
  });

  it('GIVEN an idle keep-alive connection WHEN the idle timeout passes THEN the load balancer closes it', async () => {
    const s = net.connect({ host: '127.0.0.1', port: h.port });
    let closed = false;
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', () => (closed = true));
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('the answer', () => got.endsWith('a'));
    const answered = Date.now();
    await waitFor('the idle connection to close', () => closed, 5_000);
    assert.ok(Date.now() - answered >= 800, `closed after ${Date.now() - answered} ms`);
  });

  it('GIVEN 500 connections at once, each sending a request WHEN they are served THEN all are answered and the load balancer keeps serving', async () => {
    const n = 500;
    const results = await Promise.all(
      Array.from({ length: n }, () => rawExchange(h.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 15_000)),
    );
    const ok = results.filter((r) => r.text.startsWith('HTTP/1.1 200')).length;
    assert.equal(ok, n);
    await stillServes();
  });

  it('GIVEN 500 connections that open and send nothing WHEN a real client comes THEN it is served at once', async () => {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 500; i++) {
      const s = net.connect({ host: '127.0.0.1', port: h.port });
      s.on('error', () => {});
      idle.push(s);
    }
    await Promise.all(idle.map((s) => new Promise((r) => (s.readyState === 'open' ? r(null) : s.once('connect', r)))));
    const started = Date.now();
    await stillServes();
    assert.ok(Date.now() - started < 1_000);
    for (const s of idle) s.destroy();
  });
});
