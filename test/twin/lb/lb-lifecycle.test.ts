import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { FakeClock } from '../../../src/twin/clock.ts';
import { LoadBalancer } from '../../../src/twin/lb/index.ts';
import { Backend, lbConfig, request, startLb, waitFor } from './helpers.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isHastackError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

async function asyncCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isHastackError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('load balancer lifecycle and misuse', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.reverse()) await o.close();
  });

  it('GIVEN bad settings WHEN constructed THEN a coded user error names every problem', () => {
    const make = (config: ReturnType<typeof lbConfig>, host?: string) => () => new LoadBalancer({ name: 't', config, httpPort: 0, ...(host ? { host } : {}) });
    assert.equal(code(make(lbConfig({ healthCheck: { successCodes: '2xx' } }))), 'HASTACK_LB_INVALID_CONFIG');
    assert.equal(code(make(lbConfig({ idleTimeout: 0 }))), 'HASTACK_LB_INVALID_CONFIG');
    assert.equal(code(make(lbConfig(), '0.0.0.0')), 'HASTACK_LB_NOT_LOOPBACK');
    try {
      make(lbConfig({ idleTimeout: -1, healthCheck: { interval: 0 } }))();
    } catch (e) {
      assert.match((e as Error).message, /healthCheck\.interval is 0/);
      assert.match((e as Error).message, /idleTimeout is -1/);
    }
  });

  it('GIVEN bad or conflicting targets WHEN registered THEN coded errors say why; the same target twice is a no-op', async () => {
    const lb = new LoadBalancer({ name: 't', config: lbConfig(), httpPort: 0, clock: new FakeClock() });
    open.push(lb);
    assert.equal(code(() => lb.registerTarget({ id: '', zone: 'z', host: '127.0.0.1', port: 1 })), 'HASTACK_LB_INVALID_TARGET');
    assert.equal(code(() => lb.registerTarget({ id: 'i-1', zone: 'z', host: '10.0.0.1', port: 1 })), 'HASTACK_LB_INVALID_TARGET');
    assert.equal(code(() => lb.registerTarget({ id: 'i-1', zone: 'z', host: '127.0.0.1', port: 70000 })), 'HASTACK_LB_INVALID_TARGET');
    lb.registerTarget({ id: 'i-1', zone: 'z', host: '127.0.0.1', port: 1000 });
    lb.registerTarget({ id: 'i-1', zone: 'z', host: '127.0.0.1', port: 1000 });
    assert.equal(lb.targetHealth().length, 1);
    assert.equal(code(() => lb.registerTarget({ id: 'i-1', zone: 'z', host: '127.0.0.1', port: 1001 })), 'HASTACK_LB_TARGET_CONFLICT');
    await lb.deregisterTarget('i-unknown');
  });

  it('GIVEN a port already in use WHEN started THEN a coded listen error comes back and nothing is left open', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => blocker.close(() => r())) });
    const port = (blocker.address() as net.AddressInfo).port;
    const lb = new LoadBalancer({ name: 't', config: lbConfig(), httpPort: port });
    assert.equal(await asyncCode(lb.start()), 'HASTACK_LB_LISTEN_FAILED');
    assert.equal(await asyncCode(lb.start()), 'HASTACK_LB_STATE');
  });

  it('GIVEN a started load balancer WHEN started again THEN it refuses with a state error', async () => {
    const h = await startLb(lbConfig());
    open.push(h.lb);
    assert.equal(await asyncCode(h.lb.start()), 'HASTACK_LB_STATE');
  });

  it('GIVEN stopAccepting WHEN called THEN new connections are refused, an in-flight request still completes, and close releases everything', async () => {
    let release: (() => void) | undefined;
    const b = await new Backend('a', (_req, res) => (release = () => res.end('late'))).start();
    open.push({ close: () => b.kill() });
    const h = await startLb(lbConfig());
    h.lb.registerTarget(b.ref());
    await waitFor('healthy', () => h.lb.isHealthy(b.ref().id) === true);
    const inFlight = request(h.port);
    await waitFor('in flight', () => release !== undefined);
    await h.lb.stopAccepting();
    await assert.rejects(request(h.port));
    release!();
    const r = await inFlight;
    assert.equal(r.body, 'late');
    assert.equal(r.headers.connection, 'close');
    await h.lb.close();
    await h.lb.close();
    assert.ok(h.events.some((e) => e.type === 'lb-stopped'));
  });
});
