import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextHealth, type HealthRecord, type ProbeResult } from '../../../src/twin/lb/health-state.ts';

const OK: ProbeResult = { ok: true };
const CODE: ProbeResult = { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [503]' };
const TIMEOUT: ProbeResult = { ok: false, reason: 'Target.Timeout', description: 'Request timed out' };
const T = { healthyThreshold: 3, unhealthyThreshold: 2 };

function rec(state: HealthRecord['state'], okStreak = 0, failStreak = 0): HealthRecord {
  return { state, okStreak, failStreak };
}

describe('nextHealth', () => {
  const cases: { name: string; from: HealthRecord; probe: ProbeResult; state: string; changed: boolean; reason?: string }[] = [
    { name: 'GIVEN a new target WHEN its first check passes THEN it is healthy at once', from: rec('initial'), probe: OK, state: 'healthy', changed: true },
    { name: 'GIVEN a new target WHEN one check fails THEN it stays initial, still checking', from: rec('initial'), probe: CODE, state: 'initial', changed: false, reason: 'Elb.InitialHealthChecking' },
    { name: 'GIVEN a new target with one failure WHEN the unhealthy threshold is reached THEN it is unhealthy with the probe reason', from: rec('initial', 0, 1), probe: TIMEOUT, state: 'unhealthy', changed: true, reason: 'Target.Timeout' },
    { name: 'GIVEN a healthy target WHEN one check fails THEN it stays healthy', from: rec('healthy', 5, 0), probe: CODE, state: 'healthy', changed: false },
    { name: 'GIVEN a healthy target with one failure WHEN a second fails THEN it is unhealthy', from: rec('healthy', 0, 1), probe: CODE, state: 'unhealthy', changed: true, reason: 'Target.ResponseCodeMismatch' },
    { name: 'GIVEN a healthy target with one failure WHEN a check passes THEN the failure streak resets', from: rec('healthy', 0, 1), probe: OK, state: 'healthy', changed: false },
    { name: 'GIVEN an unhealthy target WHEN one check passes THEN it is still unhealthy (threshold 3)', from: rec('unhealthy'), probe: OK, state: 'unhealthy', changed: false },
    { name: 'GIVEN an unhealthy target with two passes WHEN the third passes THEN it is healthy', from: rec('unhealthy', 2, 0), probe: OK, state: 'healthy', changed: true },
    { name: 'GIVEN an unhealthy target with two passes WHEN one fails THEN the pass streak resets', from: rec('unhealthy', 2, 0), probe: TIMEOUT, state: 'unhealthy', changed: false, reason: 'Target.Timeout' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const step = nextHealth(c.from, c.probe, T);
      assert.equal(step.state, c.state);
      assert.equal(step.changed, c.changed);
      if (c.reason !== undefined) assert.equal(step.reason, c.reason);
      if (c.state === 'healthy') assert.equal(step.reason, undefined);
    });
  }

  it('GIVEN an unhealthy target WHEN checks pass in a row THEN the streak counts up to the threshold', () => {
    let r: HealthRecord = rec('unhealthy');
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = nextHealth(r, OK, T);
      states.push(s.state);
      r = s;
    }
    assert.deepEqual(states, ['unhealthy', 'unhealthy', 'healthy']);
  });
});
