import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateAlarm,
  type AlarmDatapoint,
  type AlarmState,
  type ComparisonOperator,
  type MetricAlarmDefinition,
  type TreatMissingData,
} from '../../../src/twin/monitor/index.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);
/** Half-way through the sixth minute: five completed periods lie behind it. */
const NOW = T0 + 5 * MINUTE + 30_000;

function alarm(over: Partial<MetricAlarmDefinition> = {}): MetricAlarmDefinition {
  return {
    name: 'HighCpu',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: 'guestbook' },
    statistic: 'Average',
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: 50,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'missing',
    ...over,
  };
}

/**
 * Datapoints from the documentation's notation, oldest first, one per completed period:
 * `0` not breaching, `X` breaching, `-` missing.
 */
function pattern(p: string): AlarmDatapoint[] {
  const out: AlarmDatapoint[] = [];
  p.split(' ').forEach((c, i) => {
    if (c !== '-') out.push({ timestamp: T0 + i * MINUTE, value: c === 'X' ? 90 : 10 });
  });
  return out;
}

function values(v: readonly number[]): AlarmDatapoint[] {
  return v.map((value, i) => ({ timestamp: T0 + (5 - v.length + i) * MINUTE, value }));
}

type Expected = AlarmState | 'retain';
interface Row {
  readonly points: string;
  readonly missing: Expected;
  readonly ignore: Expected;
  readonly breaching: Expected;
  readonly notBreaching: Expected;
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data
const THREE_OF_THREE: readonly Row[] = [
  { points: '0 - X - X', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
  { points: '0 - - - -', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
  { points: '- - - - -', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '0 X X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '- - - - X', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
  { points: 'X - - - -', missing: 'ALARM', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
];
const TWO_OF_THREE: readonly Row[] = [
  { points: '0 - X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '0 0 X 0 X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '0 - X - -', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '- - - - 0', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '- - - - X', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
];

function replay(title: string, datapointsToAlarm: number, rows: readonly Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      for (const treatment of ['missing', 'ignore', 'breaching', 'notBreaching'] as const satisfies readonly TreatMissingData[]) {
        const expected = row[treatment];
        const previousStates: AlarmState[] = expected === 'retain' ? ['OK', 'ALARM', 'INSUFFICIENT_DATA'] : ['OK'];
        for (const previous of previousStates) {
          const want = expected === 'retain' ? previous : expected;
          it(`GIVEN "${row.points}" treated as ${treatment}, previously ${previous} WHEN evaluated THEN ${want}`, () => {
            const r = evaluateAlarm(alarm({ datapointsToAlarm, treatMissingData: treatment }), pattern(row.points), previous, NOW);
            assert.equal(r.state, want, r.reason);
          });
        }
      }
    }
  });
}

replay('evaluateAlarm: the documented 3-of-3 table', 3, THREE_OF_THREE);
replay('evaluateAlarm: the documented 2-of-3 table', 2, TWO_OF_THREE);

describe('evaluateAlarm: thresholds and periods', () => {
  const operators: { op: ComparisonOperator; value: number; breaches: boolean }[] = [
    { op: 'GreaterThanThreshold', value: 50, breaches: false },
    { op: 'GreaterThanThreshold', value: 50.1, breaches: true },
    { op: 'GreaterThanOrEqualToThreshold', value: 50, breaches: true },
    { op: 'LessThanThreshold', value: 50, breaches: false },
    { op: 'LessThanThreshold', value: 49.9, breaches: true },
    { op: 'LessThanOrEqualToThreshold', value: 50, breaches: true },
  ];
  for (const c of operators) {
    it(`GIVEN ${c.op} and three datapoints of ${c.value} WHEN evaluated THEN ${c.breaches ? 'ALARM' : 'OK'}`, () => {
      const r = evaluateAlarm(alarm({ comparisonOperator: c.op }), values([c.value, c.value, c.value]), 'INSUFFICIENT_DATA', NOW);
      assert.equal(r.state, c.breaches ? 'ALARM' : 'OK');
    });
  }

  it('GIVEN three breaching minutes WHEN the alarm fires THEN the reason reads like CloudWatch, newest value first', () => {
    const r = evaluateAlarm(alarm(), values([69.9, 70.3, 72.1]), 'OK', NOW);
    assert.equal(r.state, 'ALARM');
    assert.equal(
      r.reason,
      'Threshold Crossed: 3 out of the last 3 datapoints [72.1, 70.3, 69.9] were greater than the threshold (50.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    assert.equal(r.latestValue, 72.1);
    assert.deepEqual(r.evaluated, [72.1, 70.3, 69.9]);
    assert.equal(r.periodEnd, T0 + 5 * MINUTE);
  });

  it('GIVEN one minute back under the threshold WHEN evaluated THEN OK with a reason counting the good datapoint', () => {
    const r = evaluateAlarm(alarm(), values([70, 72, 30]), 'ALARM', NOW);
    assert.equal(r.state, 'OK');
    assert.equal(
      r.reason,
      'Threshold Crossed: 1 out of the last 3 datapoints [30.0, 72.0, 70.0] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
  });

  it('GIVEN a breaching value in the current, unfinished period WHEN evaluated THEN it is not used', () => {
    const points = [...values([10, 90, 90]), { timestamp: T0 + 5 * MINUTE, value: 90 }];
    assert.equal(evaluateAlarm(alarm(), points, 'OK', NOW).state, 'OK');
    assert.equal(evaluateAlarm(alarm(), points, 'OK', NOW + MINUTE).state, 'ALARM');
  });

  it('GIVEN 2 out of 3 with the breaches apart WHEN evaluated THEN ALARM (they need not be consecutive)', () => {
    assert.equal(evaluateAlarm(alarm({ datapointsToAlarm: 2 }), values([90, 10, 90]), 'OK', NOW).state, 'ALARM');
  });

  it('GIVEN no data treated as breaching WHEN evaluated THEN the reason says how missing data was treated', () => {
    const r = evaluateAlarm(alarm({ treatMissingData: 'breaching' }), [], 'OK', NOW);
    assert.equal(r.reason, 'Threshold Crossed: no datapoints were received for 5 periods and 3 missing datapoints were treated as [Breaching].');
    assert.equal(r.latestValue, undefined);
  });

  it('GIVEN a 10-second period WHEN evaluated THEN periods align to 10 s', () => {
    const def = alarm({ period: 10 });
    const now = T0 + 35_000;
    const points = [0, 10, 20].map((s) => ({ timestamp: T0 + s * 1000, value: 90 }));
    assert.equal(evaluateAlarm(def, points, 'OK', now).state, 'ALARM');
    assert.equal(evaluateAlarm(def, points, 'OK', now - 10_000).state, 'INSUFFICIENT_DATA');
  });
});
