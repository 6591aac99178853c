import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideDatabase, type ClusterMemory, type ClusterView, type DbAction, type NodeView } from '../../../src/twin/database/decide.ts';

const ZONES = ['local-1a', 'local-1b', 'local-1c'];

function node(name: string, o: Partial<NodeView> = {}): NodeView {
  return { name, zone: `local-1${name.slice(-1)}`, hasData: true, running: true, probeFailures: 0, inRecovery: name !== 'db-a', lsn: 100n, ...o };
}

const healthy: ClusterMemory = {
  epoch: 1,
  primary: 'db-a',
  standbys: { 'db-b': 1 },
  sync: { members: ['db-b'], verified: true, readOnly: false },
  failover: undefined,
};

function view(o: Partial<ClusterView> = {}): ClusterView {
  return {
    now: 1_000_000,
    deployment: 'multi-az-instance',
    strict: false,
    zones: ZONES.map((name) => ({ name, available: true })),
    nodes: [node('db-a'), node('db-b')],
    memory: healthy,
    failureThreshold: 3,
    replication: [{ name: 'db-b', state: 'streaming', syncState: 'sync', flushLsn: 100n }],
    primaryLsn: 100n,
    writerTarget: 'db-a',
    readerTargets: [],
    plannedFailover: false,
    failoverDelayMs: 0,
    nodeNameFor: (z) => `db-${z.slice(-1)}`,
    ...o,
  };
}

const kinds = (actions: readonly DbAction[]) => actions.map((a) => a.kind);

test('a healthy pair needs nothing', () => {
  assert.deepEqual(decideDatabase(view()).actions, []);
});

test('no primary yet: bootstrap in the first available zone', () => {
  const d = decideDatabase(view({ memory: { ...healthy, epoch: 0, primary: undefined, standbys: {}, sync: { members: [], verified: true, readOnly: false } }, nodes: [], zones: [{ name: 'local-1a', available: false }, { name: 'local-1b', available: true }] }));
  assert.deepEqual(d.actions, [{ kind: 'bootstrap', node: 'db-b', zone: 'local-1b', reason: 'the database has no primary yet' }]);
});

test('a killed primary with a synchronous standby: fence it, then promote, in one tick', () => {
  const d = decideDatabase(view({ nodes: [node('db-a', { running: false, exitDescription: 'exited (signal SIGKILL)' }), node('db-b')] }));
  assert.deepEqual(kinds(d.actions), ['begin-failover', 'fence', 'promote']);
  assert.match(d.actions[0]!.reason, /db-a is down: exited \(signal SIGKILL\)/);
  assert.deepEqual((d.actions[2] as { members: readonly string[] }).members, ['db-b']);
});

test('a hung primary fails over only after the probe threshold', () => {
  assert.deepEqual(decideDatabase(view({ nodes: [node('db-a', { probeFailures: 2 }), node('db-b')] })).actions, []);
  const d = decideDatabase(view({ nodes: [node('db-a', { probeFailures: 3 }), node('db-b')] }));
  assert.deepEqual(kinds(d.actions), ['begin-failover', 'fence', 'promote']);
  assert.match(d.actions[0]!.reason, /missed 3 probes/);
});

test("the primary's zone out fails over as well", () => {
  const d = decideDatabase(view({ zones: [{ name: 'local-1a', available: false }, { name: 'local-1b', available: true }, { name: 'local-1c', available: true }] }));
  assert.deepEqual(kinds(d.actions), ['begin-failover', 'fence', 'promote']);
  assert.match(d.actions[0]!.reason, /zone local-1a is out/);
});

test('no promotion without a synchronous standby: a dead primary restarts in place, a hung one is waited for', () => {
  const noSync: ClusterMemory = { ...healthy, sync: { members: [], verified: true, readOnly: false } };
  const dead = decideDatabase(view({ memory: noSync, nodes: [node('db-a', { running: false }), node('db-b')] }));
  assert.deepEqual(kinds(dead.actions), ['restart']);
  const hung = decideDatabase(view({ memory: noSync, nodes: [node('db-a', { probeFailures: 5 }), node('db-b')] }));
  assert.deepEqual(kinds(hung.actions), ['set-endpoints']);
  assert.equal((hung.actions[0] as { writer: string | undefined }).writer, undefined);
  assert.match(hung.waiting ?? '', /no failover is safe: no standby is synchronous/);
});

test('no promotion when the synchronous standby is down too, nor before a shrink is verified', () => {
  const both = decideDatabase(view({ nodes: [node('db-a', { running: false }), node('db-b', { probeFailures: 3 })] }));
  assert.deepEqual(kinds(both.actions), ['restart']);
  const unverified: ClusterMemory = { ...healthy, sync: { members: ['db-b'], verified: false, verifyFromLsn: 200n, readOnly: false } };
  const d = decideDatabase(view({ memory: unverified, nodes: [node('db-a', { running: false }), node('db-b')] }));
  assert.deepEqual(kinds(d.actions), ['restart']);
});

test('--fidelity aws: the failover starts, and promotion waits for its time', () => {
  const d = decideDatabase(view({ failoverDelayMs: 60_000, nodes: [node('db-a', { running: false }), node('db-b')] }));
  assert.deepEqual(kinds(d.actions), ['begin-failover', 'fence']);
  const failover = { from: 'db-a', reason: 'x', planned: false, startedAt: 1_000_000, notBefore: 1_060_000 };
  const early = decideDatabase(view({ memory: { ...healthy, standbys: {}, failover }, nodes: [node('db-a', { running: false }), node('db-b')], now: 1_030_000 }));
  assert.deepEqual(early.actions, []);
  const due = decideDatabase(view({ memory: { ...healthy, standbys: {}, failover }, nodes: [node('db-a', { running: false }), node('db-b')], now: 1_060_000 }));
  assert.deepEqual(kinds(due.actions), ['promote']);
});

test('a failover whose standby died meanwhile brings the old primary back instead', () => {
  const failover = { from: 'db-a', reason: 'x', planned: false, startedAt: 1, notBefore: 1 };
  const d = decideDatabase(view({ memory: { ...healthy, failover }, nodes: [node('db-a', { running: false }), node('db-b', { running: false })] }));
  assert.deepEqual(kinds(d.actions), ['abort-failover']);
});

test('a planned failover stops the primary cleanly before promoting', () => {
  const d = decideDatabase(view({ plannedFailover: true }));
  assert.deepEqual(kinds(d.actions), ['begin-failover', 'fence', 'promote']);
  assert.equal((d.actions[1] as { planned: boolean }).planned, true);
});

test('standby lost: commits go on without it by default, are refused in strict mode', () => {
  const down = [node('db-a'), node('db-b', { running: false })];
  const d = decideDatabase(view({ nodes: down, replication: [] }));
  const sync = d.actions.find((a) => a.kind === 'set-sync') as { members: readonly string[]; readOnly: boolean };
  assert.deepEqual(sync, { ...sync, members: [], readOnly: false });
  assert.ok(d.actions.some((a) => a.kind === 'restart' && a.node === 'db-b'), 'the standby is restarted');
  const strict = decideDatabase(view({ nodes: down, replication: [], strict: true }));
  const s2 = strict.actions.find((a) => a.kind === 'set-sync') as { members: readonly string[]; readOnly: boolean };
  assert.deepEqual([s2.members, s2.readOnly], [['db-b'], true]);
});

test('a streaming standby joins the synchronous set; strict mode accepts commits again when it is back', () => {
  const none: ClusterMemory = { ...healthy, sync: { members: [], verified: true, readOnly: false } };
  const d = decideDatabase(view({ memory: none, replication: [{ name: 'db-b', state: 'streaming', syncState: 'async', flushLsn: 90n }] }));
  assert.deepEqual(d.actions.map((a) => [a.kind, (a as { members?: string[] }).members]), [['set-sync', ['db-b']]]);
  const strict = decideDatabase(view({ strict: true, memory: { ...healthy, sync: { members: ['db-b'], verified: true, readOnly: true } } }));
  assert.deepEqual(strict.actions.map((a) => [a.kind, (a as { readOnly?: boolean }).readOnly]), [['set-sync', false]]);
});

test('after a failover the old primary is rebuilt as a standby; with its zone out, a new node is made elsewhere', () => {
  const after: ClusterMemory = { epoch: 2, primary: 'db-b', standbys: {}, sync: { members: [], verified: true, readOnly: false }, failover: undefined };
  const nodes = [node('db-a', { running: false, inRecovery: undefined }), node('db-b', { inRecovery: false })];
  const d = decideDatabase(view({ memory: after, nodes, writerTarget: 'db-b', replication: [] }));
  assert.deepEqual(d.actions.map((a) => [a.kind, (a as { node?: string }).node]), [['rebuild', 'db-a']]);
  const zoneOut = decideDatabase(view({ memory: after, nodes, writerTarget: 'db-b', replication: [], zones: [{ name: 'local-1a', available: false }, { name: 'local-1b', available: true }, { name: 'local-1c', available: true }] }));
  assert.deepEqual(zoneOut.actions.map((a) => [a.kind, (a as { node?: string }).node, (a as { zone?: string }).zone]), [['rebuild', 'db-c', 'local-1c']]);
  // The zone returns after db-c took over as standby: the stale db-a goes.
  const back = decideDatabase(view({ memory: { ...after, standbys: { 'db-c': 2 }, sync: { members: ['db-c'], verified: true, readOnly: false } }, nodes: [...nodes, node('db-c')], writerTarget: 'db-b', replication: [{ name: 'db-c', state: 'streaming', syncState: 'sync', flushLsn: 100n }] }));
  assert.deepEqual(back.actions.map((a) => [a.kind, (a as { node?: string }).node]), [['remove', 'db-a']]);
});

test('a node being cloned counts as a coming standby: no second rebuild, no restart', () => {
  const after: ClusterMemory = { epoch: 2, primary: 'db-b', standbys: {}, sync: { members: [], verified: true, readOnly: false }, failover: undefined };
  const d = decideDatabase(view({ memory: after, nodes: [node('db-a', { running: false, hasData: false, building: true }), node('db-b', { inRecovery: false })], writerTarget: 'db-b', replication: [] }));
  assert.deepEqual(d.actions, []);
});

test('the endpoint always leads to the remembered primary, never elsewhere', () => {
  const d = decideDatabase(view({ writerTarget: 'db-b' }));
  assert.deepEqual(d.actions.map((a) => [a.kind, (a as { writer?: string }).writer]), [['set-endpoints', 'db-a']]);
});

test('cluster: losing one of two standbys shrinks the set, which is trusted only once caught up', () => {
  const mem: ClusterMemory = { epoch: 1, primary: 'db-a', standbys: { 'db-b': 1, 'db-c': 1 }, sync: { members: ['db-b', 'db-c'], verified: true, readOnly: false }, failover: undefined };
  const base = { deployment: 'multi-az-cluster' as const, memory: mem, readerTargets: ['db-b', 'db-c'] };
  const rep = (c: bigint) => [{ name: 'db-c', state: 'streaming', syncState: 'quorum', flushLsn: c }];
  const d = decideDatabase(view({ ...base, nodes: [node('db-a'), node('db-b', { running: false }), node('db-c')], replication: rep(100n) }));
  const s = d.actions.find((a) => a.kind === 'set-sync') as { members: readonly string[] };
  assert.deepEqual(s.members, ['db-c']);
  // Primary dies before db-c is verified: no promotion (db-b may have held the only copy).
  const unverified: ClusterMemory = { ...mem, sync: { members: ['db-c'], verified: false, verifyFromLsn: 150n, readOnly: false } };
  const dead = decideDatabase(view({ ...base, memory: unverified, nodes: [node('db-a', { running: false }), node('db-b', { running: false }), node('db-c')], replication: [] }));
  assert.deepEqual(kinds(dead.actions), ['restart']);
  const behind = decideDatabase(view({ ...base, memory: unverified, nodes: [node('db-a'), node('db-b', { running: false }), node('db-c')], replication: rep(120n) }));
  assert.ok(!behind.actions.some((a) => a.kind === 'verify-sync'));
  const caught = decideDatabase(view({ ...base, memory: unverified, nodes: [node('db-a'), node('db-b', { running: false }), node('db-c')], replication: rep(150n) }));
  assert.ok(caught.actions.some((a) => a.kind === 'verify-sync'));
  const notYetSync = decideDatabase(view({ ...base, memory: unverified, nodes: [node('db-a'), node('db-b', { running: false }), node('db-c')], replication: [{ name: 'db-c', state: 'streaming', syncState: 'async', flushLsn: 150n }] }));
  assert.ok(!notYetSync.actions.some((a) => a.kind === 'verify-sync'), 'a member must report itself synchronous');
});

test('cluster: promotion considers every synchronous member; the reader endpoint lists streaming standbys', () => {
  const mem: ClusterMemory = { epoch: 1, primary: 'db-a', standbys: { 'db-b': 1, 'db-c': 1 }, sync: { members: ['db-b', 'db-c'], verified: true, readOnly: false }, failover: undefined };
  const base = { deployment: 'multi-az-cluster' as const, memory: mem };
  const reps = [{ name: 'db-b', state: 'streaming', syncState: 'quorum', flushLsn: 100n }, { name: 'db-c', state: 'streaming', syncState: 'quorum', flushLsn: 100n }];
  const d = decideDatabase(view({ ...base, nodes: [node('db-a'), node('db-b'), node('db-c')], replication: reps, readerTargets: [] }));
  assert.deepEqual(d.actions.map((a) => [a.kind, (a as { readers?: string[] }).readers]), [['set-endpoints', ['db-b', 'db-c']]]);
  const f = decideDatabase(view({ ...base, nodes: [node('db-a', { running: false }), node('db-b'), node('db-c')], replication: reps }));
  assert.deepEqual((f.actions.find((a) => a.kind === 'promote') as { members: readonly string[] }).members, ['db-b', 'db-c']);
});
