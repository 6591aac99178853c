import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALARM_IDS, ALARM_METRICS, checkSpec, formatProblem, resolveSpec } from '../../src/spec/index.ts';
import type { AlarmId, ResolvedAlarm } from '../../src/spec/index.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };
const GIB = 1024 ** 3;

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function accepted(config: Record<string, unknown>) {
  const r = checkSpec({ ...minimal, ...config }, { configDir: '/srv/shop' });
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  return r.spec;
}

function rule(config: Record<string, unknown>, id: AlarmId): ResolvedAlarm | undefined {
  return accepted(config).alarms.rules.find((r) => r.id === id);
}

describe('alarms section', () => {
  it('GIVEN a config without alarms WHEN resolved THEN every alarm that applies gets its defaults, in order', () => {
    const s = resolveSpec(minimal);
    assert.equal(s.alarms.email, undefined);
    const byId = Object.fromEntries(s.alarms.rules.map((r) => [r.id, r]));
    assert.deepEqual(
      s.alarms.rules.map((r) => r.id),
      ['http5xxRate', 'latencyP99', 'unhealthyHosts', 'inServiceBelowMin', 'cpu', 'dbCpu', 'dbFreeStorage', 'dbConnections'],
    );
    const expected: Record<string, Omit<ResolvedAlarm, 'id'>> = {
      http5xxRate: { threshold: 5, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching', critical: true },
      latencyP99: { threshold: 2, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching', critical: true },
      unhealthyHosts: { threshold: 0, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: 'notBreaching', critical: false },
      inServiceBelowMin: { threshold: 3, comparison: 'LessThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'breaching', critical: false },
      cpu: { threshold: 80, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'missing', critical: false },
      dbCpu: { threshold: 80, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'missing', critical: false },
      dbFreeStorage: { threshold: 2 * GIB, comparison: 'LessThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing', critical: false },
      dbConnections: { threshold: 200, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing', critical: false },
    };
    for (const [id, want] of Object.entries(expected)) assert.deepEqual(byId[id], { id, ...want }, id);
  });

  it('GIVEN readable standbys or a domain WHEN resolved THEN the replica-lag and DNS alarms join with their defaults', () => {
    const s = accepted({ database: { deployment: 'multi-az-cluster' }, dns: { domain: 'shop.example.com' } });
    assert.deepEqual(s.alarms.rules.find((r) => r.id === 'dbReplicaLag'), {
      id: 'dbReplicaLag', threshold: 30, comparison: 'GreaterThanThreshold', period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing', critical: false,
    });
    assert.deepEqual(s.alarms.rules.find((r) => r.id === 'dnsHealthCheck'), {
      id: 'dnsHealthCheck', threshold: 1, comparison: 'LessThanThreshold', period: 60, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'breaching', critical: true,
    });
    assert.deepEqual(s.alarms.rules.map((r) => r.id), ALARM_IDS);
  });

  it('GIVEN the capacity WHEN inServiceBelowMin has no threshold THEN it alarms below capacity.min', () => {
    const cases: { config: Record<string, unknown>; threshold: number }[] = [
      { config: {}, threshold: 3 },
      { config: { zones: 2 }, threshold: 2 },
      { config: { capacity: { min: 5, max: 10 } }, threshold: 5 },
      { config: { capacity: { min: 4, max: 10 }, alarms: { inServiceBelowMin: { threshold: 2 } } }, threshold: 2 },
    ];
    for (const c of cases) assert.equal(rule(c.config, 'inServiceBelowMin')?.threshold, c.threshold, JSON.stringify(c.config));
  });

  it('GIVEN capacity.min 0 WHEN resolved THEN there is no inServiceBelowMin alarm, and setting one is refused', () => {
    assert.equal(rule({ capacity: { min: 0, max: 3 } }, 'inServiceBelowMin'), undefined);
    const r = checkSpec({ ...minimal, capacity: { min: 0, max: 3 }, alarms: { inServiceBelowMin: { period: 60 } } }, { configDir: '/srv/shop' });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.map(formatProblem).includes('alarms.inServiceBelowMin: is set, but capacity.min is 0: there is no minimum to fall below; expected false or no alarms.inServiceBelowMin'));
  });

  it('GIVEN a free-storage threshold in percent WHEN resolved THEN the rule holds it in bytes of database.storageGiB', () => {
    const cases: { config: Record<string, unknown>; bytes: number }[] = [
      { config: {}, bytes: 0.1 * 20 * GIB },
      { config: { database: { storageGiB: 500 } }, bytes: 50 * GIB },
      { config: { database: { deployment: 'multi-az-cluster' } }, bytes: 10 * GIB },
      { config: { database: { storageGiB: 100 }, alarms: { dbFreeStorage: { threshold: 25 } } }, bytes: 25 * GIB },
      { config: { database: { storageGiB: 30 }, alarms: { dbFreeStorage: { threshold: 3.3 } } }, bytes: Math.round(0.033 * 30 * GIB) },
    ];
    for (const c of cases) assert.equal(rule(c.config, 'dbFreeStorage')?.threshold, c.bytes, JSON.stringify(c.config));
  });

  it('GIVEN fields of an alarm WHEN resolved THEN the given ones win and the rest keep that alarm\'s defaults', () => {
    const s = accepted({
      alarms: {
        email: 'ops@example.com',
        http5xxRate: { threshold: 1, period: 300, critical: false },
        cpu: { evaluationPeriods: 2 },
        latencyP99: { period: 10, evaluationPeriods: 6, datapointsToAlarm: 4 },
      },
    });
    assert.equal(s.alarms.email, 'ops@example.com');
    const by = (id: AlarmId) => s.alarms.rules.find((r) => r.id === id);
    assert.deepEqual(
      { ...by('http5xxRate') },
      { id: 'http5xxRate', threshold: 1, comparison: 'GreaterThanThreshold', period: 300, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching', critical: false },
    );
    // Only evaluationPeriods given: datapointsToAlarm follows it down rather than exceed it.
    assert.equal(by('cpu')?.evaluationPeriods, 2);
    assert.equal(by('cpu')?.datapointsToAlarm, 2);
    assert.deepEqual([by('latencyP99')?.period, by('latencyP99')?.evaluationPeriods, by('latencyP99')?.datapointsToAlarm], [10, 6, 4]);
  });

  it('GIVEN false for an alarm WHEN resolved THEN that alarm is gone and the others stay', () => {
    const s = accepted({ alarms: { cpu: false, dbConnections: false, dbReplicaLag: false, dnsHealthCheck: false } });
    const ids = s.alarms.rules.map((r) => r.id);
    assert.equal(ids.includes('cpu'), false);
    assert.equal(ids.includes('dbConnections'), false);
    assert.equal(ids.length, 6);
  });

  it('GIVEN a value outside a field\'s range WHEN checked THEN the problem names the path, the value and what is allowed', () => {
    const cases: { alarms: Record<string, unknown>; problem: string }[] = [
      { alarms: { email: 'ops' }, problem: 'alarms.email: received "ops", expected an email address such as "ops@example.com"' },
      { alarms: { cpu: true }, problem: 'alarms.cpu: received true, expected false or an object of threshold, period, evaluationPeriods, datapointsToAlarm, critical' },
      { alarms: { cpu: { threshold: '80' } }, problem: 'alarms.cpu.threshold: received "80", expected a finite number' },
      { alarms: { cpu: { threshold: Number.POSITIVE_INFINITY } }, problem: 'alarms.cpu.threshold: received Infinity, expected a finite number' },
      { alarms: { cpu: { period: 5 } }, problem: 'alarms.cpu.period: 5 is below the minimum 10 (seconds)' },
      { alarms: { cpu: { period: 86460 } }, problem: 'alarms.cpu.period: 86460 is above the maximum 86400 (seconds)' },
      { alarms: { cpu: { period: 45 } }, problem: 'alarms.cpu.period: 45 is not a CloudWatch period; expected 10, 20, 30 or a multiple of 60 up to 86400 (seconds)' },
      { alarms: { cpu: { period: 90 } }, problem: 'alarms.cpu.period: 90 is not a CloudWatch period; expected 10, 20, 30 or a multiple of 60 up to 86400 (seconds)' },
      { alarms: { cpu: { period: 60.5 } }, problem: 'alarms.cpu.period: 60.5 is not a whole number (seconds)' },
      { alarms: { cpu: { evaluationPeriods: 0 } }, problem: 'alarms.cpu.evaluationPeriods: 0 is below the minimum 1 (datapoints)' },
      { alarms: { cpu: { evaluationPeriods: 101 } }, problem: 'alarms.cpu.evaluationPeriods: 101 is above the maximum 100 (datapoints)' },
      { alarms: { cpu: { datapointsToAlarm: 0 } }, problem: 'alarms.cpu.datapointsToAlarm: 0 is below the minimum 1 (datapoints)' },
      { alarms: { cpu: { critical: 'yes' } }, problem: 'alarms.cpu.critical: received "yes", expected true or false' },
      { alarms: { cpu: { treshold: 90 } }, problem: 'alarms.cpu.treshold: unknown field' },
      { alarms: { diskSpace: {} }, problem: 'alarms.diskSpace: unknown field' },
      { alarms: { cpu: { threshold: 100 } }, problem: 'alarms.cpu.threshold: 100 must be below 100 (percent)' },
      { alarms: { dbCpu: { threshold: -1 } }, problem: 'alarms.dbCpu.threshold: -1 is below the minimum 0 (percent)' },
      { alarms: { http5xxRate: { threshold: 100 } }, problem: 'alarms.http5xxRate.threshold: 100 must be below 100 (percent)' },
      { alarms: { latencyP99: { threshold: 0 } }, problem: 'alarms.latencyP99.threshold: 0 is not above 0 (seconds)' },
      { alarms: { unhealthyHosts: { threshold: -1 } }, problem: 'alarms.unhealthyHosts.threshold: -1 is below the minimum 0 (targets)' },
      { alarms: { dbFreeStorage: { threshold: 0 } }, problem: 'alarms.dbFreeStorage.threshold: 0 is not above 0 (percent)' },
      { alarms: { dbFreeStorage: { threshold: 100 } }, problem: 'alarms.dbFreeStorage.threshold: 100 must be below 100 (percent)' },
      { alarms: { dbConnections: { threshold: -5 } }, problem: 'alarms.dbConnections.threshold: -5 is below the minimum 0 (connections)' },
      { alarms: { inServiceBelowMin: { threshold: 0 } }, problem: 'alarms.inServiceBelowMin.threshold: 0 is below the minimum 1 (instances)' },
      { alarms: { inServiceBelowMin: { threshold: 4 } }, problem: 'alarms.inServiceBelowMin.threshold: 4 must be <= capacity.min (3) (instances)' },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, alarms: c.alarms }), [c.problem], JSON.stringify(c.alarms));
  });

  it('GIVEN the DNS alarm\'s threshold WHEN checked THEN only a status between 0 (excluded) and 1 is taken', () => {
    const dns = { domain: 'shop.example.com' };
    assert.deepEqual(problems({ ...minimal, dns, alarms: { dnsHealthCheck: { threshold: 0 } } }), [
      'alarms.dnsHealthCheck.threshold: 0 is not above 0 (healthy (1) or not (0))',
    ]);
    assert.deepEqual(problems({ ...minimal, dns, alarms: { dnsHealthCheck: { threshold: 2 } } }), [
      'alarms.dnsHealthCheck.threshold: 2 is above the maximum 1 (healthy (1) or not (0))',
    ]);
    assert.equal(rule({ dns, alarms: { dnsHealthCheck: { threshold: 0.5 } } }, 'dnsHealthCheck')?.threshold, 0.5);
  });

  it('GIVEN more datapoints to alarm than are evaluated WHEN checked THEN it is refused against the evaluationPeriods in use', () => {
    const cases: { rule: Record<string, unknown>; problem: string }[] = [
      { rule: { evaluationPeriods: 2, datapointsToAlarm: 3 }, problem: 'alarms.latencyP99.datapointsToAlarm: 3 must be <= alarms.latencyP99.evaluationPeriods (2)' },
      { rule: { datapointsToAlarm: 4 }, problem: 'alarms.latencyP99.datapointsToAlarm: 4 must be <= alarms.latencyP99.evaluationPeriods (3)' },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, alarms: { latencyP99: c.rule } }), [c.problem], JSON.stringify(c.rule));
    assert.equal(rule({ alarms: { latencyP99: { evaluationPeriods: 3, datapointsToAlarm: 3 } } }, 'latencyP99')?.datapointsToAlarm, 3);
  });

  it('GIVEN an evaluation window longer than CloudWatch looks back WHEN checked THEN it is refused (a day under an hourly period, else seven days)', () => {
    const cases: { rule: Record<string, unknown>; problem: string | undefined }[] = [
      { rule: { period: 1800, evaluationPeriods: 48 }, problem: undefined },
      { rule: { period: 1800, evaluationPeriods: 49 }, problem: 'alarms.cpu.evaluationPeriods: 49 periods of 1800 s look back 88200 s; expected at most 86400 (one day, for periods under an hour)' },
      { rule: { period: 3600, evaluationPeriods: 100 }, problem: undefined },
      { rule: { period: 7200, evaluationPeriods: 85 }, problem: 'alarms.cpu.evaluationPeriods: 85 periods of 7200 s look back 612000 s; expected at most 604800 (seven days)' },
      { rule: { period: 86400, evaluationPeriods: 7, datapointsToAlarm: 1 }, problem: undefined },
      { rule: { period: 86400, evaluationPeriods: 8, datapointsToAlarm: 1 }, problem: 'alarms.cpu.evaluationPeriods: 8 periods of 86400 s look back 691200 s; expected at most 604800 (seven days)' },
    ];
    for (const c of cases) {
      const config = { ...minimal, alarms: { cpu: c.rule } };
      if (c.problem === undefined) accepted(config);
      else assert.deepEqual(problems(config), [c.problem], JSON.stringify(c.rule));
    }
  });

  it('GIVEN an alarm for something the stack does not have WHEN checked THEN it says what the alarm needs', () => {
    assert.deepEqual(problems({ ...minimal, alarms: { dbReplicaLag: { threshold: 10 } } }), [
      'alarms.dbReplicaLag: is set, but it needs database.deployment "multi-az-cluster" (readable standbys); expected false or no alarms.dbReplicaLag',
    ]);
    assert.deepEqual(problems({ ...minimal, database: { deployment: 'single-az' }, alarms: { dbReplicaLag: {} } }), [
      'alarms.dbReplicaLag: is set, but it needs database.deployment "multi-az-cluster" (readable standbys); expected false or no alarms.dbReplicaLag',
    ]);
    assert.deepEqual(problems({ ...minimal, alarms: { dnsHealthCheck: { period: 60 } } }), [
      'alarms.dnsHealthCheck: is set, but it needs dns; expected false or no alarms.dnsHealthCheck',
    ]);
  });

  it('GIVEN every alarm WHEN its metric is looked up THEN each reads a CloudWatch metric with a unit', () => {
    for (const id of ALARM_IDS) {
      const m = ALARM_METRICS[id];
      assert.ok(m !== undefined, id);
      assert.ok(m.unit.length > 0, id);
      const refs = m.kind === 'metric' ? [m] : [...m.numerators, m.denominator];
      for (const r of refs) assert.match(r.namespace, /^AWS\//, id);
    }
    assert.equal(ALARM_METRICS.dbFreeStorage.unit, 'bytes');
  });
});
