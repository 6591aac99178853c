import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../src/errors.ts';
import { MetricStore, type MetricDatum, type StatisticsQuery } from '../../../src/twin/monitor/index.ts';

const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);
const DIMS = { LoadBalancer: 'app/guestbook/local', TargetGroup: 'targetgroup/guestbook/local' };

function datum(over: Partial<MetricDatum> = {}): MetricDatum {
  return { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS, value: 1, unit: 'Seconds', timestamp: T0, ...over };
}

function query(over: Partial<StatisticsQuery> = {}): StatisticsQuery {
  return { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS, start: T0, end: T0 + 3_600_000, period: 60, statistic: 'Sum', ...over };
}

/** A seeded generator so reservoir tests are repeatable. */
function seeded(seed = 42): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function expectCode(fn: () => unknown, code: string, ...mentions: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHastackError(e), 'expected a HastackError');
    assert.equal(e.code, code);
    for (const m of mentions) assert.ok(e.message.includes(m), `message ${JSON.stringify(e.message)} should mention ${m}`);
    return true;
  });
}

describe('MetricStore.getStatistics', () => {
  it('GIVEN one datum a second for two minutes WHEN asked per 60 s THEN each aligned minute has every statistic', () => {
    const store = new MetricStore();
    for (let s = 0; s < 120; s++) store.put(datum({ timestamp: T0 + s * 1000 + 250, value: s }));
    const stat = (statistic: StatisticsQuery['statistic']) => store.getStatistics(query({ statistic })).map((d) => d.value);
    assert.deepEqual(stat('Sum'), [1770, 5370]);
    assert.deepEqual(stat('Average'), [29.5, 89.5]);
    assert.deepEqual(stat('Minimum'), [0, 60]);
    assert.deepEqual(stat('Maximum'), [59, 119]);
    assert.deepEqual(stat('SampleCount'), [60, 60]);
    assert.deepEqual(store.getStatistics(query()).map((d) => [d.timestamp, d.sampleCount]), [[T0, 60], [T0 + 60_000, 60]]);
  });

  it('GIVEN a start inside a period WHEN queried THEN it is rounded down to the period, and end is exclusive', () => {
    const store = new MetricStore();
    for (let s = 0; s < 120; s++) store.put(datum({ timestamp: T0 + s * 1000, value: 1 }));
    const dps = store.getStatistics(query({ start: T0 + 45_000, end: T0 + 90_000 }));
    assert.deepEqual(dps, [
      { timestamp: T0, value: 60, sampleCount: 60 },
      { timestamp: T0 + 60_000, value: 30, sampleCount: 30 },
    ]);
  });

  it('GIVEN dimensions in another order WHEN queried THEN the same series answers, but a subset does not', () => {
    const store = new MetricStore();
    store.put(datum({ value: 7 }));
    assert.equal(store.getStatistics(query({ dimensions: { TargetGroup: DIMS.TargetGroup, LoadBalancer: DIMS.LoadBalancer } }))[0]?.value, 7);
    assert.deepEqual(store.getStatistics(query({ dimensions: { LoadBalancer: DIMS.LoadBalancer } })), []);
  });

  it('GIVEN 1..100 in one period WHEN percentiles are asked THEN they are the exact nearest-rank values', () => {
    const store = new MetricStore({ samplesPerSecond: 64 });
    for (let v = 1; v <= 100; v++) store.put(datum({ timestamp: T0 + (v % 10) * 1000, value: v }));
    const p = (statistic: StatisticsQuery['statistic']) => store.getStatistics(query({ statistic }))[0]?.value;
    assert.equal(p('p50'), 50);
    assert.equal(p('p90'), 90);
    assert.equal(p('p99'), 99);
  });

  it('GIVEN far more samples in a second than are kept WHEN a percentile is asked THEN it is estimated from the reservoir', () => {
    const store = new MetricStore({ samplesPerSecond: 64, random: seeded() });
    for (let s = 0; s < 60; s++) for (let v = 0; v < 1000; v++) store.put(datum({ timestamp: T0 + s * 1000, value: v }));
    const [dp] = store.getStatistics(query({ statistic: 'p50' }));
    assert.equal(dp?.sampleCount, 60_000);
    assert.ok(Math.abs(dp!.value - 500) < 60, `p50 estimate ${dp?.value} should be near 500`);
  });

  it('GIVEN statistic sets WHEN queried THEN sums and counts add up and percentiles are withheld unless a set is one sample', () => {
    const store = new MetricStore();
    store.put(datum({ timestamp: T0, value: 0.2, statisticValues: { sampleCount: 4, sum: 0.8, minimum: 0.1, maximum: 0.4 } }));
    store.put(datum({ timestamp: T0 + 1000, value: 0.5, statisticValues: { sampleCount: 1, sum: 0.5, minimum: 0.5, maximum: 0.5 } }));
    store.put(datum({ timestamp: T0 + 60_000, value: 0.3, statisticValues: { sampleCount: 1, sum: 0.3, minimum: 0.3, maximum: 0.3 } }));
    const avg = store.getStatistics(query({ statistic: 'Average' }));
    assert.deepEqual(avg.map((d) => [d.value, d.sampleCount]), [[1.3 / 5, 5], [0.3, 1]]);
    assert.deepEqual(store.getStatistics(query({ statistic: 'Minimum' })).map((d) => d.value), [0.1, 0.3]);
    assert.deepEqual(store.getStatistics(query({ statistic: 'p50' })), [{ timestamp: T0 + 60_000, value: 0.3, sampleCount: 1 }]);
  });

  it('GIVEN datums out of order within the window WHEN queried THEN all are counted', () => {
    const store = new MetricStore();
    for (const s of [5, 1, 3, 2, 4]) store.put(datum({ timestamp: T0 + s * 1000, value: s }));
    assert.equal(store.getStatistics(query())[0]?.value, 15);
  });
});

describe('MetricStore bounds', () => {
  it('GIVEN more seconds than the window WHEN queried THEN only the newest window is kept and older datums are dropped', () => {
    const store = new MetricStore({ retentionSeconds: 100 });
    for (let s = 0; s < 300; s++) store.put(datum({ timestamp: T0 + s * 1000, value: 1 }));
    const total = store.getStatistics(query({ period: 3600 }))[0];
    assert.equal(total?.value, 100);
    assert.equal(total?.timestamp, T0);
    store.put(datum({ timestamp: T0 + 150_000, value: 1 }));
    assert.equal(store.stats().tooOld, 1);
    assert.equal(store.stats().accepted, 300);
  });

  it('GIVEN one datum a minute for three hours WHEN queried THEN every one is kept (the buffer grows to the window)', () => {
    const store = new MetricStore();
    for (let m = 0; m < 180; m++) store.put(datum({ timestamp: T0 + m * 60_000 + 30_000, value: m }));
    const dps = store.getStatistics(query({ end: T0 + 3 * 3_600_000 }));
    assert.equal(dps.length, 180);
    assert.equal(dps[179]?.value, 179);
  });

  it('GIVEN more series than allowed WHEN a new one arrives THEN the one written least recently is dropped', () => {
    const store = new MetricStore({ maxSeries: 2 });
    store.put(datum({ name: 'A', timestamp: T0 }));
    store.put(datum({ name: 'B', timestamp: T0 + 2000 }));
    store.put(datum({ name: 'C', timestamp: T0 + 3000 }));
    assert.deepEqual(store.listMetrics().map((m) => m.name), ['B', 'C']);
    assert.equal(store.stats().evictedSeries, 1);
  });

  it('GIVEN a series nobody writes to for a whole window WHEN time moves on THEN it is swept away', () => {
    const store = new MetricStore({ retentionSeconds: 60 });
    store.put(datum({ name: 'Old', timestamp: T0 }));
    for (let s = 0; s <= 200; s++) store.put(datum({ name: 'Live', timestamp: T0 + s * 1000 }));
    assert.deepEqual(store.listMetrics().map((m) => m.name), ['Live']);
  });

  it('GIVEN malformed datums WHEN put THEN nothing throws and they are counted as rejected', () => {
    const store = new MetricStore();
    store.put(datum({ value: Number.NaN }));
    store.put(datum({ timestamp: Number.POSITIVE_INFINITY }));
    store.put(datum({ statisticValues: { sampleCount: 0, sum: 0, minimum: 0, maximum: 0 } }));
    store.put(datum({ statisticValues: { sampleCount: 2, sum: 1, minimum: 2, maximum: 1 } }));
    assert.equal(store.stats().rejected, 4);
    assert.equal(store.stats().series, 0);
  });
});

describe('MetricStore.listMetrics and latest', () => {
  it('GIVEN several series WHEN listed with filters THEN matching ones come back sorted', () => {
    const store = new MetricStore();
    store.put(datum({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { InstanceId: 'i-2' } }));
    store.put(datum({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { InstanceId: 'i-1' } }));
    store.put(datum({ namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { AutoScalingGroupName: 'guestbook' } }));
    store.put(datum());
    assert.equal(store.listMetrics().length, 4);
    assert.deepEqual(store.listMetrics({ namespace: 'AWS/EC2', dimensions: { InstanceId: 'i-1' } }), [
      { namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { InstanceId: 'i-1' } },
    ]);
    assert.deepEqual(store.listMetrics({ name: 'TargetResponseTime' }).map((m) => m.namespace), ['AWS/ApplicationELB']);
  });

  it('GIVEN a producer that reuses its dimensions object WHEN it mutates it THEN the stored series keeps its name', () => {
    const store = new MetricStore();
    const dims: Record<string, string> = { InstanceId: 'i-1' };
    store.put(datum({ dimensions: dims }));
    dims.InstanceId = 'i-9';
    assert.deepEqual(store.listMetrics()[0]?.dimensions, { InstanceId: 'i-1' });
  });

  it('GIVEN a series WHEN latest is asked THEN the newest second answers', () => {
    const store = new MetricStore();
    store.put(datum({ timestamp: T0 + 1000, value: 2 }));
    store.put(datum({ timestamp: T0 + 5400, value: 4 }));
    store.put(datum({ timestamp: T0 + 5900, value: 6 }));
    assert.deepEqual(store.latest({ namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS }), { timestamp: T0 + 5000, value: 5, sampleCount: 2 });
    assert.deepEqual(store.latest({ namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS, statistic: 'Maximum' })?.value, 6);
    assert.equal(store.latest({ namespace: 'AWS/ApplicationELB', name: 'Nope', dimensions: DIMS }), undefined);
  });
});

describe('MetricStore query errors', () => {
  const store = new MetricStore();
  const cases: { name: string; over: Partial<StatisticsQuery>; code: string; mentions: string[] }[] = [
    { name: 'a fractional period', over: { period: 1.5 }, code: 'HASTACK_METRICS_INVALID_PERIOD', mentions: ['period', '1.5'] },
    { name: 'a zero period', over: { period: 0 }, code: 'HASTACK_METRICS_INVALID_PERIOD', mentions: ['period', '0'] },
    { name: 'start after end', over: { start: T0 + 1000, end: T0 }, code: 'HASTACK_METRICS_INVALID_TIME_RANGE', mentions: ['start', String(T0 + 1000), 'end'] },
    { name: 'a NaN end', over: { end: Number.NaN }, code: 'HASTACK_METRICS_INVALID_TIME_RANGE', mentions: ['end', 'NaN'] },
    { name: 'an unknown statistic', over: { statistic: 'p95' as StatisticsQuery['statistic'] }, code: 'HASTACK_METRICS_INVALID_STATISTIC', mentions: ['statistic', 'p95'] },
  ];
  for (const c of cases) {
    it(`GIVEN ${c.name} WHEN getStatistics is called THEN it throws ${c.code} naming the field and value`, () => {
      expectCode(() => store.getStatistics(query(c.over)), c.code, ...c.mentions);
    });
  }
});
