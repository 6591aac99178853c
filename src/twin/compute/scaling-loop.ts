import type { ResolvedSpec } from '../../spec/types.ts';
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events.ts';
import {
  AlarmManager,
  decideTargetTracking,
  targetTrackingAlarms,
  targetTrackingPolicyStates,
  type MetricStore,
  type TargetTrackingAlarmPair,
} from '../monitor/index.ts';
import { pastWarmup, type AsgController } from './asg-controller.ts';

/** Test-only shortening of AWS's target-tracking alarms (3 datapoints to scale out, 15 to scale in). */
export interface ScalingOverrides {
  readonly scaleOutDatapoints?: number;
  readonly scaleInDatapoints?: number;
}

/**
 * Target tracking as AWS runs it: each policy owns a high and a low CloudWatch alarm on the
 * group's metric; while one is in ALARM the policy is invoked and decideTargetTracking says how
 * far to move the desired capacity. Alarm notifications only wake the loop; it reads the alarms'
 * states itself.
 */
export class ScalingLoop {
  private readonly alarms: AlarmManager;
  private readonly pairs: TargetTrackingAlarmPair[];
  private lastScaleOutAt: number | undefined;
  private lastScaleInAt: number | undefined;
  private lastReason = '';
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: { spec: ResolvedSpec; asg: AsgController; metrics: MetricStore; clock: Clock; onEvent: EmitEvent; overrides?: ScalingOverrides }) {
    const { spec } = o;
    this.alarms = new AlarmManager({ source: o.metrics, clock: o.clock, onEvent: o.onEvent });
    this.pairs = targetTrackingAlarms({
      groupName: o.asg.name,
      policies: spec.autoScaling.targetTracking,
      period: spec.autoScaling.metricPeriod,
      // Plain names: the alarms build the AWS-shaped dimension values (app/<name>/local) themselves.
      loadBalancerName: spec.name,
      targetGroupName: spec.name,
      ...(o.overrides?.scaleOutDatapoints === undefined ? {} : { highDatapoints: o.overrides.scaleOutDatapoints }),
      ...(o.overrides?.scaleInDatapoints === undefined ? {} : { lowDatapoints: o.overrides.scaleInDatapoints }),
    });
    for (const p of this.pairs) {
      this.alarms.putAlarm(p.high);
      if (p.low) this.alarms.putAlarm(p.low);
    }
  }

  get alarmManager(): AlarmManager {
    return this.alarms;
  }

  /**
   * The policy runs when an alarm is evaluated (a transition, or each period while in ALARM), as
   * on AWS: between evaluations the metric says nothing new, and acting on it again with a
   * capacity that has since grown would overshoot.
   */
  start(): void {
    if (this.pairs.length === 0) return;
    this.alarms.start();
    this.unsubscribe = this.alarms.subscribe(() => this.tick());
  }

  stop(): void {
    this.unsubscribe?.();
    this.alarms.stop();
  }

  /** One pass: read every alarm's state and the capacity, decide, act. Never throws. */
  tick(): void {
    try {
      const { spec, asg, clock } = this.o;
      const now = clock.now();
      const warm = asg.instanceRecords().filter((r) => r.lifecycle === 'InService' && pastWarmup(r, spec.autoScaling.instanceWarmup, now)).length;
      const d = decideTargetTracking({
        groupName: asg.name,
        policies: targetTrackingPolicyStates(this.pairs, (n) => this.alarms.describeAlarm(n)),
        currentCapacity: warm,
        desired: asg.desiredCapacity,
        min: spec.capacity.min,
        max: spec.capacity.max,
        lastScaleOutAt: this.lastScaleOutAt,
        lastScaleInAt: this.lastScaleInAt,
        now,
        cooldownSec: spec.autoScaling.cooldown,
        warmupSec: spec.autoScaling.instanceWarmup,
      });
      if (d.action === 'none') {
        if (d.reason !== this.lastReason) {
          this.lastReason = d.reason;
          this.o.onEvent({ source: 'asg', type: 'target-tracking', message: d.reason });
        }
        return;
      }
      asg.setDesiredCapacity(d.desired, d.reason);
      if (d.action === 'scale-out') this.lastScaleOutAt = now;
      else this.lastScaleInAt = now;
    } catch (err) {
      this.o.onEvent({ source: 'asg', type: 'target-tracking-failed', message: `target tracking failed: ${(err as Error).message}` });
    }
  }
}
