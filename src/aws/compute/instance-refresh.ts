/**
 * How far above its desired capacity the group may grow while an instance refresh replaces its
 * instances (MaxHealthyPercentage), given how far below it may shrink
 * (spec.autoScaling.instanceRefreshMinHealthyPercentage). Pure.
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-maintenance-policy-overview-and-considerations.html
 */

/** The least MaxHealthyPercentage that launches before terminating: AWS's own "launch before terminating" preset. */
export const LAUNCH_FIRST_MAX_HEALTHY_PERCENTAGE = 110;

/**
 * MaxHealthyPercentage for a refresh that keeps `minHealthyPercentage` in service.
 *
 * Left at 100, a refresh terminates an instance before its replacement is up, and as it always
 * replaces at least one instance at a time, a small group (3 instances, 90 %) drops to 67 %. Above
 * 100 it launches replacements first, so in-service capacity never falls below the minimum.
 *
 * The value mirrors the minimum: the group may grow as far above 100 % as it may shrink below it
 * (200 − min), so each batch is about as large as the spec already allows, but new instances come
 * first. Not less than 110 (launch-first even at a minimum of 90 % or more, one instance at a time
 * in a small group), and not more than min + 100 (AWS's largest allowed gap). Growing further would
 * only speed the rollout up at the price of more instances at once (and more database
 * connections, subnet addresses and EC2 quota).
 */
export function maxHealthyPercentage(minHealthyPercentage: number): number {
  const mirrored = Math.max(LAUNCH_FIRST_MAX_HEALTHY_PERCENTAGE, 200 - minHealthyPercentage);
  return Math.min(mirrored, minHealthyPercentage + 100, 200);
}
