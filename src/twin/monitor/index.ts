/** The twin's CloudWatch: a metric store, alarms, and target tracking built on them. */
export type * from './types.ts';
export { METRICS_ERRORS, metricsError, type MetricsErrorCode } from './errors.ts';
export { MetricStore, type MetricStoreOptions, type MetricStoreStats, type MetricFilter } from './metric-store.ts';
export { STATISTICS, isStatistic } from './statistics.ts';
export * from './metric-names.ts';
export {
  isRatioAlarm,
  isPercentAlarm,
  isBreaching,
  comparisonWords,
  alarmMetricLabel,
  evaluationRange,
  alarmDefinitionProblems,
  checkAlarmDefinition,
  type AlarmState,
  type ComparisonOperator,
  type TreatMissingData,
  type MetricQuery,
  type MetricAlarmDefinition,
  type RatioAlarmDefinition,
  type PercentAlarmDefinition,
  type AlarmDefinition,
} from './alarm.ts';
export { evaluateAlarm, type AlarmDatapoint, type AlarmEvaluation } from './alarm-evaluate.ts';
export { formatValue } from './alarm-reason.ts';
export { fetchAlarmDatapoints } from './alarm-datapoints.ts';
export {
  AlarmManager,
  type AlarmManagerOptions,
  type AlarmStatus,
  type AlarmHistoryItem,
  type AlarmNotification,
  type AlarmListener,
} from './alarm-manager.ts';
export {
  TARGET_TRACKING_DEFAULTS,
  targetTrackingAlarms,
  trackingAlarmState,
  targetTrackingPolicyStates,
  type TargetTrackingAlarmsOptions,
  type TargetTrackingAlarmPair,
} from './target-tracking-alarms.ts';
export {
  specAlarmDefinitions,
  twinUnsupportedAlarms,
  type TwinAlarmNames,
  type TwinUnsupportedAlarm,
} from './spec-alarms.ts';
export { targetTrackingAlarmName, targetTrackingPolicyName } from './target-tracking-names.ts';
export {
  decideTargetTracking,
  isoSeconds,
  type TrackingAlarmState,
  type TargetTrackingPolicyState,
  type TargetTrackingInput,
  type TargetTrackingDecision,
} from './target-tracking.ts';
