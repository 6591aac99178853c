/**
 * The database controller's decision core, in the manner of the RDS Multi-AZ control plane and
 * Patroni's HA loop: given what is (each node's process, probes, zone and replication position)
 * and what it remembers (which node is primary, which standbys every acknowledged commit reached),
 * say what to do next. Pure: no clock reads, no I/O. The controller calls it on every tick and
 * carries out the actions in order, stopping at the first that fails; the next tick looks again.
 *
 * Safety rules, each named where it is applied:
 * - Promote only a standby that has every acknowledged transaction: the synchronous members must
 *   all answer (commits were acknowledged by at least one of them) and the one furthest ahead wins.
 * - Fence the old primary (SIGKILL of its process group, or a clean stop when planned) before any
 *   promotion, and never point the endpoint at a node other than the remembered primary.
 * - Every change of the synchronous set is remembered before it is applied, and the new set is
 *   trusted only once each member reports itself synchronous and has flushed the primary's WAL
 *   position sampled after the change; until then no promotion is allowed.
 * - With no eligible standby, a primary that died is restarted in place (crash recovery keeps every
 *   acknowledged commit); a hung one is waited for.
 */

export type Deployment = 'multi-az-instance' | 'multi-az-cluster' | 'single-az';

export interface NodeView {
  readonly name: string;
  readonly zone: string;
  /** The data folder holds a database cluster. */
  readonly hasData: boolean;
  /** The postgres process runs (it may still be paused). */
  readonly running: boolean;
  /** Consecutive failed probes; 0 after a successful one. */
  readonly probeFailures: number;
  /** What the last successful probe since the process started said; undefined before one succeeded. */
  readonly inRecovery: boolean | undefined;
  /** WAL received (standby) or written (primary), from the last successful probe. */
  readonly lsn: bigint | undefined;
  /** Why the process is not running, for the event log (e.g. "exited with signal SIGKILL"). */
  readonly exitDescription?: string;
  /** Being cloned from the primary right now (a rebuild runs beside the loop). */
  readonly building?: boolean;
}

export interface ReplicationView {
  readonly name: string;
  readonly state: string;
  readonly syncState: string;
  readonly flushLsn: bigint | undefined;
}

export interface SyncMemory {
  /** Standbys named in synchronous_standby_names: every commit acknowledged since reached one of them. */
  readonly members: readonly string[];
  /** False after a change until every member has caught up; no promotion meanwhile. */
  readonly verified: boolean;
  /** The primary's WAL position sampled after the change was applied; members must reach it. */
  readonly verifyFromLsn?: bigint;
  /** Commits are refused (strict mode without a synchronous standby). */
  readonly readOnly: boolean;
}

export interface FailoverMemory {
  readonly from: string;
  readonly reason: string;
  readonly planned: boolean;
  readonly startedAt: number;
  /** Promotion waits until then (`--fidelity aws` adds RDS-like failover time). */
  readonly notBefore: number;
}

/** What the controller remembers across ticks (and restarts): the cluster's "DCS". */
export interface ClusterMemory {
  /** Increments at each promotion: the primary's generation. */
  readonly epoch: number;
  readonly primary: string | undefined;
  /** Node name → the epoch of the primary it was built or repointed to follow. */
  readonly standbys: Readonly<Record<string, number>>;
  readonly sync: SyncMemory;
  readonly failover: FailoverMemory | undefined;
}

export interface ClusterView {
  readonly now: number;
  readonly deployment: Deployment;
  readonly strict: boolean;
  readonly zones: readonly { readonly name: string; readonly available: boolean }[];
  /** At most one node per zone. */
  readonly nodes: readonly NodeView[];
  readonly memory: ClusterMemory;
  /** Failed probes after which a node counts as down. */
  readonly failureThreshold: number;
  /** From the primary's last successful probe. */
  readonly replication: readonly ReplicationView[];
  readonly primaryLsn: bigint | undefined;
  /** Where the writer endpoint leads now. */
  readonly writerTarget: string | undefined;
  readonly readerTargets: readonly string[];
  /** A planned failover (`hastack db failover`) was asked for. */
  readonly plannedFailover: boolean;
  /** Added to a failover's start before promotion (0 in the default fidelity). */
  readonly failoverDelayMs: number;
  /** Node name for a zone, e.g. local-1b → db-b. */
  readonly nodeNameFor: (zone: string) => string;
}

export type DbAction =
  | { readonly kind: 'bootstrap'; readonly node: string; readonly zone: string; readonly reason: string }
  | { readonly kind: 'begin-failover'; readonly from: string; readonly planned: boolean; readonly notBefore: number; readonly reason: string }
  | { readonly kind: 'fence'; readonly node: string; readonly planned: boolean; readonly reason: string }
  | { readonly kind: 'promote'; readonly members: readonly string[]; readonly reason: string }
  | { readonly kind: 'abort-failover'; readonly node: string; readonly reason: string }
  | { readonly kind: 'restart'; readonly node: string; readonly reason: string }
  | { readonly kind: 'rebuild'; readonly node: string; readonly zone: string; readonly reason: string }
  | { readonly kind: 'remove'; readonly node: string; readonly reason: string }
  | { readonly kind: 'set-sync'; readonly members: readonly string[]; readonly readOnly: boolean; readonly reason: string }
  | { readonly kind: 'verify-sync'; readonly reason: string }
  | { readonly kind: 'set-endpoints'; readonly writer: string | undefined; readonly readers: readonly string[]; readonly reason: string };

export interface DbDecision {
  readonly actions: readonly DbAction[];
  /** Why nothing (more) is done, when something is wrong but no action helps yet. */
  readonly waiting?: string;
}

export function desiredStandbys(d: Deployment): number {
  return d === 'single-az' ? 0 : d === 'multi-az-instance' ? 1 : 2;
}

function zoneAvailable(v: ClusterView, zone: string): boolean {
  return v.zones.find((z) => z.name === zone)?.available ?? false;
}

/** Why a node counts as down, or undefined when it is up. */
export function downReason(v: ClusterView, n: NodeView): string | undefined {
  if (!zoneAvailable(v, n.zone)) return `its zone ${n.zone} is out`;
  if (!n.running) return n.exitDescription ?? 'its process is not running';
  if (n.probeFailures >= v.failureThreshold) return `it missed ${n.probeFailures} probes in a row`;
  if (n.inRecovery === undefined) return 'it has not answered a probe yet';
  return undefined;
}

/** A standby following the current primary that answers probes. */
function isLiveStandby(v: ClusterView, n: NodeView): boolean {
  return v.memory.standbys[n.name] === v.memory.epoch && n.name !== v.memory.primary && downReason(v, n) === undefined && n.inRecovery === true;
}

/**
 * Who may be promoted: every synchronous member answers and is in recovery (so the one furthest
 * ahead holds every acknowledged commit), once the set was verified since its last change. Undefined, with the
 * reason, when no promotion is safe.
 */
export function promotionCandidates(v: ClusterView): { members: readonly string[] } | { blocked: string } {
  const { sync } = v.memory;
  if (sync.members.length === 0) return { blocked: 'no standby is synchronous, so none is known to hold every acknowledged commit' };
  if (!sync.verified) return { blocked: `the synchronous set (${sync.members.join(', ')}) has not caught up since it changed` };
  for (const m of sync.members) {
    const n = v.nodes.find((x) => x.name === m);
    if (n === undefined) return { blocked: `synchronous standby ${m} is gone` };
    const why = downReason(v, n);
    if (why !== undefined) return { blocked: `synchronous standby ${m} is down (${why})` };
    if (n.inRecovery !== true) return { blocked: `synchronous standby ${m} is not in recovery` };
  }
  return { members: sync.members };
}

export function decideDatabase(v: ClusterView): DbDecision {
  const m = v.memory;
  if (m.primary === undefined) {
    const zone = v.zones.find((z) => z.available)?.name;
    if (zone === undefined) return { actions: [], waiting: 'no zone is available for the first database node' };
    return { actions: [{ kind: 'bootstrap', node: v.nodeNameFor(zone), zone, reason: 'the database has no primary yet' }] };
  }
  const primary = v.nodes.find((n) => n.name === m.primary);
  const primaryDown = primary === undefined ? 'it is gone' : downReason(v, primary);

  if (m.failover !== undefined) return continueFailover(v, m.failover, primary);

  if (primaryDown !== undefined) {
    const c = promotionCandidates(v);
    if ('members' in c) {
      return {
        actions: [
          { kind: 'begin-failover', from: m.primary, planned: false, notBefore: v.now + v.failoverDelayMs, reason: `primary ${m.primary} is down: ${primaryDown}` },
          { kind: 'fence', node: m.primary, planned: false, reason: `fencing ${m.primary} so it can never take writes again` },
          ...(v.failoverDelayMs > 0 ? [] : [{ kind: 'promote' as const, members: c.members, reason: `primary ${m.primary} is down: ${primaryDown}` }]),
        ],
      };
    }
    return recoverInPlace(v, primary, primaryDown, c.blocked);
  }
  const p = primary!;

  if (v.plannedFailover) {
    const c = promotionCandidates(v);
    if ('members' in c) {
      return {
        actions: [
          { kind: 'begin-failover', from: p.name, planned: true, notBefore: v.now + v.failoverDelayMs, reason: 'a failover was requested' },
          { kind: 'fence', node: p.name, planned: true, reason: `stopping ${p.name} cleanly for the requested failover` },
          ...(v.failoverDelayMs > 0 ? [] : [{ kind: 'promote' as const, members: c.members, reason: 'a failover was requested' }]),
        ],
      };
    }
    return { actions: [], waiting: `the requested failover waits: ${c.blocked}` };
  }

  const actions: DbAction[] = [];
  const readers = readerTargets(v);
  if (v.writerTarget !== p.name || !sameList(v.readerTargets, readers)) {
    actions.push({ kind: 'set-endpoints', writer: p.name, readers, reason: `primary ${p.name} is up` });
  }
  const sync = syncActions(v);
  if (sync !== undefined) actions.push(sync);
  const standby = standbyAction(v, p);
  if (standby !== undefined) actions.push(standby);
  return { actions };
}

function continueFailover(v: ClusterView, f: FailoverMemory, primary: NodeView | undefined): DbDecision {
  const c = promotionCandidates(v);
  if ('members' in c) {
    if (v.now < f.notBefore) return { actions: [], waiting: `failover from ${f.from} in progress; promotion at ${new Date(f.notBefore).toISOString()}` };
    return { actions: [{ kind: 'promote', members: c.members, reason: f.reason }] };
  }
  // No standby can take over after all (it failed too): the old primary still holds every
  // acknowledged commit, so bringing it back is safe — nobody else was promoted.
  if (primary !== undefined && primary.hasData && zoneAvailable(v, primary.zone)) {
    return { actions: [{ kind: 'abort-failover', node: primary.name, reason: `no standby can be promoted (${c.blocked}); recovering ${primary.name} in place` }] };
  }
  return { actions: [], waiting: `failover from ${f.from} waits: ${c.blocked}` };
}

function recoverInPlace(v: ClusterView, primary: NodeView | undefined, why: string, blocked: string): DbDecision {
  if (primary !== undefined && primary.hasData && zoneAvailable(v, primary.zone) && !primary.running) {
    return { actions: [{ kind: 'restart', node: primary.name, reason: `primary ${primary.name} is down (${why}) and no failover is safe (${blocked}); restarting it in place` }] };
  }
  const endpoint: DbAction[] = v.writerTarget !== undefined ? [{ kind: 'set-endpoints', writer: undefined, readers: [], reason: `primary ${v.memory.primary} is down` }] : [];
  return { actions: endpoint, waiting: `primary ${v.memory.primary} is down (${why}) and no failover is safe: ${blocked}` };
}

function readerTargets(v: ClusterView): string[] {
  if (v.deployment !== 'multi-az-cluster') return [];
  const live = v.nodes.filter((n) => isLiveStandby(v, n) && v.replication.some((r) => r.name === n.name && r.state === 'streaming'));
  return live.length > 0 ? live.map((n) => n.name) : [v.memory.primary!];
}

function syncActions(v: ClusterView): DbAction | undefined {
  if (v.deployment === 'single-az') return undefined;
  const { sync } = v.memory;
  const streaming = (name: string) => v.replication.some((r) => r.name === name && r.state === 'streaming');
  const lost = sync.members.filter((name) => {
    const n = v.nodes.find((x) => x.name === name);
    return n === undefined || downReason(v, n) !== undefined || v.memory.standbys[name] !== v.memory.epoch;
  });
  if (lost.length > 0) {
    const remaining = sync.members.filter((x) => !lost.includes(x));
    if (v.strict && remaining.length === 0) {
      // Strict: never carry on without a synchronous standby. A standby built meanwhile joins the
      // set first (it was cloned while commits were refused, so it holds them all); then the lost
      // one can be dropped.
      const joinable = v.nodes.find((n) => !sync.members.includes(n.name) && isLiveStandby(v, n) && streaming(n.name));
      if (joinable !== undefined) {
        return { kind: 'set-sync', members: [...sync.members, joinable.name], readOnly: true, reason: `standby ${joinable.name} is streaming; it joins the synchronous set in place of ${lost.join(', ')}` };
      }
      if (sync.readOnly) return undefined;
      return { kind: 'set-sync', members: sync.members, readOnly: true, reason: `synchronous standby ${lost.join(', ')} is lost; strict mode refuses commits until one is back` };
    }
    return {
      kind: 'set-sync',
      members: remaining,
      readOnly: false,
      reason: `synchronous standby ${lost.join(', ')} is lost; ${remaining.length === 0 ? 'commits go on without a synchronous standby' : `commits now need ${remaining.join(', ')}`}`,
    };
  }
  if (!sync.verified) {
    const behind = sync.members.filter((name) => {
      const r = v.replication.find((x) => x.name === name);
      const synchronous = r?.syncState === 'sync' || r?.syncState === 'quorum';
      return !synchronous || r?.flushLsn === undefined || sync.verifyFromLsn === undefined || r.flushLsn < sync.verifyFromLsn;
    });
    if (behind.length === 0) return { kind: 'verify-sync', reason: `synchronous standby set ${sync.members.join(', ')} has caught up` };
    return undefined;
  }
  const want = desiredStandbys(v.deployment);
  const joinable = v.nodes.filter((n) => !sync.members.includes(n.name) && isLiveStandby(v, n) && streaming(n.name));
  if (sync.members.length < want && joinable.length > 0) {
    const add = joinable.slice(0, want - sync.members.length).map((n) => n.name);
    return { kind: 'set-sync', members: [...sync.members, ...add], readOnly: false, reason: `standby ${add.join(', ')} is streaming; making it synchronous` };
  }
  if (sync.readOnly && sync.members.length > 0 && sync.members.every(streaming)) {
    return { kind: 'set-sync', members: sync.members, readOnly: false, reason: `synchronous standby ${sync.members.join(', ')} is back; commits are accepted again` };
  }
  return undefined;
}

function standbyAction(v: ClusterView, p: NodeView): DbAction | undefined {
  const want = desiredStandbys(v.deployment);
  const m = v.memory;
  const followers = v.nodes.filter((n) => n.name !== p.name && (m.standbys[n.name] === m.epoch || n.building === true));
  // A standby of this primary whose process died restarts as it is: it still follows.
  for (const n of followers) {
    if (n.building !== true && !n.running && n.hasData && zoneAvailable(v, n.zone)) return { kind: 'restart', node: n.name, reason: `standby ${n.name} ${n.exitDescription ?? 'stopped'}; restarting it` };
  }
  const healthy = followers.filter((n) => zoneAvailable(v, n.zone));
  const stale = v.nodes.filter((n) => n.name !== p.name && m.standbys[n.name] !== m.epoch && n.building !== true && zoneAvailable(v, n.zone));
  if (healthy.length < want) {
    // Rebuild a stale node (an old primary, a lost standby) or make one in a zone without a node.
    const reuse = stale[0];
    if (reuse !== undefined) return { kind: 'rebuild', node: reuse.name, zone: reuse.zone, reason: `${healthy.length} of ${want} standbys; rebuilding ${reuse.name} from ${p.name}` };
    const used = new Set(v.nodes.map((n) => n.zone));
    const free = v.zones.find((z) => z.available && !used.has(z.name) && z.name !== p.zone);
    if (free !== undefined) {
      const name = v.nodeNameFor(free.name);
      return { kind: 'rebuild', node: name, zone: free.name, reason: `${healthy.length} of ${want} standbys; creating ${name} in ${free.name}` };
    }
    return undefined;
  }
  // More nodes than wanted: a stale one that came back after its replacement was built goes.
  const extra = stale.find((n) => n.hasData || n.running);
  if (extra !== undefined) return { kind: 'remove', node: extra.name, reason: `${extra.name} is no longer needed: ${want} standby${want === 1 ? '' : 's'} follow ${p.name} already` };
  return undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
