import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { FakeClock } from '../../../src/twin/clock.ts';
import {
  AlarmManager,
  MetricStore,
  autoScalingGroupDimensions,
  decideTargetTracking,
  targetTrackingAlarms,
  targetTrackingPolicyStates,
  trackingAlarmState,
  type TargetTrackingDecision,
} from '../../../src/twin/monitor/index.ts';

const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);

describe('targetTrackingAlarms', () => {
  it('GIVEN a CPU policy with target 50 WHEN alarms are built THEN they are the ones AWS creates', () => {
    const [pair] = targetTrackingAlarms({ groupName: 'guestbook', period: 60, policies: [{ metric: 'CPUUtilization', target: 50, disableScaleIn: false }] });
    assert.deepEqual(pair?.high, {
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { AutoScalingGroupName: 'guestbook' },
      statistic: 'Average',
      period: 60,
      treatMissingData: 'missing',
      name: 'TargetTracking-guestbook-AlarmHigh-CPUUtilization',
      description: 'Scale out guestbook when CPUUtilization is above 50.',
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 50,
      comparisonOperator: 'GreaterThanThreshold',
    });
    assert.equal(pair?.low?.name, 'TargetTracking-guestbook-AlarmLow-CPUUtilization');
    assert.equal(pair?.low?.threshold, 45);
    assert.equal(pair?.low?.comparisonOperator, 'LessThanThreshold');
    assert.equal(pair?.low?.evaluationPeriods, 15);
    assert.equal(pair?.low?.datapointsToAlarm, 15);
    assert.equal(pair?.policyName, 'cpu');
  });

  it('GIVEN scale-in disabled WHEN alarms are built THEN there is no low alarm', () => {
    const [pair] = targetTrackingAlarms({ groupName: 'g', period: 60, policies: [{ metric: 'CPUUtilization', target: 50, disableScaleIn: true }] });
    assert.equal(pair?.low, undefined);
  });

  it('GIVEN a requests-per-target policy WHEN alarms are built THEN they divide RequestCount by HealthyHostCount, or read the published metric', () => {
    const policies = [{ metric: 'ALBRequestCountPerTarget' as const, target: 1000, disableScaleIn: false }];
    const [ratio] = targetTrackingAlarms({ groupName: 'g', period: 10, policies, loadBalancerName: 'g', targetGroupName: 'g', highDatapoints: 1, lowDatapoints: 2 });
    const dims = { LoadBalancer: 'app/g/local', TargetGroup: 'targetgroup/g/local' };
    assert.ok(ratio !== undefined && 'expression' in ratio.high);
    assert.deepEqual(ratio.high.numerator, { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: dims, statistic: 'Sum' });
    assert.deepEqual(ratio.high.denominator, { namespace: 'AWS/ApplicationELB', metricName: 'HealthyHostCount', dimensions: dims, statistic: 'Average' });
    assert.equal(ratio.high.evaluationPeriods, 1);
    assert.equal(ratio.low?.evaluationPeriods, 2);
    assert.equal(ratio.low?.threshold, 900);

    const [published] = targetTrackingAlarms({ groupName: 'g', period: 60, policies, loadBalancerName: 'g', targetGroupName: 'g', requestCountSource: 'published' });
    assert.ok(published !== undefined && 'metricName' in published.high);
    assert.equal(published.high.metricName, 'RequestCountPerTarget');
    assert.deepEqual(published.high.dimensions, { TargetGroup: 'targetgroup/g/local' });
    assert.equal(published.high.statistic, 'Sum');
  });

  it('GIVEN a requests-per-target policy without load balancer names WHEN alarms are built THEN a coded error names the field', () => {
    assert.throws(
      () => targetTrackingAlarms({ groupName: 'g', period: 60, policies: [{ metric: 'ALBRequestCountPerTarget', target: 1000, disableScaleIn: false }] }),
      (e: unknown) => isHastackError(e) && e.code === 'HASTACK_METRICS_INVALID_ALARM' && e.message.includes('loadBalancerName'),
    );
  });

  it('GIVEN alarm states WHEN combined THEN high wins over low', () => {
    assert.equal(trackingAlarmState('ALARM', 'ALARM'), 'high');
    assert.equal(trackingAlarmState('OK', 'ALARM'), 'low');
    assert.equal(trackingAlarmState('INSUFFICIENT_DATA', undefined), 'none');
  });
});

describe('target tracking end to end on the store and alarm manager', () => {
  it('GIVEN CPU at 100 % on 3 instances WHEN three 10-second periods pass THEN the group is told to grow to 6, and shrinks after load stays low', () => {
    const clock = new FakeClock(T0);
    const store = new MetricStore();
    const manager = new AlarmManager({ source: store, clock });
    const pairs = targetTrackingAlarms({
      groupName: 'guestbook',
      period: 10,
      policies: [{ metric: 'CPUUtilization', target: 50, disableScaleIn: false }],
      lowDatapoints: 3,
    });
    for (const p of pairs) {
      manager.putAlarm(p.high);
      if (p.low !== undefined) manager.putAlarm(p.low);
    }
    // The ASG controller's side: each alarm notification marks it dirty; reconcile decides.
    let desired = 3;
    let lastScaleOutAt: number | undefined;
    let lastScaleInAt: number | undefined;
    const decisions: TargetTrackingDecision[] = [];
    manager.subscribe(() => {
      const d = decideTargetTracking({
        groupName: 'guestbook',
        policies: targetTrackingPolicyStates(pairs, (name) => manager.describeAlarm(name)),
        currentCapacity: desired,
        desired,
        min: 1,
        max: 9,
        lastScaleOutAt,
        lastScaleInAt,
        now: clock.now(),
        cooldownSec: 30,
        warmupSec: 0,
      });
      decisions.push(d);
      if (d.action === 'scale-out') lastScaleOutAt = clock.now();
      if (d.action === 'scale-in') lastScaleInAt = clock.now();
      desired = d.desired;
    });
    manager.start();
    const feed = (seconds: number, cpu: number) => {
      for (let s = 0; s < seconds; s++) {
        store.put({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: autoScalingGroupDimensions('guestbook'), value: cpu, unit: 'Percent', timestamp: clock.now() });
        clock.advance(1000);
      }
    };
    feed(32, 100);
    assert.equal(desired, 6);
    assert.equal(
      decisions.find((d) => d.action !== 'none')?.reason,
      'At 2026-11-23T21:00:32Z a monitor alarm TargetTracking-guestbook-AlarmHigh-CPUUtilization in state ALARM triggered policy cpu changing the desired capacity from 3 to 6.',
    );
    // Low for three periods from 30 s: the low alarm fires at 62 s, once the 30 s cooldown after
    // the scale-out has passed; the next evaluation (72 s) is inside the new cooldown.
    feed(45, 10);
    assert.equal(desired, 2);
    assert.match(decisions.at(-1)!.reason, /waits for the cooldown after the scaling activity at 2026-11-23T21:01:02Z/);
    feed(20, 10);
    assert.equal(desired, 1, 'the alarm stays in ALARM, so the policy is invoked again after the cooldown');
  });
});
