import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isHastackError } from '../src/errors.ts';
import { classifyStatus, runLoad } from '../src/resilience/load-generator.ts';

describe('load generator', () => {
  let server: http.Server;
  let url = '';
  before(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 503 : req.url === '/gateway' ? 502 : 200;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('GIVEN a non-loopback target WHEN asked to load it THEN it refuses with a coded error naming the host', async () => {
    await assert.rejects(runLoad({ url: 'http://10.0.0.1/', rate: 1, durationSec: 1 }), (e) => isHastackError(e) && e.code === 'HASTACK_LOAD_NOT_LOOPBACK' && /10\.0\.0\.1/.test(e.message));
  });

  it('GIVEN an out-of-range rate WHEN asked THEN it refuses naming the field', async () => {
    await assert.rejects(runLoad({ url, rate: 100_000, durationSec: 1 }), /rate: received 100000/);
  });

  it('GIVEN a server answering 200, 503 and 502 WHEN loaded THEN outcomes are ok, failed and indeterminate', async () => {
    assert.equal((await runLoad({ url, rate: 20, durationSec: 0.5 })).ok, 10);
    assert.equal((await runLoad({ url: `${url}/fail`, rate: 20, durationSec: 0.5 })).failed, 10);
    assert.equal((await runLoad({ url: `${url}/gateway`, rate: 20, durationSec: 0.5 })).indeterminate, 10);
    assert.deepEqual([200, 404, 500, 502, 503, 504].map(classifyStatus), ['ok', 'ok', 'failed', 'indeterminate', 'failed', 'indeterminate']);
  });

  it('GIVEN a closed port WHEN loaded THEN every request is failed and counted as refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await runLoad({ url: `http://127.0.0.1:${port}`, rate: 10, durationSec: 0.5 });
    assert.equal(r.failed, 5);
    assert.equal(r.refused, 5);
  });
});
