import type { TrackedMetric } from '../../spec/types.ts';

/** Policy names the twin gives the two tracked metrics: their keys in the stack config. */
export function targetTrackingPolicyName(metric: TrackedMetric): string {
  return metric === 'CPUUtilization' ? 'cpu' : 'requestCountPerTarget';
}

/**
 * `TargetTracking-<group>-AlarmHigh-<metric>`. AWS ends the name with a generated id; the twin
 * uses the metric so names are stable and readable.
 */
export function targetTrackingAlarmName(groupName: string, side: 'High' | 'Low', metric: TrackedMetric): string {
  return `TargetTracking-${groupName}-Alarm${side}-${metric}`;
}
