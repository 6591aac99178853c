import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideTargetTracking,
  type TargetTrackingDecision,
  type TargetTrackingInput,
  type TargetTrackingPolicyState,
} from '../../../src/twin/monitor/index.ts';

const NOW = Date.UTC(2026, 10, 23, 21, 0, 0);
const MIN = 60_000;

function cpu(over: Partial<TargetTrackingPolicyState> = {}): TargetTrackingPolicyState {
  return { metric: 'CPUUtilization', target: 50, disableScaleIn: false, metricValue: 50, alarmState: 'none', ...over };
}

function requests(over: Partial<TargetTrackingPolicyState> = {}): TargetTrackingPolicyState {
  return { metric: 'ALBRequestCountPerTarget', target: 1000, disableScaleIn: false, metricValue: 1000, alarmState: 'none', ...over };
}

/** A settled group of 3 in a 1–9 range, nothing scaled recently. */
function group(over: Partial<TargetTrackingInput> = {}): TargetTrackingInput {
  return {
    groupName: 'guestbook',
    policies: [cpu()],
    currentCapacity: 3,
    desired: 3,
    min: 1,
    max: 9,
    lastScaleOutAt: undefined,
    lastScaleInAt: undefined,
    now: NOW,
    cooldownSec: 300,
    warmupSec: 300,
    ...over,
  };
}

interface Case {
  readonly name: string;
  readonly input: TargetTrackingInput;
  readonly action: TargetTrackingDecision['action'];
  readonly desired: number;
  readonly reason?: string | RegExp;
}

const cases: readonly Case[] = [
  {
    name: 'requests per target twice the target on 3 instances',
    input: group({ policies: [requests({ alarmState: 'high', metricValue: 2000 })] }),
    action: 'scale-out',
    desired: 6,
    reason:
      'At 2026-11-23T21:00:00Z a monitor alarm TargetTracking-guestbook-AlarmHigh-ALBRequestCountPerTarget in state ALARM triggered policy requestCountPerTarget changing the desired capacity from 3 to 6.',
  },
  {
    name: 'CPU a little over target',
    input: group({ policies: [cpu({ alarmState: 'high', metricValue: 55 })] }),
    action: 'scale-out',
    desired: 4,
    reason: /AlarmHigh-CPUUtilization in state ALARM triggered policy cpu changing the desired capacity from 3 to 4\.$/,
  },
  {
    name: 'a high alarm while the instances it asks for are still warming up',
    input: group({ desired: 6, policies: [cpu({ alarmState: 'high', metricValue: 100 })] }),
    action: 'none',
    desired: 6,
    reason: /asks for 6, which the desired capacity already covers/,
  },
  {
    name: 'a proposal beyond the maximum',
    input: group({ policies: [cpu({ alarmState: 'high', metricValue: 200 })] }),
    action: 'scale-out',
    desired: 9,
    reason: /from 3 to 9 \(limited by the maximum size, 9\)\.$/,
  },
  {
    name: 'a high alarm at the maximum already',
    input: group({ currentCapacity: 9, desired: 9, policies: [cpu({ alarmState: 'high', metricValue: 90 })] }),
    action: 'none',
    desired: 9,
    reason: /at its maximum size \(9\)/,
  },
  {
    name: 'two policies high: the larger proposal wins',
    input: group({ policies: [cpu({ alarmState: 'high', metricValue: 60 }), requests({ alarmState: 'high', metricValue: 2500 })] }),
    action: 'scale-out',
    desired: 8,
    reason: /triggered policy requestCountPerTarget/,
  },
  {
    name: 'one policy high and one low: any policy may scale out',
    input: group({ policies: [cpu({ alarmState: 'low', metricValue: 10 }), requests({ alarmState: 'high', metricValue: 1500 })] }),
    action: 'scale-out',
    desired: 5,
  },
  {
    name: 'a scale-out just after another (no cooldown on scale-out)',
    input: group({ desired: 4, lastScaleOutAt: NOW - 10_000, policies: [cpu({ alarmState: 'high', metricValue: 100 })] }),
    action: 'scale-out',
    desired: 6,
  },
  {
    name: 'float noise in the proportion',
    input: group({ policies: [cpu({ alarmState: 'high', target: 0.1, metricValue: 0.7 })], max: 30 }),
    action: 'scale-out',
    desired: 21,
  },
  {
    name: 'a high alarm without a metric value',
    input: group({ policies: [cpu({ alarmState: 'high', metricValue: undefined })] }),
    action: 'none',
    desired: 3,
  },
  {
    name: 'both policies low: the larger (more conservative) proposal wins',
    input: group({ currentCapacity: 6, desired: 6, policies: [cpu({ alarmState: 'low', metricValue: 10 }), requests({ alarmState: 'low', metricValue: 400 })] }),
    action: 'scale-in',
    desired: 3,
    reason:
      'At 2026-11-23T21:00:00Z a monitor alarm TargetTracking-guestbook-AlarmLow-ALBRequestCountPerTarget in state ALARM triggered policy requestCountPerTarget changing the desired capacity from 6 to 3.',
  },
  {
    name: 'one policy low and the other within target',
    input: group({ currentCapacity: 6, desired: 6, policies: [cpu({ alarmState: 'low', metricValue: 10 }), requests({ alarmState: 'none', metricValue: 950 })] }),
    action: 'none',
    desired: 6,
    reason: 'guestbook holds at 6: scale-in needs every policy that allows it to agree, and requestCountPerTarget is not in its low alarm.',
  },
  {
    name: 'one policy low and the other has scale-in disabled',
    input: group({ currentCapacity: 6, desired: 6, policies: [cpu({ alarmState: 'low', metricValue: 20 }), requests({ disableScaleIn: true, metricValue: 950 })] }),
    action: 'scale-in',
    desired: 3,
  },
  {
    name: 'every policy has scale-in disabled',
    input: group({ currentCapacity: 6, desired: 6, policies: [cpu({ disableScaleIn: true, metricValue: 5 })] }),
    action: 'none',
    desired: 6,
    reason: /scale-in is disabled on every policy/,
  },
  {
    name: 'no alarm in ALARM',
    input: group(),
    action: 'none',
    desired: 3,
    reason: 'guestbook holds at 3: no target tracking alarm is in ALARM.',
  },
  {
    name: 'a low alarm that would go below the minimum',
    input: group({ currentCapacity: 4, desired: 4, min: 2, policies: [cpu({ alarmState: 'low', metricValue: 5 })] }),
    action: 'scale-in',
    desired: 2,
    reason: /from 4 to 2 \(limited by the minimum size, 2\)\.$/,
  },
  {
    name: 'a low alarm at the minimum already',
    input: group({ currentCapacity: 2, desired: 2, min: 2, policies: [cpu({ alarmState: 'low', metricValue: 5 })] }),
    action: 'none',
    desired: 2,
    reason: /at its minimum size \(2\)/,
  },
  {
    name: 'a low alarm within the cooldown of the last scale-in',
    input: group({ currentCapacity: 6, desired: 6, lastScaleInAt: NOW - 2 * MIN, policies: [cpu({ alarmState: 'low', metricValue: 10 })] }),
    action: 'none',
    desired: 6,
    reason: 'guestbook holds at 6: scale-in to 2 waits for the cooldown after the scaling activity at 2026-11-23T20:58:00Z, until 2026-11-23T21:03:00Z.',
  },
  {
    name: 'a low alarm once the cooldown has passed',
    input: group({ currentCapacity: 6, desired: 6, lastScaleInAt: NOW - 5 * MIN, policies: [cpu({ alarmState: 'low', metricValue: 10 })] }),
    action: 'scale-in',
    desired: 2,
  },
  {
    name: 'a low alarm while instances from a scale-out warm up',
    input: group({ currentCapacity: 6, desired: 6, lastScaleOutAt: NOW - MIN, warmupSec: 120, cooldownSec: 0, policies: [cpu({ alarmState: 'low', metricValue: 10 })] }),
    action: 'none',
    desired: 6,
    reason: /waits until 2026-11-23T21:01:00Z for the instances launched by the scale-out at 2026-11-23T20:59:00Z to finish warming up/,
  },
  {
    name: 'no instance past warmup',
    input: group({ currentCapacity: 0, policies: [cpu({ alarmState: 'high', metricValue: 90 })] }),
    action: 'none',
    desired: 3,
    reason: /no in-service instance is past warmup/,
  },
];

describe('decideTargetTracking', () => {
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN decided THEN ${c.action} to ${c.desired}`, () => {
      const d = decideTargetTracking(c.input);
      assert.equal(d.action, c.action, d.reason);
      assert.equal(d.desired, c.desired, d.reason);
      if (typeof c.reason === 'string') assert.equal(d.reason, c.reason);
      else if (c.reason !== undefined) assert.match(d.reason, c.reason);
    });
  }

  it('GIVEN a scale-out WHEN decided THEN the detail shows the arithmetic', () => {
    const d = decideTargetTracking(group({ policies: [cpu({ alarmState: 'high', metricValue: 100 })] }));
    assert.ok(d.action === 'scale-out', d.reason);
    assert.equal(d.previousDesired, 3);
    assert.equal(d.policyName, 'cpu');
    assert.equal(d.alarmName, 'TargetTracking-guestbook-AlarmHigh-CPUUtilization');
    assert.equal(d.detail, 'CPUUtilization 100.0 against target 50.0 on 3 instances past warmup asks for 6.');
  });
});
