import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickLeastOutstanding, pickRoundRobin, pickWeighted, routingSet, type Routable } from '../../../src/twin/lb/target-choice.ts';

interface T extends Routable {
  readonly name: string;
  state: string;
  inFlight: number;
}
function t(name: string, state = 'healthy', inFlight = 0): T {
  return { name, state, inFlight, wrrCredit: 0 };
}
const names = (ts: readonly T[]) => ts.map((x) => x.name);

describe('routingSet', () => {
  it('GIVEN healthy and unhealthy targets WHEN routing THEN only healthy ones take traffic', () => {
    const rs = routingSet([t('a'), t('b', 'unhealthy'), t('c', 'initial'), t('d', 'draining')]);
    assert.deepEqual(names(rs.list), ['a']);
    assert.equal(rs.failOpen, false);
  });
  it('GIVEN every non-draining target unhealthy WHEN routing THEN it fails open to all of them', () => {
    const rs = routingSet([t('a', 'unhealthy'), t('b', 'unhealthy'), t('c', 'draining')]);
    assert.deepEqual(names(rs.list), ['a', 'b']);
    assert.equal(rs.failOpen, true);
  });
  it('GIVEN only targets in initial checks or draining WHEN routing THEN nothing is routable (503)', () => {
    const rs = routingSet([t('a', 'initial'), t('b', 'draining')]);
    assert.deepEqual(rs.list, []);
    assert.equal(rs.failOpen, false);
  });
});

describe('pickRoundRobin', () => {
  it('GIVEN three targets WHEN 300 picks are made THEN each gets exactly 100, in turn', () => {
    const list = [t('a'), t('b'), t('c')];
    const cursor = { n: 0 };
    const counts = new Map<string, number>();
    const first: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = pickRoundRobin(list, cursor)!;
      if (i < 4) first.push(p.name);
      counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    }
    assert.deepEqual(first, ['a', 'b', 'c', 'a']);
    assert.deepEqual([...counts.values()], [100, 100, 100]);
  });
  it('GIVEN a target to exclude WHEN its turn comes THEN the next one is picked', () => {
    const list = [t('a'), t('b')];
    assert.equal(pickRoundRobin(list, { n: 0 }, list[0])!.name, 'b');
    assert.equal(pickRoundRobin([list[0]!], { n: 0 }, list[0])!.name, 'a', 'the only target is still returned');
    assert.equal(pickRoundRobin([], { n: 0 }), undefined);
  });
});

describe('pickWeighted', () => {
  it('GIVEN weights 1, 1 and 0.5 WHEN 250 picks are made THEN shares follow the weights, interleaved', () => {
    const list = [t('a'), t('b'), t('c')];
    const counts = new Map<string, number>();
    for (let i = 0; i < 250; i++) {
      const p = pickWeighted(list, [1, 1, 0.5])!;
      counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), { a: 100, b: 100, c: 50 });
  });
  it('GIVEN a tiny weight WHEN picks are made THEN that target is picked rarely but not never', () => {
    const list = [t('a'), t('b')];
    let b = 0;
    for (let i = 0; i < 1000; i++) if (pickWeighted(list, [1, 0.01])!.name === 'b') b++;
    assert.ok(b >= 5 && b <= 15, `b got ${b}`);
  });
});

describe('pickLeastOutstanding', () => {
  it('GIVEN one busy and one idle target WHEN picking THEN the idle one wins every time', () => {
    const list = [t('a', 'healthy', 3), t('b', 'healthy', 0)];
    const cursor = { n: 0 };
    for (let i = 0; i < 5; i++) assert.equal(pickLeastOutstanding(list, cursor)!.name, 'b');
  });
  it('GIVEN equally loaded targets WHEN picking THEN they take turns', () => {
    const list = [t('a'), t('b'), t('c')];
    const cursor = { n: 0 };
    assert.deepEqual([0, 1, 2, 3].map(() => pickLeastOutstanding(list, cursor)!.name), ['a', 'b', 'c', 'a']);
  });
  it('GIVEN the least loaded target excluded WHEN picking THEN the next least loaded is chosen', () => {
    const list = [t('a', 'healthy', 0), t('b', 'healthy', 2), t('c', 'healthy', 1)];
    assert.equal(pickLeastOutstanding(list, { n: 0 }, list[0])!.name, 'c');
  });
});
