import { evaluationWindow, isRatioAlarm, type AlarmDefinition, type MetricQuery } from './alarm.ts';
import type { AlarmDatapoint } from './alarm-evaluate.ts';
import type { MetricStatisticsSource } from './types.ts';

/**
 * Reads what `evaluateAlarm` needs: the alarm's metric (or ratio) per period over its evaluation
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
