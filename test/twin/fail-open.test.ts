import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoad } from '../../src/resilience/load-generator.ts';
import { startTestTwin, waitFor } from '../helpers/twin.ts';

describe('fail open', () => {
  it('GIVEN readiness failing on every instance (database stopped) WHEN requests arrive THEN the load balancer routes to all targets, as ALB fails open', async (t) => {
    // EC2 health checks for the group, so it keeps the instances and this test sees the load balancer alone.
    const tt = await startTestTwin({ autoScaling: { healthCheckType: 'EC2' } });
    try {
      tt.twin.database!.kill();
      await waitFor('every target unhealthy', () => tt.twin.lb.targetHealth().every((x) => x.state === 'unhealthy'), 30_000);
      const r = await runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: 30, durationSec: 1 });
      t.diagnostic(`all unhealthy: ${r.ok} of ${r.sent} ok from ${r.instances.size} instances`);
      assert.equal(r.ok, r.sent);
      assert.equal(r.instances.size, 3, 'traffic spreads over every (unhealthy) target');
      await tt.twin.database!.restart();
      await waitFor('targets healthy again', () => tt.twin.lb.targetHealth().every((x) => x.state === 'healthy'), 30_000);
    } finally {
      await tt.close();
    }
  });
});
