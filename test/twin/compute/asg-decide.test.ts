import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAsg, type AsgState, type InstanceView } from '../../../src/twin/compute/asg-decide.ts';

const NOW = 1_800_000_000_000;
const ZONES = ['local-1a', 'local-1b', 'local-1c'];

function inst(id: string, zone: string, over: Partial<InstanceView> = {}): InstanceView {
  return { id, zone, lifecycle: 'InService', launchedAt: NOW - 600_000, alive: true, listening: true, target: 'healthy', ...over };
}

function state(instances: InstanceView[], over: Partial<AsgState> = {}): AsgState {
  return {
    now: NOW,
    desired: 3,
    max: 9,
    zones: ZONES.map((name) => ({ name, available: true })),
    instances,
    healthCheckType: 'ELB',
    gracePeriodMs: 60_000,
    startupTimeoutMs: 60_000,
    burst: 10,
    ...over,
  };
}

const balanced = () => [inst('i-a', 'local-1a'), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')];
const kinds = (s: AsgState) => decideAsg(s).actions.map((a) => `${a.kind}:${'zone' in a ? a.zone : a.id}`);

describe('decideAsg', () => {
  it('GIVEN one instance per zone at desired WHEN deciding THEN it does nothing', () => {
    const d = decideAsg(state(balanced()));
    assert.deepEqual(d.actions, []);
    assert.match(d.summary, /^steady/);
  });

  it('GIVEN an empty group WHEN deciding THEN it launches one per zone', () => {
    assert.deepEqual(kinds(state([])), ['launch:local-1a', 'launch:local-1b', 'launch:local-1c']);
  });

  it('GIVEN a dead process WHEN deciding THEN it terminates it and launches the replacement in the same zone', () => {
    const s = state([inst('i-a', 'local-1a'), inst('i-b', 'local-1b', { alive: false, exitDescription: 'killed by SIGKILL' }), inst('i-c', 'local-1c')]);
    const d = decideAsg(s);
    assert.deepEqual(kinds(s), ['terminate:i-b', 'launch:local-1b']);
    assert.match(d.actions[0]!.reason, /EC2 health check.*SIGKILL/);
  });

  it('GIVEN an unhealthy target past the grace period WHEN the check type is ELB THEN it is replaced', () => {
    const s = state([inst('i-a', 'local-1a', { target: 'unhealthy' }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')]);
    assert.deepEqual(kinds(s), ['terminate:i-a', 'launch:local-1a']);
    assert.match(decideAsg(s).actions[0]!.reason, /ELB system health check failure/);
  });

  it('GIVEN an unhealthy target WHEN the check type is EC2 THEN it is kept', () => {
    const s = state([inst('i-a', 'local-1a', { target: 'unhealthy' }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')], { healthCheckType: 'EC2' });
    assert.deepEqual(kinds(s), []);
  });

  it('GIVEN an unhealthy target inside the grace period WHEN deciding THEN it is kept', () => {
    const s = state([inst('i-a', 'local-1a', { target: 'unhealthy', launchedAt: NOW - 10_000 }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')]);
    assert.deepEqual(kinds(s), []);
  });

  it('GIVEN a pending instance now listening WHEN deciding THEN it is put in service', () => {
    const s = state([inst('i-a', 'local-1a', { lifecycle: 'Pending', target: undefined }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')]);
    assert.deepEqual(kinds(s), ['put-in-service:i-a']);
  });

  it('GIVEN a pending instance that never listens WHEN the startup timeout passes THEN it is replaced', () => {
    const s = state([inst('i-a', 'local-1a', { lifecycle: 'Pending', listening: false, target: undefined, launchedAt: NOW - 61_000 }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')]);
    assert.deepEqual(kinds(s), ['terminate:i-a', 'launch:local-1a']);
  });

  it('GIVEN a zone that is out WHEN its instance dies THEN the replacement goes to an available zone', () => {
    const zones = [{ name: 'local-1a', available: true }, { name: 'local-1b', available: false }, { name: 'local-1c', available: true }];
    const s = state([inst('i-a', 'local-1a'), inst('i-b', 'local-1b', { alive: false }), inst('i-c', 'local-1c')], { zones });
    assert.deepEqual(kinds(s), ['terminate:i-b', 'launch:local-1a']);
  });

  it('GIVEN no zone available WHEN capacity is short THEN it says so and launches nothing', () => {
    const zones = ZONES.map((name) => ({ name, available: false }));
    const d = decideAsg(state([], { zones }));
    assert.deepEqual(d.actions, []);
    assert.match(d.summary, /no Availability Zone is available/);
  });

  it('GIVEN more instances than desired WHEN deciding THEN it terminates the oldest in the fullest zone', () => {
    const s = state([...balanced(), inst('i-a2', 'local-1a', { launchedAt: NOW - 100_000 }), inst('i-a3', 'local-1a', { launchedAt: NOW - 900_000 })], { desired: 3 });
    assert.deepEqual(kinds(s), ['terminate:i-a3', 'terminate:i-a']);
    assert.match(decideAsg(s).actions[0]!.reason, /shrinking the capacity from 5 to 4/);
  });

  it('GIVEN a surplus while an instance is pending WHEN deciding THEN it waits before terminating', () => {
    const s = state([...balanced(), inst('i-n', 'local-1b', { lifecycle: 'Pending', listening: false, target: undefined, launchedAt: NOW - 1000 })]);
    assert.deepEqual(kinds(s), []);
  });

  it('GIVEN a zone back after an outage WHEN the group is lopsided THEN it launches there first, then terminates from the fullest zone', () => {
    const lopsided = [inst('i-a', 'local-1a'), inst('i-a2', 'local-1a', { launchedAt: NOW - 1000 }), inst('i-c', 'local-1c')];
    assert.deepEqual(kinds(state(lopsided)), ['launch:local-1b']);
    const afterLaunch = [...lopsided, inst('i-b', 'local-1b', { launchedAt: NOW - 500, launchCause: 'rebalance' })];
    const d = decideAsg(state(afterLaunch));
    assert.deepEqual(d.actions.map((a) => (a.kind === 'terminate' ? `${a.id}:${a.cause}` : a.kind)), ['i-a:rebalance']);
  });

  it('GIVEN a burst cap of 2 WHEN 3 instances are missing THEN it launches only 2 this cycle', () => {
    assert.equal(decideAsg(state([], { burst: 2 })).actions.length, 2);
  });

  it('GIVEN terminating instances WHEN counting capacity THEN they do not count', () => {
    const s = state([inst('i-a', 'local-1a', { lifecycle: 'Terminating', target: 'draining' }), inst('i-b', 'local-1b'), inst('i-c', 'local-1c')]);
    assert.deepEqual(kinds(s), ['launch:local-1a']);
  });
});

describe('decideAsg launch backoff', () => {
  it('GIVEN launches backing off WHEN capacity is short THEN it waits and says until when', () => {
    const d = decideAsg(state([], { launchNotBefore: NOW + 4000 }));
    assert.deepEqual(d.actions, []);
    assert.match(d.summary, /keep failing; next launch not before/);
  });

  it('GIVEN the backoff has passed WHEN capacity is short THEN it launches again', () => {
    assert.equal(decideAsg(state([], { launchNotBefore: NOW - 1 })).actions.length, 3);
  });
});
