import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_SLOW_START_WEIGHT, entersSlowStart, slowStartWeight } from '../../../src/twin/lb/slow-start.ts';

describe('slowStartWeight', () => {
  const cases: [number, number, number][] = [
    // [elapsed ms, duration ms, weight]
    [0, 100_000, MIN_SLOW_START_WEIGHT],
    [10_000, 100_000, 0.1],
    [50_000, 100_000, 0.5],
    [99_000, 100_000, 0.99],
    [100_000, 100_000, 1],
    [500_000, 100_000, 1],
    [0, 0, 1],
  ];
  for (const [elapsed, duration, w] of cases) {
    it(`GIVEN ${elapsed} ms into a ${duration} ms slow start WHEN weighed THEN the weight is ${w}`, () => {
      assert.ok(Math.abs(slowStartWeight(1_000 + elapsed, 1_000, duration) - w) < 1e-9);
    });
  }
});

describe('entersSlowStart', () => {
  const cases: [string, { durationMs: number; algorithm: string; otherSettledHealthy: number }, boolean][] = [
    ['slow start on, round robin, another settled healthy target', { durationMs: 30_000, algorithm: 'round_robin', otherSettledHealthy: 1 }, true],
    ['no other settled healthy target (the first target, or after an outage)', { durationMs: 30_000, algorithm: 'round_robin', otherSettledHealthy: 0 }, false],
    ['slow start off', { durationMs: 0, algorithm: 'round_robin', otherSettledHealthy: 2 }, false],
    ['least outstanding requests (ALB does not combine them)', { durationMs: 30_000, algorithm: 'least_outstanding_requests', otherSettledHealthy: 2 }, false],
  ];
  for (const [name, input, want] of cases) {
    it(`GIVEN ${name} WHEN a target becomes healthy THEN slow start is ${want ? 'entered' : 'skipped'}`, () => {
      assert.equal(entersSlowStart(input), want);
    });
  }
});
