/**
 * ALB slow start: a newly healthy target's share of requests ramps linearly from almost nothing to
 * its full share over the slow-start duration (round robin only).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#slow-start-mode
 */

/**
 * A floor so a target in its first instants still gets an occasional request, as ALB's ramp does
 * not start at an exact zero.
 */
export const MIN_SLOW_START_WEIGHT = 0.01;

/** The target's weight (0–1] at `now`, given when its slow start began and how long it lasts. */
export function slowStartWeight(now: number, startedAt: number, durationMs: number): number {
  if (durationMs <= 0) return 1;
  const f = (now - startedAt) / durationMs;
  if (f >= 1) return 1;
  return f > MIN_SLOW_START_WEIGHT ? f : MIN_SLOW_START_WEIGHT;
}

/**
 * ALB puts a target that becomes healthy into slow start only when slow start is on, the algorithm
 * is round robin, and at least one other healthy target is not itself in slow start: the first
 * targets of a group (or every target after an outage) take full traffic at once, or nothing would.
 */
export function entersSlowStart(opts: { readonly durationMs: number; readonly algorithm: string; readonly otherSettledHealthy: number }): boolean {
  return opts.durationMs > 0 && opts.algorithm === 'round_robin' && opts.otherSettledHealthy > 0;
}
