import type { Clock } from '../clock.ts';
import { REASON_DESCRIPTION, nextHealth, type HealthReason, type HealthThresholds, type ProbeResult } from './health-state.ts';
import type { HostCounts } from './lb-metrics.ts';
import { entersSlowStart, slowStartWeight } from './slow-start.ts';
import { pickLeastOutstanding, pickRoundRobin, pickWeighted, routingSet, type Cursor, type Routable } from './target-choice.ts';
import type { TargetHealth, TargetRef } from './types.ts';
import { UpstreamPool } from './upstream-pool.ts';

export type LiveState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

/** One registered target: its health, its share of traffic and its connection pool. */
export class TargetRecord implements Routable {
  state: LiveState = 'initial';
  reason: HealthReason | undefined = 'Elb.RegistrationInProgress';
  description: string | undefined = REASON_DESCRIPTION['Elb.RegistrationInProgress'];
  since: number;
  inFlight = 0;
  okStreak = 0;
  failStreak = 0;
  probing = false;
  wrrCredit = 0;
  /** Slow start window; slowStartUntil 0 (or past) means the target takes its full share. */
  slowStartAt = 0;
  slowStartUntil = 0;
  drain: { readonly promise: Promise<void>; readonly resolve: () => void; timer: unknown } | undefined;

  constructor(
    readonly ref: TargetRef,
    readonly pool: UpstreamPool,
    now: number,
  ) {
    this.since = now;
  }

  get id(): string {
    return this.ref.id;
  }
}

export interface TargetGroupOptions {
  readonly algorithm: 'round_robin' | 'least_outstanding_requests';
  readonly slowStartMs: number;
  readonly deregistrationDelayMs: number;
  readonly idleTimeoutMs: number;
  readonly thresholds: HealthThresholds;
  readonly clock: Clock;
  /** A sentence for the event log, with its type and facts. */
  readonly report: (type: string, message: string, data: Record<string, unknown>) => void;
}

/**
 * The registered targets, their states, and the list requests are routed over. The list is
 * recomputed only when a state changes, so picking a target per request reads a ready array.
 */
export class TargetGroup {
  private readonly targets = new Map<string, TargetRecord>();
  private routing: readonly TargetRecord[] = [];
  private failOpen = false;
  private readonly cursor: Cursor = { n: 0 };
  /** Some routed target is in slow start, so picks use weights. */
  private weighted = false;
  private weights = new Float64Array(8);

  constructor(private readonly o: TargetGroupOptions) {}

  get(id: string): TargetRecord | undefined {
    return this.targets.get(id);
  }

  all(): IterableIterator<TargetRecord> {
    return this.targets.values();
  }

  register(ref: TargetRef): TargetRecord {
    const t = new TargetRecord(ref, new UpstreamPool(ref.host, ref.port, this.o.idleTimeoutMs), this.o.clock.now());
    this.targets.set(ref.id, t);
    this.o.report('target-registered', `registered target ${ref.id} (${ref.zone}, port ${ref.port}); it takes traffic once it passes a health check`, {
      id: ref.id,
      zone: ref.zone,
      port: ref.port,
    });
    return t;
  }

  /** Picks the target for a request; `exclude` is one that just refused a connection. */
  choose(exclude?: TargetRecord): TargetRecord | undefined {
    const list = this.routing;
    if (this.o.algorithm === 'least_outstanding_requests') return pickLeastOutstanding(list, this.cursor, exclude);
    if (this.weighted) {
      const w = this.currentWeights(list);
      if (w !== undefined) return pickWeighted(list, w, exclude);
    }
    return pickRoundRobin(list, this.cursor, exclude);
  }

  /** Applies one health-check result; reports and reroutes when the state changes. */
  applyProbe(t: TargetRecord, result: ProbeResult): void {
    if (t.state === 'draining' || this.targets.get(t.id) !== t) return;
    const step = nextHealth({ state: t.state, okStreak: t.okStreak, failStreak: t.failStreak }, result, this.o.thresholds);
    t.okStreak = step.okStreak;
    t.failStreak = step.failStreak;
    t.reason = step.reason;
    t.description = step.description;
    if (!step.changed) return;
    const now = this.o.clock.now();
    t.state = step.state;
    t.since = now;
    if (step.state === 'healthy') {
      const settled = this.countSettledHealthy(t, now);
      if (entersSlowStart({ durationMs: this.o.slowStartMs, algorithm: this.o.algorithm, otherSettledHealthy: settled })) {
        t.slowStartAt = now;
        t.slowStartUntil = now + this.o.slowStartMs;
        this.weighted = true;
      }
      this.o.report('target-healthy', `target ${t.id} (${t.ref.zone}) is healthy${t.slowStartUntil > now ? `; slow start ramps its share over ${this.o.slowStartMs / 1000} s` : ''}`, {
        id: t.id,
        zone: t.ref.zone,
      });
    } else {
      t.slowStartUntil = 0;
      this.o.report('target-unhealthy', `target ${t.id} (${t.ref.zone}) is unhealthy: ${t.reason} (${t.description})`, {
        id: t.id,
        zone: t.ref.zone,
        reason: t.reason,
        description: t.description,
      });
    }
    this.reroute();
  }

  /**
   * Stops new requests to the target and resolves once its in-flight requests are done, or when
   * the deregistration delay runs out and the rest are cut.
   */
  deregister(id: string): Promise<void> {
    const t = this.targets.get(id);
    if (t === undefined) return Promise.resolve();
    if (t.drain !== undefined) return t.drain.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    t.drain = { promise, resolve, timer: undefined };
    t.state = 'draining';
    t.reason = 'Target.DeregistrationInProgress';
    t.description = REASON_DESCRIPTION['Target.DeregistrationInProgress'];
    t.since = this.o.clock.now();
    t.slowStartUntil = 0;
    t.pool.stop();
    this.reroute();
    this.o.report('target-draining', `target ${t.id} is draining: no new requests, ${t.inFlight} in flight may finish within ${this.o.deregistrationDelayMs / 1000} s`, {
      id: t.id,
      inFlight: t.inFlight,
    });
    if (t.inFlight === 0) this.finishDrain(t, 'no request was in flight');
    else {
      t.drain.timer = this.o.clock.setTimeout(() => {
        const cut = t.inFlight;
        t.pool.destroyAll();
        this.finishDrain(t, `the deregistration delay ran out and ${cut} request(s) still in flight were cut`);
      }, this.o.deregistrationDelayMs);
    }
    return promise;
  }

  /** Called as a request is sent to a target. */
  begin(t: TargetRecord): void {
    t.inFlight++;
  }

  /** Called once per begin(), however the request ended. */
  end(t: TargetRecord): void {
    t.inFlight--;
    if (t.inFlight === 0 && t.drain !== undefined && this.targets.get(t.id) === t) this.finishDrain(t, 'its last in-flight request finished');
  }

  /** Healthy and unhealthy counts for the whole group and per zone (initial and draining count in neither, as ALB). */
  hostCounts(): { total: HostCounts; byZone: Map<string, HostCounts> } {
    let healthy = 0;
    let unhealthy = 0;
    const byZone = new Map<string, { healthy: number; unhealthy: number }>();
    for (const t of this.targets.values()) {
      const z = byZone.get(t.ref.zone) ?? { healthy: 0, unhealthy: 0 };
      byZone.set(t.ref.zone, z);
      if (t.state === 'healthy') {
        healthy++;
        z.healthy++;
      } else if (t.state === 'unhealthy') {
        unhealthy++;
        z.unhealthy++;
      }
    }
    return { total: { healthy, unhealthy }, byZone };
  }

  health(running: boolean): TargetHealth[] {
    const out: TargetHealth[] = [];
    for (const t of this.targets.values()) {
      const base = { id: t.id, zone: t.ref.zone, port: t.ref.port, inFlight: t.inFlight, since: t.since };
      // A target group no listener is using reports its targets as unused, as ALB does.
      if (!running) out.push({ ...base, state: 'unused', reason: 'Target.NotInUse', description: REASON_DESCRIPTION['Target.NotInUse'] });
      else if (t.reason === undefined) out.push({ ...base, state: t.state });
      else out.push({ ...base, state: t.state, reason: t.reason, ...(t.description === undefined ? {} : { description: t.description }) });
    }
    return out;
  }

  /** Sweeps expired idle connections out of every pool. */
  sweepPools(now: number): void {
    for (const t of this.targets.values()) t.pool.sweep(now);
  }

  /** Ends everything: pending drains resolve, every connection is cut. */
  closeAll(): void {
    for (const t of [...this.targets.values()]) {
      if (t.drain !== undefined) {
        this.o.clock.clearTimeout(t.drain.timer);
        t.drain.resolve();
      }
      t.pool.destroyAll();
    }
    this.targets.clear();
    this.routing = [];
  }

  private finishDrain(t: TargetRecord, why: string): void {
    const d = t.drain!;
    this.o.clock.clearTimeout(d.timer);
    this.targets.delete(t.id);
    t.pool.destroyAll();
    this.o.report('target-deregistered', `target ${t.id} is deregistered: ${why}`, { id: t.id });
    d.resolve();
  }

  private countSettledHealthy(except: TargetRecord, now: number): number {
    let n = 0;
    for (const o of this.targets.values()) if (o !== except && o.state === 'healthy' && !(o.slowStartUntil > now)) n++;
    return n;
  }

  /** Weights for the routing list, or undefined once no target is ramping any more. */
  private currentWeights(list: readonly TargetRecord[]): Float64Array | undefined {
    const now = this.o.clock.now();
    if (this.weights.length < list.length) this.weights = new Float64Array(list.length * 2);
    let ramping = false;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      if (t.slowStartUntil > now) {
        ramping = true;
        this.weights[i] = slowStartWeight(now, t.slowStartAt, this.o.slowStartMs);
      } else {
        this.weights[i] = 1;
      }
    }
    if (!ramping) {
      this.weighted = false;
      return undefined;
    }
    return this.weights;
  }

  private reroute(): void {
    const rs = routingSet(this.targets.values());
    this.routing = rs.list;
    for (const t of rs.list) t.wrrCredit = 0;
    if (rs.failOpen !== this.failOpen) {
      this.failOpen = rs.failOpen;
      if (rs.failOpen) this.o.report('fail-open', `no target is healthy: failing open, routing to all ${rs.list.length} unhealthy target(s)`, { targets: rs.list.length });
      else this.o.report('fail-open-ended', 'a target is healthy again: routing only to healthy targets', {});
    }
  }
}
