/**
 * The Auto Scaling group's decision core: given what is (instances, their process and target
 * health, zones) and what is wanted (desired capacity), say what to do next. Pure: no clock reads,
 * no I/O. The controller calls it every cycle and carries out the actions.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html#AutoScalingBehavior.InstanceUsage
 */

export type Lifecycle = 'Pending' | 'InService' | 'Terminating';

/** The load balancer's view of an instance's target, when it is registered. */
export type TargetView = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

export interface InstanceView {
  readonly id: string;
  readonly zone: string;
  readonly lifecycle: Lifecycle;
  readonly launchedAt: number;
  /** The process is running (EC2's instance status). */
  readonly alive: boolean;
  /** How it died, for the activity cause, e.g. "exited with signal SIGKILL". */
  readonly exitDescription?: string;
  /** Its port accepts connections: booted, ready to be put in service. */
  readonly listening: boolean;
  readonly target: TargetView | undefined;
  /** Why it was launched; a surplus made by a rebalance launch is terminated as a rebalance. */
  readonly launchCause?: 'capacity' | 'rebalance';
}

export interface ZoneView {
  readonly name: string;
  readonly available: boolean;
}

export interface AsgState {
  readonly now: number;
  readonly desired: number;
  readonly max: number;
  readonly zones: readonly ZoneView[];
  readonly instances: readonly InstanceView[];
  readonly healthCheckType: 'EC2' | 'ELB';
  readonly gracePeriodMs: number;
  /** A Pending instance that has not started listening by then is replaced. */
  readonly startupTimeoutMs: number;
  /** Most launches and most terminations in one cycle. */
  readonly burst: number;
  /** No launch before this time: new instances kept dying, so launches back off. */
  readonly launchNotBefore?: number;
}

export type TerminateCause = 'unhealthy' | 'scale-in' | 'rebalance';

export type AsgAction =
  | { readonly kind: 'launch'; readonly zone: string; readonly cause: 'capacity' | 'rebalance'; readonly reason: string }
  | { readonly kind: 'put-in-service'; readonly id: string; readonly reason: string }
  | { readonly kind: 'terminate'; readonly id: string; readonly cause: TerminateCause; readonly reason: string };

export interface AsgDecision {
  readonly actions: readonly AsgAction[];
  /** One sentence for the event log. */
  readonly summary: string;
}

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function healthFailure(i: InstanceView, s: AsgState): string | undefined {
  if (!i.alive) {
    return `an EC2 health check indicating it has been terminated or stopped (${i.exitDescription ?? 'process exited'})`;
  }
  const inGrace = s.now - i.launchedAt < s.gracePeriodMs;
  if (i.lifecycle === 'Pending' && !i.listening && s.now - i.launchedAt >= s.startupTimeoutMs) {
    return `an EC2 health check failure: it did not start listening within ${Math.round(s.startupTimeoutMs / 1000)} s`;
  }
  if (s.healthCheckType === 'ELB' && !inGrace && i.lifecycle === 'InService' && i.target === 'unhealthy') {
    return 'an ELB system health check failure';
  }
  return undefined;
}

function countByZone(instances: readonly InstanceView[], zones: readonly ZoneView[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const z of zones) if (z.available) m.set(z.name, 0);
  for (const i of instances) if (m.has(i.zone)) m.set(i.zone, (m.get(i.zone) ?? 0) + 1);
  return m;
}

/** The available zone with the fewest instances; ties go to the earlier zone, as AWS fills in order. */
function emptiestZone(counts: Map<string, number>): string | undefined {
  let best: string | undefined;
  for (const [z, n] of counts) if (best === undefined || n < (counts.get(best) ?? 0)) best = z;
  return best;
}

/**
 * AWS's default termination policy, reduced to what the twin can tell apart: first instances in
 * zones that are gone, then the zone with the most instances, then the oldest instance there.
 */
function pickVictim(active: readonly InstanceView[], zones: readonly ZoneView[]): InstanceView | undefined {
  const gone = active.find((i) => !zones.some((z) => z.name === i.zone && z.available));
  if (gone !== undefined) return gone;
  const counts = countByZone(active, zones);
  let fullest: string | undefined;
  for (const [z, n] of counts) if (fullest === undefined || n > (counts.get(fullest) ?? 0)) fullest = z;
  const inZone = active.filter((i) => i.zone === fullest).sort((a, b) => a.launchedAt - b.launchedAt);
  return inZone[0];
}

export function decideAsg(s: AsgState): AsgDecision {
  const actions: AsgAction[] = [];
  const at = iso(s.now);
  let terminations = 0;

  // 1. Health: unhealthy instances are terminated first, then replaced (terminate-then-launch).
  const doomed = new Set<string>();
  for (const i of s.instances) {
    if (i.lifecycle === 'Terminating') continue;
    const failure = healthFailure(i, s);
    if (failure !== undefined && terminations < s.burst) {
      doomed.add(i.id);
      terminations++;
      actions.push({
        kind: 'terminate',
        id: i.id,
        cause: 'unhealthy',
        reason: `At ${at} an instance was taken out of service in response to ${failure}.`,
      });
    }
  }

  // 2. Booted instances enter service.
  for (const i of s.instances) {
    if (i.lifecycle === 'Pending' && i.listening && i.alive && !doomed.has(i.id)) {
      actions.push({ kind: 'put-in-service', id: i.id, reason: `instance ${i.id} in ${i.zone} is listening` });
    }
  }

  const active = s.instances.filter((i) => i.lifecycle !== 'Terminating' && !doomed.has(i.id));
  const pending = active.filter((i) => i.lifecycle === 'Pending');
  const availableZones = s.zones.filter((z) => z.available);

  // 3. Too few: launch into the emptiest available zones.
  if (active.length < s.desired) {
    if (availableZones.length === 0) {
      return { actions, summary: `cannot launch: no Availability Zone is available (${active.length} of desired ${s.desired})` };
    }
    if (s.launchNotBefore !== undefined && s.now < s.launchNotBefore) {
      return { actions, summary: `${active.length} active of desired ${s.desired}: new instances keep failing; next launch not before ${iso(s.launchNotBefore)}` };
    }
    const counts = countByZone(active, s.zones);
    const want = Math.min(s.desired - active.length, s.burst);
    for (let n = 0; n < want; n++) {
      const zone = emptiestZone(counts);
      if (zone === undefined) break;
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
      actions.push({
        kind: 'launch',
        zone,
        cause: 'capacity',
        reason: `At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${active.length + n} to ${active.length + n + 1}.`,
      });
    }
    return { actions, summary: describe(actions, s, active.length) };
  }

  // 4. Too many: wait for launches in flight (a rebalance launches before it terminates), then
  //    terminate from the fullest zone.
  if (active.length > s.desired) {
    if (pending.length > 0) return { actions, summary: describe(actions, s, active.length, 'waiting for pending instances before terminating') };
    const remaining = [...active];
    const newest = [...active].sort((a, b) => b.launchedAt - a.launchedAt)[0];
    const rebalancing = active.length === s.desired + 1 && newest?.launchCause === 'rebalance';
    for (let n = 0; n < active.length - s.desired && terminations < s.burst; n++) {
      const victim = pickVictim(remaining, s.zones);
      if (victim === undefined) break;
      remaining.splice(remaining.indexOf(victim), 1);
      terminations++;
      actions.push({
        kind: 'terminate',
        id: victim.id,
        cause: rebalancing ? 'rebalance' : 'scale-in',
        reason: rebalancing
          ? `At ${at} an instance was taken out of service in response to a rebalance of instances across Availability Zones (${victim.zone} had the most instances).`
          : `At ${at} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${active.length - n} to ${active.length - n - 1}.`,
      });
    }
    return { actions, summary: describe(actions, s, active.length) };
  }

  // 5. Right size but lopsided (a zone came back): launch one in the emptiest zone; the
  //    surplus is terminated from the fullest zone once it is in service. AWS may exceed
  //    max by 10 % (at least one instance) while it rebalances.
  if (pending.length === 0 && active.length > 0 && zoneSpread(active, s.zones) > 1 && active.length < s.max + Math.max(1, Math.floor(s.max / 10))) {
    const zone = emptiestZone(countByZone(active, s.zones));
    if (zone !== undefined) {
      actions.push({
        kind: 'launch',
        zone,
        cause: 'rebalance',
        reason: `At ${at} an instance was launched in ${zone} to rebalance instances across Availability Zones.`,
      });
    }
  }
  return { actions, summary: describe(actions, s, active.length) };
}

/** Difference between the fullest and the emptiest available zone. */
export function zoneSpread(active: readonly InstanceView[], zones: readonly ZoneView[]): number {
  const counts = [...countByZone(active, zones).values()];
  if (counts.length === 0) return 0;
  return Math.max(...counts) - Math.min(...counts);
}

function describe(actions: readonly AsgAction[], s: AsgState, active: number, extra?: string): string {
  const launches = actions.filter((a) => a.kind === 'launch');
  const terms = actions.filter((a) => a.kind === 'terminate');
  const parts: string[] = [];
  if (launches.length > 0) parts.push(`launching ${launches.length} (${launches.map((a) => (a.kind === 'launch' ? a.zone : '')).join(', ')})`);
  if (terms.length > 0) parts.push(`terminating ${terms.map((a) => (a.kind === 'terminate' ? `${a.id} (${a.cause})` : '')).join(', ')}`);
  if (extra !== undefined) parts.push(extra);
  const head = `${active} active of desired ${s.desired}`;
  return parts.length === 0 ? `steady: ${head}` : `${head}: ${parts.join('; ')}`;
}
