import { evaluationWindow, isPercentAlarm, isRatioAlarm, type AlarmDefinition, type MetricQuery } from './alarm.ts';
import type { AlarmDatapoint } from './alarm-evaluate.ts';
import type { Datapoint, MetricStatisticsSource } from './types.ts';

/**
 * Reads what `evaluateAlarm` needs: the alarm's metric (or ratio, or percentage) per period over its evaluation
 * range, completed periods only.
 */
export function fetchAlarmDatapoints(source: MetricStatisticsSource, def: AlarmDefinition, now: number): AlarmDatapoint[] {
  const { start, end } = evaluationWindow(def, now);
  const read = (q: MetricQuery) =>
    source.getStatistics({
      namespace: q.namespace,
      name: q.metricName,
      dimensions: q.dimensions,
      statistic: q.statistic,
      period: def.period,
      start,
      end,
    });
  if (isPercentAlarm(def)) return percentDatapoints(def.numerators.map(read), read(def.denominator));
  if (!isRatioAlarm(def)) return read(def).map((d) => ({ timestamp: d.timestamp, value: d.value }));
  const denominators = new Map<number, number>();
  for (const d of read(def.denominator)) denominators.set(d.timestamp, d.value);
  const out: AlarmDatapoint[] = [];
  for (const n of read(def.numerator)) {
    const den = denominators.get(n.timestamp);
    // A ratio over nothing is undefined: leave the period missing and let treatMissingData decide.
    if (den === undefined || den === 0) continue;
    out.push({ timestamp: n.timestamp, value: n.value / den });
  }
  return out;
}

/** `100 × (sum of the numerators, a missing one as 0) / denominator`, for periods whose denominator is above 0. */
function percentDatapoints(numerators: readonly Datapoint[][], denominator: readonly Datapoint[]): AlarmDatapoint[] {
  const sums = new Map<number, number>();
  for (const series of numerators) for (const n of series) sums.set(n.timestamp, (sums.get(n.timestamp) ?? 0) + n.value);
  const out: AlarmDatapoint[] = [];
  for (const d of denominator) {
    if (d.value === 0) continue;
    out.push({ timestamp: d.timestamp, value: (100 * (sums.get(d.timestamp) ?? 0)) / d.value });
  }
  return out;
}
