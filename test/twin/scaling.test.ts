import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoad } from '../../src/resilience/load-generator.ts';
import { startTestTwin, waitFor } from '../helpers/twin.ts';

describe('target tracking on request count per target', () => {
  it('GIVEN a load that doubles request count per target WHEN it lasts THEN the group scales out with the cause recorded, and back in after the cooldown once the load stops', async (t) => {
    const tt = await startTestTwin(
      {
        capacity: { min: 3, desired: 3, max: 6 },
        autoScaling: { cpu: false, requestCountPerTarget: { target: 50 }, metricPeriod: 10, cooldown: 10, instanceWarmup: 0 },
      },
      // AWS's alarms want 3 (out) and 15 (in) datapoints; shorter here so the test ends in minutes.
      { scaling: { scaleOutDatapoints: 2, scaleInDatapoints: 3 } },
    );
    try {
      // 30 req/s over 3 targets = 100 requests per target per 10 s: twice the target of 50.
      const stopHeavy = new AbortController();
      const heavy = runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: 30, durationSec: 120, signal: stopHeavy.signal });
      const out = await waitFor('a scale-out', () => tt.twin.asg.activityHistory().find((a) => a.description.startsWith('Setting desired capacity from 3')), 55_000, 250);
      t.diagnostic(`scale-out: ${out.description}; cause: ${out.cause}`);
      assert.match(out.cause, /TargetTracking.*AlarmHigh.*ALBRequestCountPerTarget.*ALARM/);
      assert.match(out.description, /from 3 to 6/);
      await waitFor('6 instances in service', () => tt.twin.asg.summaries().filter((i) => i.lifecycle === 'InService').length === 6, 30_000);
      // "The load stops": a trickle stays, because ALB publishes no RequestCount at zero traffic and
      // target tracking (on AWS and here) cannot scale in on a metric with no data.
      stopHeavy.abort();
      const h = await heavy;
      assert.equal(h.failed + h.indeterminate, 0, 'scaling out loses no request');
      const stopAt = Date.now();
      const stopTrickle = new AbortController();
      const trickle = runLoad({ url: `${tt.twin.endpoint}/healthz`, rate: 1, durationSec: 120, signal: stopTrickle.signal });
      const back = await waitFor('a scale-in', () => tt.twin.asg.activityHistory().find((a) => a.description.startsWith('Setting desired capacity from 6')), 100_000, 250);
      t.diagnostic(`scale-in ${Math.round((back.startTime - stopAt) / 1000)} s after the heavy load ended: ${back.description}; cause: ${back.cause}`);
      assert.match(back.cause, /AlarmLow/);
      assert.ok(back.startTime - out.startTime >= tt.twin.spec.autoScaling.cooldown * 1000, 'scale-in waits for the cooldown');
      await waitFor('3 instances', () => tt.twin.asg.summaries().length === 3, 30_000);
      stopTrickle.abort();
      await trickle;
    } finally {
      await tt.close();
    }
  });
});

describe('target tracking on CPU', () => {
  it('GIVEN CPU-heavy requests above the CPU target WHEN they last THEN the group scales out on the CPU policy', async (t) => {
    const tt = await startTestTwin(
      { capacity: { min: 3, desired: 3, max: 6 }, autoScaling: { cpu: { target: 15 }, metricPeriod: 10, cooldown: 10, instanceWarmup: 0 } },
      { scaling: { scaleOutDatapoints: 2, scaleInDatapoints: 3 } },
    );
    try {
      // 25 req/s × 40 ms of CPU over 3 instances ≈ 33 % each, above the target of 15 %.
      const stop = new AbortController();
      const load = runLoad({ url: `${tt.twin.endpoint}/work?ms=40`, rate: 25, durationSec: 60, signal: stop.signal });
      const out = await waitFor('a scale-out', () => tt.twin.asg.activityHistory().find((a) => a.description.startsWith('Setting desired capacity from 3')), 55_000, 250);
      stop.abort();
      const r = await load;
      t.diagnostic(`${out.description}; cause: ${out.cause}; load ok ${r.ok} of ${r.sent}`);
      assert.match(out.cause, /AlarmHigh-CPUUtilization in state ALARM triggered policy cpu/);
      assert.equal(r.failed + r.indeterminate, 0);
    } finally {
      await tt.close();
    }
  });
});
