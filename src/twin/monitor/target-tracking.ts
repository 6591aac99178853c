import type { TrackedMetric } from '../../spec/types.ts';
import { formatValue } from './alarm-reason.ts';
import { targetTrackingAlarmName, targetTrackingPolicyName } from './target-tracking-names.ts';

/** Which of a policy's alarms is in ALARM: the high one, the low one, or neither. */
export type TrackingAlarmState = 'high' | 'low' | 'none';

export interface TargetTrackingPolicyState {
  /** @default - targetTrackingPolicyName(metric) */
  readonly policyName?: string;
  readonly metric: TrackedMetric;
  readonly target: number;
  readonly disableScaleIn: boolean;
  /** The metric's newest period value (the alarm's latest datapoint), or undefined without data. */
  readonly metricValue: number | undefined;
  readonly alarmState: TrackingAlarmState;
  /** The alarm named in the reason. @default - targetTrackingAlarmName(group, High or Low, metric) */
  readonly alarmName?: string;
}

export interface TargetTrackingInput {
  readonly groupName: string;
  readonly policies: readonly TargetTrackingPolicyState[];
  /**
   * In-service instances past warmup: the ones whose metrics the group's metric includes, so the
   * load the metric describes is spread over exactly these.
   */
  readonly currentCapacity: number;
  readonly desired: number;
  readonly min: number;
  readonly max: number;
  /** When target tracking last raised / lowered the desired capacity (epoch ms). */
  readonly lastScaleOutAt: number | undefined;
  readonly lastScaleInAt: number | undefined;
  readonly now: number;
  /** spec.autoScaling.cooldown */
  readonly cooldownSec: number;
  /** spec.autoScaling.instanceWarmup */
  readonly warmupSec: number;
}

export type TargetTrackingDecision =
  | {
      readonly action: 'scale-out' | 'scale-in';
      readonly desired: number;
      readonly previousDesired: number;
      readonly policyName: string;
      readonly alarmName: string;
      /** AWS's activity cause: "At … a monitor alarm … in state ALARM triggered policy … changing the desired capacity from 3 to 6." */
      readonly reason: string;
      /** The arithmetic behind it, for the event log. */
      readonly detail: string;
    }
  | { readonly action: 'none'; readonly desired: number; readonly reason: string };

/**
 * What target tracking does to the desired capacity this evaluation. Pure.
 *
 * How AWS behaves, and so the twin:
 * - Scale out is proportional and immediate: new capacity = ceil(current × metric / target),
 *   where current counts instances past warmup (their metrics are the ones aggregated). Instances
 *   still launching or warming up count towards capacity on scale-out, so the result is compared
 *   with the desired capacity (which includes them) and only ever raises it: repeated high alarms
 *   while new instances warm up do not add capacity twice. No cooldown delays a scale-out.
 *   @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html
 * - With several policies, scale out when any says so, to the largest capacity any asks for;
 *   scale in only when every policy that allows scale-in says so, to the largest capacity among
 *   them (the most conservative). Policies with scale-in disabled do not vote on scale-in.
 *   @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
 * - Scale in is conservative: only after the low alarm (90 % of the target for 15 periods), to
 *   ceil(current × metric / target), so the metric stays at or below the target afterwards.
 *   @see https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 * - Scale in is blocked while instances from a scale-out are still warming up ("blocks scale in
 *   … until new instances finish warming up", default instance warmup page above), and waits for
 *   the cooldown after the last scaling activity (spec.autoScaling.cooldown: "seconds after a
 *   scaling activity before a scale-in may follow", Application Auto Scaling's scale-in cooldown).
 * - The result is clamped to [min, max].
 */
export function decideTargetTracking(input: TargetTrackingInput): TargetTrackingDecision {
  const { groupName, desired, min, max, now } = input;
  const current = input.currentCapacity;
  const none = (reason: string): TargetTrackingDecision => ({ action: 'none', desired, reason });
  if (input.policies.length === 0) return none(`${groupName} has no target tracking policy.`);
  if (!(current > 0)) {
    return none(`${groupName} holds at ${desired}: no in-service instance is past warmup, so target tracking has no metric to act on.`);
  }

  const usable = (p: TargetTrackingPolicyState): p is TargetTrackingPolicyState & { metricValue: number } =>
    p.metricValue !== undefined && Number.isFinite(p.metricValue) && p.target > 0;
  const proposal = (p: TargetTrackingPolicyState & { metricValue: number }): number =>
    // The tolerance keeps float noise (3 × 0.5 / 0.5 = 3.0000000000000004) from adding an instance.
    Math.ceil((current * p.metricValue) / p.target - 1e-9);
  const nameOf = (p: TargetTrackingPolicyState) => p.policyName ?? targetTrackingPolicyName(p.metric);
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  const arithmetic = (p: TargetTrackingPolicyState & { metricValue: number }, wanted: number) =>
    `${p.metric} ${formatValue(p.metricValue)} against target ${formatValue(p.target)} on ${current} ` +
    `${current === 1 ? 'instance' : 'instances'} past warmup asks for ${wanted}`;

  // Of several policies, the one asking for the most capacity decides, both ways.
  const largest = <P extends TargetTrackingPolicyState & { metricValue: number }>(ps: readonly P[]) => {
    let best = ps[0]!;
    for (const p of ps) if (proposal(p) > proposal(best)) best = p;
    return { best, wanted: proposal(best) };
  };

  const outs = input.policies.filter((p) => p.alarmState === 'high').filter(usable);
  if (outs.length > 0) {
    const { best, wanted } = largest(outs);
    if (wanted <= desired) {
      return none(
        `${groupName} holds at ${desired}: ${arithmetic(best, wanted)}, which the desired capacity already covers ` +
          `(instances still launching or warming up count towards it).`,
      );
    }
    const next = clamp(wanted);
    if (next <= desired) return none(`${groupName} holds at ${desired}: ${arithmetic(best, wanted)}, but the group is at its maximum size (${max}).`);
    return change('scale-out', next, wanted, best, arithmetic(best, wanted));
  }

  const voters = input.policies.filter((p) => !p.disableScaleIn);
  if (voters.length === 0) return none(`${groupName} holds at ${desired}: scale-in is disabled on every policy and no policy asks to scale out.`);
  const holdouts = voters.filter((p) => p.alarmState !== 'low' || !usable(p));
  if (holdouts.length > 0) {
    if (input.policies.every((p) => p.alarmState === 'none')) {
      return none(`${groupName} holds at ${desired}: no target tracking alarm is in ALARM.`);
    }
    const names = holdouts.map(nameOf).join(', ');
    return none(
      `${groupName} holds at ${desired}: scale-in needs every policy that allows it to agree, and ` +
        `${names} ${holdouts.length === 1 ? 'is' : 'are'} not in ${holdouts.length === 1 ? 'its' : 'their'} low alarm.`,
    );
  }
  const { best, wanted } = largest(voters.filter(usable));
  const next = clamp(wanted);
  if (next >= desired) {
    return none(
      next === min && wanted < min
        ? `${groupName} holds at ${desired}: ${arithmetic(best, wanted)}, but the group is at its minimum size (${min}).`
        : `${groupName} holds at ${desired}: ${arithmetic(best, wanted)}, which removes nothing.`,
    );
  }
  if (input.lastScaleOutAt !== undefined) {
    const warmedAt = input.lastScaleOutAt + input.warmupSec * 1000;
    if (now < warmedAt) {
      return none(
        `${groupName} holds at ${desired}: scale-in to ${next} waits until ${isoSeconds(warmedAt)} for the instances ` +
          `launched by the scale-out at ${isoSeconds(input.lastScaleOutAt)} to finish warming up.`,
      );
    }
  }
  const lastActivity = Math.max(input.lastScaleOutAt ?? -Infinity, input.lastScaleInAt ?? -Infinity);
  if (lastActivity > -Infinity) {
    const cooledAt = lastActivity + input.cooldownSec * 1000;
    if (now < cooledAt) {
      return none(
        `${groupName} holds at ${desired}: scale-in to ${next} waits for the cooldown after the scaling activity at ` +
          `${isoSeconds(lastActivity)}, until ${isoSeconds(cooledAt)}.`,
      );
    }
  }
  return change('scale-in', next, wanted, best, arithmetic(best, wanted));

  function change(
    action: 'scale-out' | 'scale-in',
    next: number,
    wanted: number,
    p: TargetTrackingPolicyState,
    detail: string,
  ): TargetTrackingDecision {
    const policyName = nameOf(p);
    const alarmName = p.alarmName ?? targetTrackingAlarmName(groupName, action === 'scale-out' ? 'High' : 'Low', p.metric);
    const limit = next === wanted ? '' : next === max ? ` (limited by the maximum size, ${max})` : ` (limited by the minimum size, ${min})`;
    return {
      action,
      desired: next,
      previousDesired: desired,
      policyName,
      alarmName,
      reason:
        `At ${isoSeconds(now)} a monitor alarm ${alarmName} in state ALARM triggered policy ${policyName} ` +
        `changing the desired capacity from ${desired} to ${next}${limit}.`,
      detail: `${detail}.`,
    };
  }
}

/** 2026-11-23T21:00:00Z: ISO 8601 without milliseconds, as AWS writes activity causes. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
