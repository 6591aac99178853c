import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoad } from '../../src/resilience/load-generator.ts';
import { startTestTwin, waitFor } from '../helpers/twin.ts';

describe('fail open', () => {
  it('GIVEN readiness failing on every instance (the only database node hung) WHEN requests arrive THEN the load balancer routes to all targets, as ALB fails open', async (t) => {
    // EC2 health checks for the group, so it keeps the instances and this test sees the load balancer alone.
    const tt = await startTestTwin({ autoScaling: { healthCheckType: 'EC2' }, database: { deployment: 'single-az' } });
    try {
      // A single-AZ database has no standby: a hung primary stays unreachable until resumed.
      const primary = tt.twin.status().database!.nodes[0]!;
      tt.twin.dbHangPrimary();
      await waitFor('every target unhealthy', () => tt.twin.lb.targetHealth().every((x) => x.state === 'unhealthy'), 60_000);
      const r = await runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: 30, durationSec: 1 });
      t.diagnostic(`all unhealthy: ${r.ok} of ${r.sent} ok from ${r.instances.size} instances`);
      assert.equal(r.ok, r.sent);
      assert.equal(r.instances.size, 3, 'traffic spreads over every (unhealthy) target');
      process.kill(-primary.pid!, 'SIGCONT');
      await waitFor('targets healthy again', () => tt.twin.lb.targetHealth().every((x) => x.state === 'healthy'), 30_000);
    } finally {
      await tt.close();
    }
  });
});
