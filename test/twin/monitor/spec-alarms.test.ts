/**
 * The spec's alarms on the twin: built from spec.alarms.rules with the dimensions the twin's
 * components publish under, the percentage expression they need, the ones the twin cannot
 * evaluate, and their registration in a running twin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/twin/clock.ts';
import { RdsMetrics } from '../../../src/twin/database/rds-metrics.ts';
import type { TwinEvent } from '../../../src/twin/events.ts';
import { LbMetrics } from '../../../src/twin/lb/lb-metrics.ts';
import {
  AlarmManager,
  MetricStore,
  alarmDefinitionProblems,
  fetchAlarmDatapoints,
  isPercentAlarm,
  isRatioAlarm,
  specAlarmDefinitions,
  twinUnsupportedAlarms,
  type AlarmDefinition,
  type MetricDatum,
  type MetricStatisticsSource,
  type PercentAlarmDefinition,
  type TwinAlarmNames,
} from '../../../src/twin/monitor/index.ts';
import { startTwin } from '../../../src/twin/region.ts';
import { ALARM_METRICS } from '../../../src/spec/alarms.ts';
import type { ResolvedSpec } from '../../../src/spec/types.ts';
import { guestbookSpec, waitFor } from '../../helpers/twin.ts';

const NAMES: TwinAlarmNames = { loadBalancer: 'guestbook', targetGroup: 'guestbook', autoScalingGroup: 'guestbook-asg', database: 'guestbook' };
const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);

function byName(defs: readonly AlarmDefinition[], name: string): AlarmDefinition {
  const d = defs.find((x) => x.name === name);
  assert.ok(d, `an alarm named ${name}; have ${defs.map((x) => x.name).join(', ')}`);
  return d;
}

/** The dimensions a component really publishes a metric under, caught from its sink. */
function publishedDimensions(): Record<string, Record<string, string>> {
  const seen: Record<string, Record<string, string>> = {};
  const sink = { put: (d: MetricDatum) => void (seen[`${d.namespace} ${d.name} ${Object.keys(d.dimensions).sort().join(',')}`] = { ...d.dimensions }) };
  const lb = new LbMetrics(NAMES.loadBalancer, sink);
  lb.requests = 2;
  lb.targetResponse(500, 0.1);
  lb.elbResponse(502);
  lb.hostCounts(T0, { healthy: 1, unhealthy: 1 }, new Map());
  lb.flush(T0);
  const probe = { connections: 3, commits: 1, walSyncs: 1, walSyncMs: 1, at: T0, replicas: [{ replayLagSeconds: 2 }] };
  new RdsMetrics(sink, NAMES.database).publish('node-a', probe as never, T0);
  return seen;
}

describe('specAlarmDefinitions', () => {
  const specs: [string, ResolvedSpec][] = [
    ['the guestbook spec', guestbookSpec()],
    [
      'custom alarms on a cluster',
      guestbookSpec({
        database: { deployment: 'multi-az-cluster' },
        alarms: { cpu: false, http5xxRate: { threshold: 2, period: 30, evaluationPeriods: 4 }, unhealthyHosts: { threshold: 1, datapointsToAlarm: 1 } },
      }),
    ],
  ];
  for (const [name, spec] of specs) {
    it(`GIVEN ${name} WHEN the twin's definitions are built THEN each supported rule keeps its threshold, comparison, period, datapoints and missing-data treatment`, () => {
      const defs = specAlarmDefinitions(spec, NAMES);
      const unsupported = new Set(twinUnsupportedAlarms(spec).map((u) => u.id));
      const expected = spec.alarms.rules.filter((r) => !unsupported.has(r.id));
      assert.deepEqual(defs.map((d) => d.name), expected.map((r) => `guestbook-${r.id}`));
      for (const rule of expected) {
        const d = byName(defs, `guestbook-${rule.id}`);
        assert.deepEqual(
          [d.threshold, d.comparisonOperator, d.period, d.evaluationPeriods, d.datapointsToAlarm, d.treatMissingData],
          [rule.threshold, rule.comparison, rule.period, rule.evaluationPeriods, rule.datapointsToAlarm, rule.treatMissingData],
          rule.id,
        );
        assert.deepEqual(alarmDefinitionProblems(d), [], `${rule.id} is a valid alarm`);
      }
    });
  }

  it('GIVEN the metrics the load balancer and database publish WHEN the alarms are built THEN each alarm reads a metric under the exact dimensions it is published with', () => {
    const published = publishedDimensions();
    const defs = specAlarmDefinitions(guestbookSpec({ database: { deployment: 'multi-az-cluster' } }), NAMES);
    const lookups: [string, string, string, string][] = [
      ['guestbook-latencyP99', 'AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer'],
      ['guestbook-unhealthyHosts', 'AWS/ApplicationELB', 'UnHealthyHostCount', 'LoadBalancer,TargetGroup'],
      ['guestbook-dbConnections', 'AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier'],
      ['guestbook-dbReplicaLag', 'AWS/RDS', 'ReplicaLag', 'DBInstanceIdentifier'],
    ];
    for (const [alarm, namespace, metricName, dimensionNames] of lookups) {
      const d = byName(defs, alarm);
      assert.ok(!isRatioAlarm(d) && !isPercentAlarm(d));
      assert.deepEqual([d.namespace, d.metricName], [namespace, metricName]);
      assert.deepEqual(d.dimensions, published[`${namespace} ${metricName} ${dimensionNames}`], alarm);
    }
    const rate = byName(defs, 'guestbook-http5xxRate') as PercentAlarmDefinition;
    assert.equal(rate.math, 'percent');
    for (const q of [...rate.numerators, rate.denominator]) {
      assert.deepEqual(q.dimensions, published[`AWS/ApplicationELB ${q.metricName} LoadBalancer`], q.metricName);
    }
    for (const id of ['cpu', 'inServiceBelowMin'] as const) {
      const d = byName(specAlarmDefinitions(guestbookSpec(), NAMES), `guestbook-${id}`);
      assert.ok(!isRatioAlarm(d) && !isPercentAlarm(d));
      assert.deepEqual(d.dimensions, { AutoScalingGroupName: 'guestbook-asg' });
      assert.equal(d.statistic, ALARM_METRICS[id].kind === 'metric' ? ALARM_METRICS[id].statistic : undefined);
    }
  });
});

describe('twinUnsupportedAlarms', () => {
  const cases: [string, ResolvedSpec, string[]][] = [
    ['the guestbook spec', guestbookSpec(), ['dbCpu', 'dbFreeStorage']],
    ['a spec with dns', guestbookSpec({ dns: { domain: 'app.example.com' } }), ['dbCpu', 'dbFreeStorage', 'dnsHealthCheck']],
    ['a spec with the database alarms off', guestbookSpec({ alarms: { dbCpu: false, dbFreeStorage: false } }), []],
  ];
  for (const [name, spec, ids] of cases) {
    it(`GIVEN ${name} WHEN asked THEN it lists ${ids.join(', ') || 'nothing'}, each with the metric the twin lacks and why`, () => {
      const u = twinUnsupportedAlarms(spec);
      assert.deepEqual(u.map((x) => x.id), ids);
      for (const x of u) {
        assert.match(x.metric, /^AWS\/(RDS|Route53) /);
        assert.match(x.reason, new RegExp(`publishes no ${x.metric.replace('/', '\\/')}`));
      }
      assert.equal(specAlarmDefinitions(spec, NAMES).filter((d) => ids.some((id) => d.name === `guestbook-${id}`)).length, 0);
    });
  }
});

describe('percent alarms', () => {
  const LB = { LoadBalancer: 'app/guestbook/local' };
  const q = (metricName: string) => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions: LB, statistic: 'Sum' as const });
  const def: PercentAlarmDefinition = {
    name: 'rate',
    math: 'percent',
    numerators: [q('HTTPCode_ELB_5XX_Count'), q('HTTPCode_Target_5XX_Count')],
    denominator: q('RequestCount'),
    period: 10,
    evaluationPeriods: 5,
    datapointsToAlarm: 1,
    threshold: 5,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  };
  // Periods (10 s each) from T0: [elb, target, requests]; undefined = not published that period.
  const table: [number | undefined, number | undefined, number | undefined, number | undefined][] = [
    [3, 5, 100, 8], // both numerators
    [undefined, 2, 50, 4], // one numerator missing counts as 0
    [undefined, undefined, 40, 0], // requests without errors: 0 %
    [4, undefined, undefined, undefined], // no requests: no datapoint
    [1, 1, 0, undefined], // zero requests: no datapoint
  ];

  it('GIVEN numerators with gaps WHEN the datapoints are read THEN each period is 100 × (sum, missing as 0) / requests, and none without requests', () => {
    const source: MetricStatisticsSource = {
      getStatistics: (query) => {
        const col = { HTTPCode_ELB_5XX_Count: 0, HTTPCode_Target_5XX_Count: 1, RequestCount: 2 }[query.name as 'RequestCount'];
        return table.flatMap((row, i) => (row[col] === undefined ? [] : [{ timestamp: T0 + i * 10_000, value: row[col]!, sampleCount: 1 }]));
      },
    };
    const points = fetchAlarmDatapoints(source, def, T0 + table.length * 10_000 + 1);
    assert.deepEqual(
      points.map((p) => [(p.timestamp - T0) / 10_000, p.value]),
      table.flatMap((row, i) => (row[3] === undefined ? [] : [[i, row[3]]])),
    );
  });

  it('GIVEN a percent alarm without numerators WHEN checked THEN the problem names the field and what was received', () => {
    assert.deepEqual(alarmDefinitionProblems({ ...def, numerators: [] }), ['numerators: must be a non-empty list of metric queries; received []']);
    assert.match(alarmDefinitionProblems({ ...def, numerators: [{ ...q('X'), statistic: 'Median' as never }] }).join(), /^numerators\[0\]\.statistic: must be one of/);
  });

  it('GIVEN the load balancer answering 5XX to more than 5 % WHEN the spec\'s 5XX alarm is evaluated THEN it fires, and clears once errors stop', () => {
    const spec = guestbookSpec({ alarms: { http5xxRate: { period: 10, evaluationPeriods: 1, datapointsToAlarm: 1 } } });
    const clock = new FakeClock(T0);
    const store = new MetricStore();
    const alarms = new AlarmManager({ source: store, clock });
    const rate = byName(specAlarmDefinitions(spec, NAMES), 'guestbook-http5xxRate');
    alarms.putAlarm(rate);
    alarms.start();
    const lb = new LbMetrics(NAMES.loadBalancer, store);
    const second = (errors: boolean) => {
      lb.requests = 10;
      for (let i = 0; i < 9; i++) lb.targetResponse(200, 0.01);
      if (errors) lb.elbResponse(502);
      else lb.targetResponse(200, 0.01);
      lb.flush(clock.now());
      clock.advance(1000);
    };
    for (let s = 0; s < 13; s++) second(true);
    assert.equal(alarms.describeAlarm('guestbook-http5xxRate')?.state, 'ALARM');
    assert.equal(alarms.describeAlarm('guestbook-http5xxRate')?.latestValue, 10);
    for (let s = 0; s < 10; s++) second(false);
    assert.equal(alarms.describeAlarm('guestbook-http5xxRate')?.state, 'OK');
    alarms.stop();
  });
});

describe('a running twin', () => {
  it('GIVEN a twin WHEN it starts THEN the spec\'s alarms are evaluated on its metrics and report their states', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-test-'));
    const events: TwinEvent[] = [];
    // An app that never starts: the group stays empty, so in-service capacity is missing (breaching).
    const spec = guestbookSpec({ app: { start: { command: 'node', args: ['-e', 'process.exit(3)'] } } });
    const twin = await startTwin({ spec, stateDir, database: false, storage: false, onEvent: (e) => events.push(e) });
    try {
      const changed = (alarm: string) => events.find((e) => e.type === 'alarm-state-changed' && (e.data as { alarm?: string } | undefined)?.alarm === alarm);
      const below = await waitFor('the in-service alarm to change state', () => changed('guestbook-inServiceBelowMin'), 10_000);
      assert.match(below.message, /to ALARM/);
      const rate = await waitFor('the 5XX alarm to change state', () => changed('guestbook-http5xxRate'), 10_000);
      assert.match(rate.message, /to OK/);
      assert.equal(changed('guestbook-dbCpu'), undefined, 'no alarm on a metric the twin does not publish');
    } finally {
      await twin.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
