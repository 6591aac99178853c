import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { Backend, lbConfig, rawExchange, request, startLb, waitFor, type Harness } from './helpers.ts';

/** A target speaking raw TCP: a proper answer to health checks, `onRequest` for anything else. */
async function rawTarget(onRequest: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', (d: Buffer) => {
      if (d.toString('latin1').startsWith('GET /readyz ')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      else onRequest(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('load balancer error answers', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.reverse()) await o.close();
  });

  async function lb(over: Parameters<typeof lbConfig>[0] = {}): Promise<Harness> {
    const h = await startLb(lbConfig({ healthCheck: { interval: 60, timeout: 5 }, ...over }));
    open.push(h.lb);
    return h;
  }

  async function withRawTarget(onRequest: (s: net.Socket) => void, over: Parameters<typeof lbConfig>[0] = {}): Promise<Harness> {
    const t = await rawTarget(onRequest);
    open.push(t);
    const h = await lb(over);
    h.lb.registerTarget({ id: 'i-00000000000000raw', zone: 'local-1a', host: '127.0.0.1', port: t.port });
    await waitFor('healthy', () => h.lb.isHealthy('i-00000000000000raw') === true);
    return h;
  }

  function assertAlbPage(r: { status: number; headers: Record<string, unknown>; body: string }, status: number, title: string): void {
    assert.equal(r.status, status);
    assert.equal(r.headers.server, 'awselb/2.0');
    assert.equal(r.headers['content-type'], 'text/html');
    assert.ok(r.body.includes(`<title>${status} ${title}</title>`), r.body);
  }

  it('GIVEN no registered target WHEN a request comes THEN the answer is 503 with ALB\'s page, and the connection stays usable', async () => {
    const h = await lb();
    assertAlbPage(await request(h.port), 503, 'Service Temporarily Unavailable');
    const { text } = await rawExchange(h.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(text.match(/HTTP\/1\.1 503/g)?.length, 2);
    await h.lb.close();
    assert.ok(h.metrics.some((m) => m.name === 'HTTPCode_ELB_503_Count' && m.value >= 3 && m.dimensions.LoadBalancer === 'app/test/local'));
    assert.ok(h.metrics.some((m) => m.name === 'HTTPCode_ELB_5XX_Count'));
    assert.equal(h.metrics.some((m) => m.name === 'RequestCount'), false, 'requests no target was chosen for are not counted');
  });

  it('GIVEN a target that resets the connection mid-request WHEN a request comes THEN the answer is 502', async () => {
    const h = await withRawTarget((s) => s.resetAndDestroy());
    assertAlbPage(await request(h.port), 502, 'Bad Gateway');
  });

  it('GIVEN a target that closes after half a response head WHEN a request comes THEN the answer is 502', async () => {
    const h = await withRawTarget((s) => s.end('HTTP/1.1 200 OK\r\nContent-Le'));
    assertAlbPage(await request(h.port), 502, 'Bad Gateway');
  });

  it('GIVEN a target that answers garbage WHEN a request comes THEN the answer is 502', async () => {
    const h = await withRawTarget((s) => s.write('HELLO THERE\r\n\r\n'));
    assertAlbPage(await request(h.port), 502, 'Bad Gateway');
  });

  it('GIVEN a target whose body is cut short WHEN the response is underway THEN the client connection is cut, not finished', async () => {
    const h = await withRawTarget((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
    const { text, closed } = await rawExchange(h.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(text.startsWith('HTTP/1.1 200 OK'));
    assert.equal(closed, true);
  });

  it('GIVEN a target that closes to end its body (no length) WHEN proxied THEN the client gets the whole body and a close', async () => {
    const h = await withRawTarget((s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'));
    const { text, closed } = await rawExchange(h.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(text, /Connection: close\r\n\r\nall of it$/);
    assert.equal(closed, true);
  });

  it('GIVEN a target that never answers WHEN the idle timeout passes THEN the answer is 504', async () => {
    const h = await withRawTarget(() => {}, { idleTimeout: 0.5 });
    const started = Date.now();
    const r = await request(h.port);
    assertAlbPage(r, 504, 'Gateway Time-out');
    assert.ok(Date.now() - started >= 450, `answered after ${Date.now() - started} ms`);
  });

  it('GIVEN the only target dies after its health check passed WHEN a request comes THEN the answer is 502 (no other target to retry on)', async () => {
    const b = await new Backend('a').start();
    const h = await lb();
    h.lb.registerTarget(b.ref());
    await waitFor('healthy', () => h.lb.isHealthy(b.ref().id) === true);
    await b.kill();
    assertAlbPage(await request(h.port), 502, 'Bad Gateway');
  });

  it('GIVEN a HEAD request WHEN the load balancer answers it THEN headers come without a body', async () => {
    const h = await lb();
    const { text } = await rawExchange(h.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 503 /);
    assert.ok(text.endsWith('\r\n\r\n'), 'no body after the head');
  });

  it('GIVEN TRACE WHEN requested THEN the answer is 405 as ALB gives', async () => {
    const h = await lb();
    assert.equal((await request(h.port, '/', { method: 'TRACE' })).status, 405);
  });

  it('GIVEN an X-Forwarded-For with 30 addresses WHEN requested THEN the answer is 463 as ALB gives', async () => {
    const h = await lb();
    const xff = Array.from({ length: 30 }, (_, i) => `10.0.0.${i}`).join(', ');
    assert.equal((await request(h.port, '/', { headers: { 'X-Forwarded-For': xff } })).status, 463);
  });

  it('GIVEN a target answering 100 Continue WHEN the client expects it THEN the interim answer and the final one both arrive', async () => {
    const h = await withRawTarget((s) => {
      s.write('HTTP/1.1 100 Continue\r\n\r\n');
      s.on('data', () => s.write('HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone'));
    });
    const sock = net.connect({ host: '127.0.0.1', port: h.port });
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    await waitFor('100', () => got.includes('100 Continue'));
    sock.write('abc');
    await waitFor('201', () => got.endsWith('done'));
    sock.destroy();
    assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
  });
});
