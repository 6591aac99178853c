import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../../src/twin/clock.ts';
import { Backend, delay, lbConfig, request, startLb, waitFor, type Harness } from './helpers.ts';

const INTERVAL_S = 10;

/** Runs one health-check round on the fake clock and waits for its probes to be answered and applied. */
async function round(clock: FakeClock, backends: Backend[]): Promise<void> {
  const before = backends.map((b) => b.healthHits);
  clock.advance(INTERVAL_S * 1000);
  await waitFor('the round to reach every live backend', () => backends.every((b, i) => b.healthHits > before[i]!));
  // The answer is applied on the response event, a moment after the backend saw the request.
  await delay(30);
}

describe('load balancer health checks', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.reverse()) await o.close();
  });

  async function setup(over: Parameters<typeof lbConfig>[0] = {}): Promise<{ h: Harness; b: Backend; clock: FakeClock }> {
    const clock = new FakeClock();
    const b = await new Backend('a').start();
    open.push({ close: () => b.kill() });
    const h = await startLb(lbConfig({ healthCheck: { interval: INTERVAL_S, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 2 }, ...over }), { clock });
    open.push(h.lb);
    return { h, b, clock };
  }

  it('GIVEN a new target WHEN it passes its first health check THEN it is healthy after that one check, not the healthy threshold', async () => {
    const { h, b } = await setup();
    h.lb.registerTarget(b.ref('i-0000000000000000a'));
    assert.equal(h.lb.targetHealth()[0]!.state, 'initial');
    assert.equal(h.lb.targetHealth()[0]!.reason, 'Elb.RegistrationInProgress');
    await waitFor('healthy', () => h.lb.isHealthy('i-0000000000000000a') === true);
    assert.equal(b.healthHits, 1, 'one check, though healthyThreshold is 3');
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['lb-started', 'target-registered', 'target-healthy'],
    );
    assert.ok(h.events.every((e) => e.source === 'lb'));
    assert.equal((await request(h.port)).body, 'a');
  });

  it('GIVEN a healthy target WHEN checks fail THEN it turns unhealthy after exactly unhealthyThreshold failures, and back after healthyThreshold passes', async () => {
    const { h, b, clock } = await setup();
    const id = 'i-0000000000000000a';
    h.lb.registerTarget(b.ref(id));
    await waitFor('healthy', () => h.lb.isHealthy(id) === true);

    b.ready = false;
    await round(clock, [b]);
    assert.equal(h.lb.targetHealth()[0]!.state, 'healthy', 'one failure is below the threshold of 2');
    await round(clock, [b]);
    const t = h.lb.targetHealth()[0]!;
    assert.equal(t.state, 'unhealthy');
    assert.equal(t.reason, 'Target.ResponseCodeMismatch');
    assert.equal(t.description, 'Health checks failed with these codes: [503]');

    b.ready = true;
    await round(clock, [b]);
    await round(clock, [b]);
    assert.equal(h.lb.isHealthy(id), false, 'two passes are below the healthy threshold of 3');
    await round(clock, [b]);
    assert.equal(h.lb.isHealthy(id), true);
    assert.deepEqual(
      h.events.filter((e) => e.type.startsWith('target-')).map((e) => e.type),
      ['target-registered', 'target-healthy', 'target-unhealthy', 'target-healthy'],
    );
  });

  it('GIVEN a target that does not answer its health check WHEN the timeout passes THEN the reason is Target.Timeout', async () => {
    const { h, b, clock } = await setup({ healthCheck: { interval: INTERVAL_S, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 1 } });
    const id = 'i-0000000000000000a';
    h.lb.registerTarget(b.ref(id));
    await waitFor('healthy', () => h.lb.isHealthy(id) === true);
    // From now on /readyz is held open, never answered.
    b.server.removeAllListeners('request');
    let seen = 0;
    b.server.on('request', () => seen++);
    clock.advance(INTERVAL_S * 1000);
    await waitFor('the probe to arrive', () => seen === 1);
    clock.advance(5_000);
    await waitFor('unhealthy', () => h.lb.isHealthy(id) === false);
    assert.equal(h.lb.targetHealth()[0]!.reason, 'Target.Timeout');
  });

  it('GIVEN a target whose process is gone WHEN checked THEN the reason is Target.FailedHealthChecks', async () => {
    const { h, b, clock } = await setup({ healthCheck: { interval: INTERVAL_S, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 1 } });
    const id = 'i-0000000000000000a';
    h.lb.registerTarget(b.ref(id));
    await waitFor('healthy', () => h.lb.isHealthy(id) === true);
    await b.kill();
    clock.advance(INTERVAL_S * 1000);
    await waitFor('unhealthy', () => h.lb.isHealthy(id) === false);
    const t = h.lb.targetHealth()[0]!;
    assert.equal(t.reason, 'Target.FailedHealthChecks');
    assert.match(t.description ?? '', /ECONNREFUSED/);
  });

  it('GIVEN targets in two zones WHEN a round runs THEN HealthyHostCount and UnHealthyHostCount are put per target group and per zone', async () => {
    const { h, b, clock } = await setup();
    const b2 = await new Backend('b').start();
    open.push({ close: () => b2.kill() });
    b2.ready = false;
    h.lb.registerTarget(b.ref('i-0000000000000000a', 'local-1a'));
    h.lb.registerTarget(b2.ref('i-0000000000000000b', 'local-1b'));
    await waitFor('a healthy', () => h.lb.isHealthy('i-0000000000000000a') === true);
    await round(clock, [b, b2]);
    await round(clock, [b, b2]);
    clock.advance(INTERVAL_S * 1000);
    const last = (name: string, zone?: string) =>
      h.metrics.filter((m) => m.name === name && m.dimensions.AvailabilityZone === zone && m.dimensions.TargetGroup === 'targetgroup/test/local').at(-1);
    assert.equal(last('HealthyHostCount')?.value, 1);
    assert.equal(last('UnHealthyHostCount')?.value, 1);
    assert.equal(last('HealthyHostCount', 'local-1b')?.value, 0);
    assert.equal(last('UnHealthyHostCount', 'local-1b')?.value, 1);
    assert.equal(last('HealthyHostCount')?.namespace, 'AWS/ApplicationELB');
    assert.equal(last('HealthyHostCount')?.dimensions.LoadBalancer, 'app/test/local');
  });

  it('GIVEN a load balancer not started, then closed WHEN target health is read THEN targets show as unused', async () => {
    const clock = new FakeClock();
    const { LoadBalancer } = await import('../../../src/twin/lb/index.ts');
    const lb = new LoadBalancer({ name: 'test', config: lbConfig(), httpPort: 0, clock });
    lb.registerTarget({ id: 'i-0000000000000000z', zone: 'local-1a', host: '127.0.0.1', port: 9 });
    assert.equal(lb.targetHealth()[0]!.state, 'unused');
    assert.equal(lb.isHealthy('i-0000000000000000z'), false);
    assert.equal(lb.isHealthy('i-nope'), undefined);
    await lb.close();
  });
});
