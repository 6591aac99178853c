import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../../src/resilience/load-generator.ts';
import { startTestTwin, type TestTwin } from '../helpers/twin.ts';

describe('a local region of the guestbook', () => {
  let t: TestTwin;
  before(async () => {
    t = await startTestTwin();
  });
  after(() => t?.close());

  it('GIVEN the example stack WHEN it is up THEN 3 instances are InService, one per zone, all targets healthy', () => {
    const s = t.twin.status();
    assert.deepEqual(s.zones.map((z) => z.name), ['local-1a', 'local-1b', 'local-1c']);
    for (const z of s.zones) {
      assert.equal(z.instances.length, 1, `${z.name} should hold exactly one instance`);
      assert.equal(z.instances[0]!.lifecycle, 'InService');
      assert.match(z.instances[0]!.id, /^i-[0-9a-f]{17}$/);
    }
    assert.equal(s.targets.length, 3);
    assert.ok(s.targets.every((x) => x.state === 'healthy'), JSON.stringify(s.targets));
  });

  it('GIVEN 30 requests WHEN sent through the load balancer THEN at least 3 distinct instances answer, each naming its zone', async () => {
    const r = await runLoad({ url: t.twin.endpoint, rate: 30, durationSec: 1 });
    assert.equal(r.ok, 30);
    assert.ok(r.instances.size >= 3, `only ${r.instances.size} instances answered`);
    const zones = new Set(r.records.map((x) => x.zone));
    assert.deepEqual([...zones].sort(), ['local-1a', 'local-1b', 'local-1c']);
  });

  it('GIVEN the page WHEN fetched THEN it shows which instance and zone served it', async () => {
    const res = await fetch(t.twin.endpoint);
    const html = await res.text();
    const id = res.headers.get('x-instance-id')!;
    assert.match(id, /^i-[0-9a-f]{17}$/);
    assert.ok(html.includes(id), 'the page names the instance that served it');
  });

  it('GIVEN a guestbook entry posted twice with one Idempotency-Key WHEN listed THEN it appears once', async () => {
    const key = `k-${Date.now()}`;
    const post = () => fetch(`${t.twin.endpoint}/entries`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ name: 'Ada', message: 'hello from the twin' }) });
    assert.equal((await post()).status, 201);
    assert.equal((await post()).status, 200);
    const list = (await (await fetch(`${t.twin.endpoint}/entries`)).json()) as { entries: { message: string }[] };
    assert.equal(list.entries.filter((e) => e.message === 'hello from the twin').length, 1);
  });

  it('GIVEN the running twin WHEN its env is read THEN it names the region, a working metadata endpoint and the database', async () => {
    const env = t.twin.env();
    assert.equal(env['AWS_REGION'], 'local-1');
    assert.match(env['DATABASE_URL'] ?? '', /^postgres(ql)?:\/\/.+@127\.0\.0\.1:\d+\/guestbook/);
    const imds = env['AWS_EC2_METADATA_SERVICE_ENDPOINT']!;
    const token = await (await fetch(`${imds}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const zone = await (await fetch(`${imds}/latest/meta-data/placement/availability-zone`, { headers: { 'x-aws-ec2-metadata-token': token } })).text();
    assert.equal(zone, 'local-1a');
  });

  it('GIVEN the group WHEN its metrics are read THEN CloudWatch names carry the values', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const now = Date.now();
    const q = (namespace: string, name: string, dimensions: Record<string, string>, statistic: 'Maximum' | 'Sum') =>
      t.twin.metrics.getStatistics({ namespace, name, dimensions, start: now - 60_000, end: now + 1000, period: 60, statistic });
    const inService = q('AWS/AutoScaling', 'GroupInServiceInstances', { AutoScalingGroupName: 'guestbook-asg' }, 'Maximum');
    assert.equal(inService.at(-1)?.value, 3);
    const requests = q('AWS/ApplicationELB', 'RequestCount', { LoadBalancer: 'app/guestbook/local' }, 'Sum');
    assert.ok((requests.at(-1)?.value ?? 0) >= 30, JSON.stringify(requests));
  });
});
