import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { FakeClock } from '../../../src/twin/clock.ts';
import type { TwinEvent } from '../../../src/twin/events.ts';
import {
  AlarmManager,
  MetricStore,
  type AlarmDefinition,
  type AlarmNotification,
  type MetricAlarmDefinition,
  type MetricStatisticsSource,
} from '../../../src/twin/monitor/index.ts';

const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);
const ASG = { AutoScalingGroupName: 'guestbook' };

function cpuAlarm(over: Partial<MetricAlarmDefinition> = {}): MetricAlarmDefinition {
  return {
    name: 'HighCpu',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: ASG,
    statistic: 'Average',
    period: 10,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: 50,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'missing',
    ...over,
  };
}

/** A twin in miniature: a store, a fake clock, an alarm manager, and what it reported. */
function harness(opts: { source?: MetricStatisticsSource; historyLimit?: number } = {}) {
  const clock = new FakeClock(T0);
  const store = new MetricStore();
  const events: TwinEvent[] = [];
  const notifications: AlarmNotification[] = [];
  const manager = new AlarmManager({
    source: opts.source ?? store,
    clock,
    onEvent: (e) => events.push({ ...e, at: e.at ?? clock.now() }),
    ...(opts.historyLimit === undefined ? {} : { historyLimit: opts.historyLimit }),
  });
  manager.subscribe((n) => notifications.push(n));
  /** Produces one datum a second for `seconds` seconds, as a collector would. */
  const feed = (seconds: number, value: number, name = 'CPUUtilization', namespace = 'AWS/EC2', dimensions: Record<string, string> = ASG) => {
    for (let s = 0; s < seconds; s++) {
      store.put({ namespace, name, dimensions, value, unit: 'None', timestamp: clock.now() });
      clock.advance(1000);
    }
  };
  return { clock, store, events, notifications, manager, feed };
}

describe('AlarmManager', () => {
  it('GIVEN CPU above the threshold for three periods WHEN the periods complete THEN the alarm fires once and repeats while in ALARM', () => {
    const h = harness();
    h.manager.putAlarm(cpuAlarm());
    h.manager.start();
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'INSUFFICIENT_DATA');
    assert.equal(h.manager.describeAlarm('HighCpu')?.reason, 'Unchecked: Initial alarm creation');

    // The third period closes at 30 s and is evaluated once it has settled, 2 s later.
    h.feed(31, 90);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'INSUFFICIENT_DATA');
    h.feed(1, 90);
    const status = h.manager.describeAlarm('HighCpu');
    assert.equal(status?.state, 'ALARM');
    assert.equal(status?.stateUpdatedAt, T0 + 32_000);
    assert.equal(status?.latestValue, 90);
    assert.deepEqual(h.manager.history('HighCpu').map((x) => [x.at, x.from, x.to]), [[T0 + 32_000, 'INSUFFICIENT_DATA', 'ALARM']]);
    assert.match(h.manager.history()[0]!.reason, /^Threshold Crossed: 3 out of the last 3 datapoints \[90\.0, 90\.0, 90\.0\] were greater than the threshold \(50\.0\)/);

    h.feed(20, 90);
    assert.deepEqual(h.notifications.map((n) => [n.at - T0, n.state, n.transition]), [
      [32_000, 'ALARM', true],
      [42_000, 'ALARM', false],
      [52_000, 'ALARM', false],
    ]);

    h.feed(30, 10);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'OK');
    const calls = h.notifications.length;
    h.feed(30, 10);
    assert.equal(h.notifications.length, calls, 'no notifications while the alarm stays OK');
    const changed = h.events.filter((e) => e.type === 'alarm-state-changed');
    assert.equal(changed.length, 2);
    assert.equal(changed[0]?.source, 'metrics');
    assert.match(changed[0]!.message, /^Alarm HighCpu changed from INSUFFICIENT_DATA to ALARM \(CPUUtilization 90\.0\): Threshold Crossed/);
  });

  it('GIVEN requests and healthy hosts WHEN a ratio alarm is evaluated THEN it compares requests per healthy target', () => {
    const h = harness();
    const dims = { LoadBalancer: 'app/guestbook/local', TargetGroup: 'targetgroup/guestbook/local' };
    const ratio: AlarmDefinition = {
      name: 'RequestsPerTarget',
      expression: 'ratio',
      numerator: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: dims, statistic: 'Sum' },
      denominator: { namespace: 'AWS/ApplicationELB', metricName: 'HealthyHostCount', dimensions: dims, statistic: 'Average' },
      period: 10,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 400,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'missing',
    };
    h.manager.putAlarm(ratio);
    h.manager.start();
    for (let s = 0; s < 13; s++) {
      h.store.put({ namespace: 'AWS/ApplicationELB', name: 'RequestCount', dimensions: dims, value: 100, unit: 'Count', timestamp: h.clock.now() });
      h.store.put({ namespace: 'AWS/ApplicationELB', name: 'HealthyHostCount', dimensions: dims, value: 2, unit: 'Count', timestamp: h.clock.now() });
      h.clock.advance(1000);
    }
    const status = h.manager.describeAlarm('RequestsPerTarget');
    assert.equal(status?.state, 'ALARM');
    assert.equal(status?.latestValue, 500);
    assert.match(status!.reason, /\[500\.0\] was greater than the threshold \(400\.0\)/);
  });

  it('GIVEN one alarm whose metric cannot be read WHEN evaluated THEN the others still run, an event is reported and it is retried next period', () => {
    const store = new MetricStore();
    const source: MetricStatisticsSource = {
      getStatistics: (q) => {
        if (q.name === 'Broken') throw new Error('disk on fire');
        return store.getStatistics(q);
      },
    };
    const h = harness({ source });
    h.manager.putAlarm(cpuAlarm({ name: 'Broken', metricName: 'Broken' }));
    h.manager.putAlarm(cpuAlarm({ name: 'Fine', evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'breaching' }));
    h.manager.start();
    h.clock.advance(23_000);
    assert.equal(h.manager.describeAlarm('Fine')?.state, 'ALARM');
    const failures = h.events.filter((e) => e.type === 'alarm-evaluation-failed');
    assert.equal(failures.length, 4, 'once at start, then once per completed period (at 2, 12 and 22 s)');
    assert.match(failures[0]!.message, /^Evaluating alarm Broken failed: disk on fire; it is retried when its next period completes\.$/);
    assert.equal(h.manager.describeAlarm('Broken')?.state, 'INSUFFICIENT_DATA');
  });

  it('GIVEN a listener that throws WHEN the alarm changes THEN other listeners still hear it and the loop goes on', () => {
    const h = harness();
    h.manager.subscribe(() => {
      throw new Error('listener bug');
    });
    h.manager.putAlarm(cpuAlarm({ evaluationPeriods: 1, datapointsToAlarm: 1 }));
    h.manager.start();
    h.feed(13, 90);
    h.feed(20, 90);
    assert.deepEqual(h.notifications.map((n) => n.at - T0), [12_000, 22_000, 32_000]);
    const failed = h.events.filter((e) => e.type === 'alarm-listener-failed');
    assert.equal(failed.length, 3);
    assert.equal(failed[0]?.message, 'A listener of alarm HighCpu failed: listener bug.');
  });

  it('GIVEN a state set by hand WHEN the next period completes THEN evaluation overrides it, and history keeps only the newest transitions', () => {
    const h = harness({ historyLimit: 2 });
    h.manager.putAlarm(cpuAlarm({ evaluationPeriods: 1, datapointsToAlarm: 1 }));
    h.manager.start();
    h.feed(13, 10);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'OK');
    assert.equal(h.manager.setAlarmState('HighCpu', 'ALARM', 'drill'), true);
    assert.equal(h.manager.setAlarmState('Nope', 'ALARM', 'drill'), false);
    assert.equal(h.manager.describeAlarm('HighCpu')?.reason, 'drill');
    h.feed(10, 10);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'OK');
    assert.deepEqual(h.manager.history().map((x) => `${x.from}->${x.to}`), ['OK->ALARM', 'ALARM->OK']);
  });

  it('GIVEN an alarm in ALARM WHEN its definition is replaced THEN it keeps its state until re-evaluated', () => {
    const h = harness();
    h.manager.putAlarm(cpuAlarm({ evaluationPeriods: 1, datapointsToAlarm: 1 }));
    h.manager.start();
    h.feed(13, 90);
    h.manager.putAlarm(cpuAlarm({ evaluationPeriods: 1, datapointsToAlarm: 1, threshold: 95 }));
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'ALARM');
    assert.equal(h.manager.describeAlarm('HighCpu')?.definition.threshold, 95);
    h.clock.advance(0);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'OK');
  });

  it('GIVEN a stopped manager WHEN time passes THEN nothing is evaluated', () => {
    const h = harness();
    h.manager.putAlarm(cpuAlarm({ evaluationPeriods: 1, datapointsToAlarm: 1 }));
    h.manager.start();
    h.clock.advance(0);
    h.manager.stop();
    h.feed(60, 90);
    assert.equal(h.manager.describeAlarm('HighCpu')?.state, 'INSUFFICIENT_DATA');
    assert.equal(h.manager.deleteAlarm('HighCpu'), true);
    assert.deepEqual(h.manager.describeAlarms(), []);
  });

  it('GIVEN an invalid definition WHEN put THEN HASTACK_METRICS_INVALID_ALARM lists every problem', () => {
    const h = harness();
    assert.throws(
      () => h.manager.putAlarm(cpuAlarm({ period: 0, datapointsToAlarm: 4, statistic: 'p95' as 'p99' })),
      (e: unknown) => {
        assert.ok(isHastackError(e));
        assert.equal(e.code, 'HASTACK_METRICS_INVALID_ALARM');
        assert.match(e.message, /period: must be a positive whole number of seconds; received 0/);
        assert.match(e.message, /datapointsToAlarm: must be a whole number from 1 to evaluationPeriods \(3\); received 4/);
        assert.match(e.message, /statistic: must be one of .*; received "p95"/);
        return true;
      },
    );
  });
});
