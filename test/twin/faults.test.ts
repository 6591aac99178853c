import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { runLoad, type LoadResult } from '../../src/resilience/load-generator.ts';
import { startTestTwin, waitFor, sleep, type TestTwin } from '../helpers/twin.ts';

const RATE = 100;

function report(t: TestContext, what: string, r: LoadResult): void {
  t.diagnostic(`${what}: sent ${r.sent}, ok ${r.ok}, failed ${r.failed} (refused ${r.refused}), indeterminate ${r.indeterminate}`);
}

function inService(tt: TestTwin) {
  return tt.twin.status().zones.flatMap((z) => z.instances.filter((i) => i.lifecycle === 'InService').map((i) => ({ ...i, zone: z.name })));
}

function healthyPerZone(tt: TestTwin): Record<string, number> {
  const out: Record<string, number> = {};
  for (const z of tt.twin.status().zones) out[z.name] = z.instances.filter((i) => i.lifecycle === 'InService' && i.target === 'healthy').length;
  return out;
}

describe('faults under load', () => {
  let tt: TestTwin;
  before(async () => {
    // Grace 5 s so a hung instance (older than that) can be replaced inside the test's time.
    tt = await startTestTwin({ autoScaling: { healthCheckGracePeriod: 5 }, loadBalancer: { deregistrationDelay: 5 } });
  });
  after(() => tt?.close());

  it('GIVEN 100 req/s WHEN one instance is SIGKILLed THEN it is detected in time, replaced in the same zone, and few requests fail', async (t) => {
    const { interval, unhealthyThreshold } = tt.twin.spec.loadBalancer.healthCheck;
    const victim = inService(tt).find((i) => i.zone === 'local-1b')!;
    const load = runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: RATE, durationSec: 8 });
    await sleep(2000);
    const killedAt = Date.now();
    tt.twin.killInstance(victim.id);
    const detectedAt = await waitFor('the target to leave the healthy state', () => {
      const target = tt.twin.lb.targetHealth().find((x) => x.id === victim.id);
      return target === undefined || target.state !== 'healthy' ? Date.now() : undefined;
    }, (interval * unhealthyThreshold + 1) * 1000, 20);
    const detectMs = detectedAt - killedAt;
    t.diagnostic(`detected after ${detectMs} ms (bound ${(interval * unhealthyThreshold + 1) * 1000} ms)`);
    const replacement = await waitFor('a replacement InService in local-1b', () => inService(tt).find((i) => i.zone === 'local-1b' && i.id !== victim.id), 75_000);
    const backMs = Date.now() - killedAt;
    t.diagnostic(`capacity back to desired after ${backMs} ms with ${replacement.id}`);
    const r = await load;
    report(t, 'kill-instance', r);
    // Failures can only come from requests that were on, or routed to, the dead instance before detection.
    const bound = Math.ceil((RATE / 3) * ((detectMs + 500) / 1000)) + 5;
    assert.ok(r.failed + r.indeterminate <= bound, `failed ${r.failed} + indeterminate ${r.indeterminate} > bound ${bound}`);
    assert.ok(backMs <= (tt.twin.spec.autoScaling.healthCheckGracePeriod + 60) * 1000);
    const activity = tt.twin.asg.activityHistory().find((a) => a.instanceId === victim.id && a.description.startsWith('Terminating'));
    assert.match(activity?.cause ?? '', /EC2 health check/);
  });

  it('GIVEN a hung instance (SIGSTOP) WHEN health checks fail THEN it is replaced, and SIGCONT later adds no duplicate', async (t) => {
    await waitFor('all healthy', () => Object.values(healthyPerZone(tt)).every((n) => n === 1), 30_000);
    const victim = inService(tt).find((i) => i.zone === 'local-1c')!;
    const hungAt = Date.now();
    tt.twin.hangInstance(victim.id, 20); // SIGCONT after 20 s, once the replacement is in
    const replacement = await waitFor('a replacement in local-1c', () => inService(tt).find((i) => i.zone === 'local-1c' && i.id !== victim.id && i.target === 'healthy'), 60_000);
    t.diagnostic(`hung instance replaced by ${replacement.id} after ${Date.now() - hungAt} ms`);
    await sleep(Math.max(0, hungAt + 23_000 - Date.now()));
    const active = tt.twin.status().zones.flatMap((z) => z.instances).filter((i) => i.lifecycle !== 'Terminating');
    assert.equal(active.length, 3, JSON.stringify(active));
    assert.ok(!active.some((i) => i.id === victim.id), 'the resumed instance must not come back into service');
    const cause = tt.twin.asg.activityHistory().find((a) => a.instanceId === victim.id && a.description.startsWith('Terminating'))?.cause ?? '';
    assert.match(cause, /ELB system health check failure/);
  });

  it('GIVEN 100 req/s WHEN zone local-1b goes out THEN traffic continues, replacements land in healthy zones, and it rebalances on return', async (t) => {
    await waitFor('all healthy', () => Object.values(healthyPerZone(tt)).every((n) => n === 1), 60_000);
    const load = runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: RATE, durationSec: 8 });
    await sleep(2000);
    const outAt = Date.now();
    tt.twin.zoneOutage('local-1b');
    await waitFor('3 healthy instances outside local-1b', () => {
      const h = healthyPerZone(tt);
      return h['local-1b'] === 0 && (h['local-1a'] ?? 0) + (h['local-1c'] ?? 0) === 3;
    }, 60_000);
    t.diagnostic(`capacity restored in other zones after ${Date.now() - outAt} ms: ${JSON.stringify(healthyPerZone(tt))}`);
    const r = await load;
    report(t, 'zone-outage', r);
    const bound = Math.ceil((RATE / 3) * ((tt.twin.spec.loadBalancer.healthCheck.interval * tt.twin.spec.loadBalancer.healthCheck.unhealthyThreshold + 1.5))) + 5;
    assert.ok(r.failed + r.indeterminate <= bound, `failed ${r.failed} + indeterminate ${r.indeterminate} > bound ${bound}`);
    assert.ok(r.ok >= r.sent - bound);
    tt.twin.zoneRestore('local-1b');
    await waitFor('one healthy instance per zone again', () => {
      const h = healthyPerZone(tt);
      const active = tt.twin.status().zones.flatMap((z) => z.instances).filter((i) => i.lifecycle !== 'Terminating');
      return h['local-1a'] === 1 && h['local-1b'] === 1 && h['local-1c'] === 1 && active.length === 3;
    }, 90_000);
    assert.ok(tt.twin.asg.activityHistory().some((a) => /rebalance/.test(a.cause)), 'a rebalancing activity is recorded');
  });
});
