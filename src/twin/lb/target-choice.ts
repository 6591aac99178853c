/**
 * Which target gets the next request. Small decision functions over the current routing list;
 * they only move the cursor state they are handed, so table tests can drive them.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#modify-routing-algorithm
 */

export interface Cursor {
  n: number;
}

export interface Routable {
  readonly state: string;
  readonly inFlight: number;
  /** Smooth weighted round robin's running credit; only read while weights are in use. */
  wrrCredit: number;
}

export interface RoutingSet<T> {
  readonly list: readonly T[];
  /** True when no target is healthy and the list is every unhealthy one (ALB fails open). */
  readonly failOpen: boolean;
}

/**
 * Healthy targets take traffic. When none is healthy but some are unhealthy, ALB fails open and
 * routes to all of them: a health check that is wrong must not take the whole app down. Targets
 * still in their initial checks or draining never take new requests; with none left, the answer
 * is 503.
 */
export function routingSet<T extends { readonly state: string }>(targets: Iterable<T>): RoutingSet<T> {
  const healthy: T[] = [];
  const unhealthy: T[] = [];
  for (const t of targets) {
    if (t.state === 'healthy') healthy.push(t);
    else if (t.state === 'unhealthy') unhealthy.push(t);
  }
  if (healthy.length > 0) return { list: healthy, failOpen: false };
  return { list: unhealthy, failOpen: unhealthy.length > 0 };
}

/** Plain rotation; `exclude` (a target that just refused a connection) is skipped when another exists. */
export function pickRoundRobin<T>(list: readonly T[], cursor: Cursor, exclude?: T): T | undefined {
  const len = list.length;
  if (len === 0) return undefined;
  let i = cursor.n % len;
  cursor.n = i + 1;
  let t = list[i]!;
  if (t === exclude && len > 1) {
    i = (i + 1) % len;
    cursor.n = i + 1;
    t = list[i]!;
  }
  return t;
}

/**
 * Smooth weighted round robin (as nginx): each pick adds every weight to its target's credit, the
 * richest target wins and pays the total. Shares follow the weights and picks interleave, so a
 * target in slow start gets its small share spread out, not in bursts.
 */
export function pickWeighted<T extends Routable>(list: readonly T[], weights: ArrayLike<number>, exclude?: T): T | undefined {
  let total = 0;
  let best: T | undefined;
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t === exclude && list.length > 1) continue;
    const w = weights[i]!;
    t.wrrCredit += w;
    total += w;
    if (best === undefined || t.wrrCredit > best.wrrCredit) best = t;
  }
  if (best !== undefined) best.wrrCredit -= total;
  return best;
}

/**
 * Least outstanding requests: the target with the fewest requests in flight. The scan starts one
 * further each time so equally loaded targets take turns instead of the first always winning.
 */
export function pickLeastOutstanding<T extends Routable>(list: readonly T[], cursor: Cursor, exclude?: T): T | undefined {
  const len = list.length;
  if (len === 0) return undefined;
  const start = cursor.n % len;
  cursor.n = start + 1;
  let best: T | undefined;
  for (let k = 0; k < len; k++) {
    const t = list[(start + k) % len]!;
    if (t === exclude && len > 1) continue;
    if (best === undefined || t.inFlight < best.inFlight) best = t;
  }
  return best;
}
