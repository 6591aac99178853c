/**
 * When an unreachable database makes this instance "not ready". Pure: readiness.ts runs the checks.
 *
 * A database failover cuts every instance off at the same moment. If each then reported not ready
 * at once, the load balancer would take the whole fleet out of service (or fail open) for a blip
 * that the request retries already ride out, and an Auto Scaling group watching target health
 * could start replacing healthy instances. So a failed check starts a clock, and the instance
 * reports not ready only once the database has been unreachable — no successful check in between
 * — for longer than the grace (longer than a failover takes). One success stops the clock.
 */

/** What the checks have seen so far. */
export interface DbReachability {
  /** When the current run of failed checks began (ms since the epoch); undefined while reachable. */
  readonly unreachableSince: number | undefined;
  /** Why the last check failed; undefined while reachable. */
  readonly reason: string | undefined;
}

export const REACHABLE: DbReachability = { unreachableSince: undefined, reason: undefined };

/** The state after one more check, which began at `at`: a success resets, a failure keeps the run's start. */
export function afterCheck(prev: DbReachability, outcome: { readonly ok: true } | { readonly ok: false; readonly reason: string }, at: number): DbReachability {
  if (outcome.ok) return REACHABLE;
  return { unreachableSince: prev.unreachableSince ?? at, reason: outcome.reason };
}

export interface ReadinessVerdict {
  readonly ready: boolean;
  /** How long the database has been unreachable without a success in between, in ms; 0 when reachable. */
  readonly unreachableForMs: number;
  /** Why the last check failed; undefined when the database is reachable. */
  readonly reason: string | undefined;
  /** The grace the verdict was judged with, in ms. */
  readonly graceMs: number;
}

/** Ready unless the database has been unreachable for longer than `graceMs` (0: not ready at the first failure). */
export function judgeReadiness(state: DbReachability, now: number, graceMs: number): ReadinessVerdict {
  if (state.unreachableSince === undefined) return { ready: true, unreachableForMs: 0, reason: undefined, graceMs };
  const unreachableForMs = Math.max(0, now - state.unreachableSince);
  const ready = graceMs > 0 && unreachableForMs < graceMs;
  return { ready, unreachableForMs, reason: state.reason, graceMs };
}

/** The /readyz body: `ready`, `ready (database unreachable for …)` within the grace, `not ready: …` after. */
export function describeReadiness(v: ReadinessVerdict): string {
  if (v.reason === undefined) return v.ready ? 'ready' : 'not ready';
  const since = `database unreachable for ${seconds(v.unreachableForMs)}`;
  return v.ready
    ? `ready (${since}, tolerated for up to ${seconds(v.graceMs)}: ${v.reason})`
    : `not ready: ${since}, longer than the ${seconds(v.graceMs)} grace (READINESS_DB_GRACE_MS): ${v.reason}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
