import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { isHastackError } from '../../../src/errors.ts';
import { findPostgresBinaries, PostgresNode } from '../../../src/twin/db/index.ts';
import { DbEndpoint, type DbEndpointOptions } from '../../../src/twin/db/endpoint.ts';
import { CANCEL_REQUEST_CODE, GSSENC_REQUEST_CODE, inspectFirstMessage, parseErrorResponse, PROTOCOL_3_0, SSL_REQUEST_CODE } from '../../../src/twin/db/endpoint-protocol.ts';
import type { TwinEvent } from '../../../src/twin/events.ts';
import { freePort } from '../../../src/util/free-port.ts';

/** Sends raw bytes and collects everything until the endpoint closes (bounded). */
function exchange(port: number, bytes: Buffer | undefined, timeoutMs = 10_000): Promise<{ data: Buffer; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the endpoint did not close within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closedAfterMs: Date.now() - t0 });
    });
    if (bytes !== undefined) s.write(bytes);
  });
}

function header(length: number, code: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(length, 0);
  b.writeUInt32BE(code, 4);
  return Buffer.concat([b, rest]);
}

/** Connects through the endpoint and answers the server's port; the client is ended after the test. */
async function connectVia(t: TestContext, port: number, config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client({ ...config, host: '127.0.0.1', port, connectionTimeoutMillis: 15_000 });
  c.on('error', () => undefined);
  t.after(() => c.end().catch(() => undefined));
  await c.connect();
  return c;
}

async function serverPort(c: pg.Client): Promise<number> {
  return (await c.query<{ p: number }>('SELECT inet_server_port() AS p')).rows[0]!.p;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('DbEndpoint', { timeout: 60_000 }, () => {
  let root: string;
  let node1: PostgresNode;
  let node2: PostgresNode;
  let events: TwinEvent[] = [];

  const startEndpoint = async (t: TestContext, o: Partial<DbEndpointOptions> = {}): Promise<DbEndpoint> => {
    const e = await DbEndpoint.start({ name: 'writer', onEvent: (ev) => events.push({ at: Date.now(), ...ev }), ...o });
    t.after(() => e.close());
    return e;
  };
  const target = (n: PostgresNode) => ({ name: n.name, port: n.port });

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-endpoint-test-'));
    await chmod(root, 0o711);
    const binaries = await findPostgresBinaries();
    // One password for both, as a primary and its replicas share their roles: a reader client may land on either.
    const superuserPassword = randomBytes(24).toString('base64url');
    [node1, node2] = ['db-a', 'db-b'].map(
      (name) => new PostgresNode({ name, zone: 'local-1a', dataDir: path.join(root, name, 'data'), binaries, superuserPassword }),
    ) as [
      PostgresNode,
      PostgresNode,
    ];
    await Promise.all([node1.init(), node2.init()]);
    await Promise.all([node1.start(), node2.start()]);
  });

  after(async () => {
    await Promise.all([node1?.remove(), node2?.remove()].map((p) => p?.catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a writer on node 1 WHEN retargeted to node 2 THEN the open client is cut, its next query fails, and a new client reaches node 2', async (t) => {
    events = [];
    const e = await startEndpoint(t);
    e.setTargets([target(node1)]);
    const c1 = await connectVia(t, e.port, node1.clientConfig());
    assert.equal(await serverPort(c1), node1.port);
    // A result far larger than any socket buffer passes whole.
    const big = await c1.query<{ n: number }>("SELECT length(repeat('x', 8000000)) AS n, repeat('y', 4000000) AS y");
    assert.equal(big.rows[0]!.n, 8_000_000);
    assert.equal(e.stats().active, 1);

    e.setTargets([target(node1)]); // the same target again changes nothing
    assert.equal(e.stats().cut, 0);

    e.setTargets([target(node2)]);
    assert.deepEqual(e.targets(), [target(node2)]);
    await assert.rejects(c1.query('SELECT 1'), /terminated|closed|not queryable|ECONNRESET/i);
    const c2 = await connectVia(t, e.port, node2.clientConfig());
    assert.equal(await serverPort(c2), node2.port);
    assert.equal(e.stats().cut, 1);
    const ev = events.filter((x) => x.type === 'endpoint-retargeted');
    assert.equal(ev.length, 2, 'one event per change, none for the repeated list');
    assert.deepEqual(ev[1]!.data, { endpoint: 'writer', from: [target(node1)], to: [target(node2)], cut: 1, released: 0 });
    assert.equal(ev[1]!.source, 'db');
  });

  it('GIVEN no target WHEN one appears within holdMs THEN the waiting client gets through; WHEN none appears THEN it gets 08006', async (t) => {
    const e = await startEndpoint(t, { holdMs: 3_000 });
    const waiting = connectVia(t, e.port, node1.clientConfig());
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(e.stats().active, 1, 'the client is held, not refused');
    e.setTargets([target(node1)]);
    assert.equal(await serverPort(await waiting), node1.port);

    const empty = await startEndpoint(t, { name: 'writer-2', holdMs: 400 });
    const t0 = Date.now();
    await assert.rejects(connectVia(t, empty.port, node1.clientConfig()), (err: pg.DatabaseError) => {
      assert.equal(err.code, '08006');
      assert.match(err.message, /no primary available \(failover in progress\)/);
      return true;
    });
    assert.ok(Date.now() - t0 >= 350, `refused after ${Date.now() - t0} ms, before holdMs`);
    assert.equal(empty.stats().refused, 1);
  });

  it('GIVEN a malformed first packet THEN it gets an 08P01 ErrorResponse saying what was expected, while other clients keep working', async (t) => {
    const e = await startEndpoint(t);
    e.setTargets([target(node1)]);
    const c = await connectVia(t, e.port, node1.clientConfig());

    const http = await exchange(e.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const f = parseErrorResponse(http.data);
    assert.ok(f !== undefined, `no ErrorResponse in ${http.data.toString('hex')}`);
    assert.equal(f['S'], 'FATAL');
    assert.equal(f['C'], '08P01');
    assert.match(f['M']!, /received length 1195725856/);
    assert.match(f['M']!, /expected .*196608/);

    const v2 = parseErrorResponse((await exchange(e.port, header(8, 131072))).data);
    assert.equal(v2?.['C'], '08P01');
    assert.match(v2?.['M'] ?? '', /protocol 2\.0/);

    // SSLRequest and GSSENCRequest are forwarded, even split over packets, and the server's one-byte
    // answer comes back: 'N' (no TLS here); 'G' or 'N' for GSS, as the server was built.
    for (const [code, answers] of [[SSL_REQUEST_CODE, /^N$/], [GSSENC_REQUEST_CODE, /^[GN]$/]] as const) {
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const s = net.connect({ port: e.port, host: '127.0.0.1' }, () => {
          const m = header(8, code);
          s.write(m.subarray(0, 3));
          setTimeout(() => s.write(m.subarray(3)), 50);
        });
        s.once('data', (d) => {
          s.destroy();
          resolve(d);
        });
        s.once('error', reject);
      });
      assert.match(answer.toString('latin1'), answers);
    }

    assert.equal(await serverPort(c), node1.port);
    assert.equal(e.stats().malformed, 2);
  });

  it('GIVEN a client that sends half a message WHEN startupTimeoutMs passes THEN it alone is closed with an 08P01 timeout', async (t) => {
    const e = await startEndpoint(t, { startupTimeoutMs: 700 });
    e.setTargets([target(node1)]);
    const stalled = exchange(e.port, Buffer.from([0, 0, 0]));
    const silent = exchange(e.port, undefined);
    const c = await connectVia(t, e.port, node1.clientConfig());
    assert.equal(await serverPort(c), node1.port);
    for (const r of [await stalled, await silent]) {
      const f = parseErrorResponse(r.data);
      assert.equal(f?.['C'], '08P01');
      assert.match(f?.['M'] ?? '', /timeout/);
      assert.ok(r.closedAfterMs >= 600 && r.closedAfterMs < 5_000, `closed after ${r.closedAfterMs} ms`);
    }
    assert.equal(await serverPort(c), node1.port, 'the concurrent client still works');
    assert.equal(e.stats().timedOut, 2);
  });

  it('GIVEN wrong credentials THEN the server’s 28P01 comes through the endpoint', async (t) => {
    const e = await startEndpoint(t);
    e.setTargets([target(node1)]);
    await assert.rejects(connectVia(t, e.port, { ...node1.clientConfig(), password: 'not-the-password' }), (err: pg.DatabaseError) => err.code === '28P01');
  });

  it('GIVEN a reader with two targets THEN connections spread over both, and a cancel request reaches the node running the query', async (t) => {
    const e = await startEndpoint(t, { name: 'reader' });
    e.setTargets([target(node1), target(node2)]);
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectVia(t, e.port, node1.clientConfig())));
    const ports = await Promise.all(clients.map(serverPort));
    assert.deepEqual(new Set(ports), new Set([node1.port, node2.port]));

    const c = clients[1]!;
    const slow = c.query('SELECT pg_sleep(20)').then(
      () => undefined,
      (err: pg.DatabaseError) => err,
    );
    await new Promise((r) => setTimeout(r, 300));
    const key = Buffer.alloc(8);
    const pc = c as unknown as { processID: number; secretKey: number };
    key.writeInt32BE(pc.processID, 0);
    key.writeInt32BE(pc.secretKey, 4);
    const t0 = Date.now();
    await exchange(e.port, header(16, CANCEL_REQUEST_CODE, key));
    assert.equal((await slow)?.code, '57014', 'the query was cancelled');
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(await serverPort(c), ports[1], 'the session survives its cancelled query');

    // Dropping one target cuts only its connections.
    const stayed = ports.filter((p) => p === node1.port).length;
    e.setTargets([target(node1)]);
    assert.equal(e.stats().cut, 4 - stayed);
  });

  it('GIVEN a target that refuses THEN 08006 names the endpoint and target; GIVEN maxConnections reached THEN 53300', async (t) => {
    const e = await startEndpoint(t, { maxConnections: 1 });
    const dead = await freePort();
    e.setTargets([{ name: 'db-gone', port: dead }]);
    await assert.rejects(connectVia(t, e.port, node1.clientConfig()), (err: pg.DatabaseError) => {
      assert.equal(err.code, '08006');
      assert.match(err.message, new RegExp(`writer endpoint could not connect to db-gone \\(127\\.0\\.0\\.1:${dead}\\)`));
      return true;
    });
    e.setTargets([target(node1)]);
    await new Promise((r) => setTimeout(r, 100));
    const c = await connectVia(t, e.port, node1.clientConfig());
    await assert.rejects(connectVia(t, e.port, node1.clientConfig()), (err: pg.DatabaseError) => err.code === '53300');
    assert.equal(await serverPort(c), node1.port);
    assert.equal(e.stats().refused, 2);
  });

  it('GIVEN an endpoint with open clients WHEN closed THEN nothing listens, the clients are ended, and a second close is harmless', async (t) => {
    const e = await startEndpoint(t);
    e.setTargets([target(node1)]);
    const c = await connectVia(t, e.port, node1.clientConfig());
    const held = net.connect({ port: e.port, host: '127.0.0.1' });
    held.on('error', () => undefined);
    t.after(() => held.destroy());
    await new Promise((r) => held.once('connect', r));
    await e.close();
    await e.close();
    assert.equal(await portOpen(e.port), false);
    await assert.rejects(c.query('SELECT 1'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(e.stats().active, 0);
    assert.ok(events.some((x) => x.type === 'endpoint-closed'));
  });

  it('GIVEN first messages THEN each kind is told from garbage as soon as its header is in', () => {
    assert.deepEqual(inspectFirstMessage(Buffer.from([0, 0, 0])), { kind: 'incomplete', need: 8 });
    assert.deepEqual(inspectFirstMessage(header(40, PROTOCOL_3_0)), { kind: 'incomplete', need: 40 });
    assert.deepEqual(inspectFirstMessage(header(9, PROTOCOL_3_0, Buffer.from([0]))), { kind: 'startup', length: 9 });
    assert.deepEqual(inspectFirstMessage(header(8, SSL_REQUEST_CODE)), { kind: 'ssl', length: 8 });
    assert.deepEqual(inspectFirstMessage(header(8, GSSENC_REQUEST_CODE)), { kind: 'gssenc', length: 8 });
    assert.deepEqual(inspectFirstMessage(header(16, CANCEL_REQUEST_CODE, Buffer.alloc(8))), { kind: 'cancel', length: 16 });
    for (const bad of [header(7, PROTOCOL_3_0), header(10_001, PROTOCOL_3_0), header(12, SSL_REQUEST_CODE), header(12, CANCEL_REQUEST_CODE), header(8, 0)]) {
      assert.equal(inspectFirstMessage(bad).kind, 'malformed', bad.toString('hex'));
    }
  });

  it('GIVEN bad options or targets THEN coded errors name the field', async (t) => {
    await assert.rejects(DbEndpoint.start({ name: 'writer', holdMs: -1, maxConnections: 0 }), (err: unknown) => {
      assert.ok(isHastackError(err));
      assert.equal(err.code, 'HASTACK_DB_ENDPOINT_INVALID_OPTIONS');
      assert.match(err.message, /holdMs is -1/);
      assert.match(err.message, /maxConnections is 0/);
      return true;
    });
    const e = await startEndpoint(t);
    await assert.rejects(DbEndpoint.start({ name: 'other', port: e.port }), (err: unknown) => isHastackError(err) && err.code === 'HASTACK_DB_ENDPOINT_LISTEN_FAILED');
    assert.throws(() => e.setTargets([{ name: 'db-a', port: 70_000 }]), (err: unknown) => isHastackError(err) && err.code === 'HASTACK_DB_ENDPOINT_INVALID_TARGET');
  });
});
