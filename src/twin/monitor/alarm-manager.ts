import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events.ts';
import { alarmMetricLabel, checkAlarmDefinition, lastCompletedPeriodEnd, type AlarmDefinition, type AlarmState } from './alarm.ts';
import { fetchAlarmDatapoints } from './alarm-datapoints.ts';
import { evaluateAlarm } from './alarm-evaluate.ts';
import { formatValue } from './alarm-reason.ts';
import type { MetricStatisticsSource } from './types.ts';

export interface AlarmStatus {
  readonly definition: AlarmDefinition;
  readonly state: AlarmState;
  /** Why the alarm entered its state (set on transitions, as CloudWatch's StateReason). */
  readonly reason: string;
  readonly stateUpdatedAt: number;
  /** When it was last evaluated, or undefined before the first evaluation. */
  readonly lastEvaluatedAt: number | undefined;
  /** Newest datapoint seen by the last evaluation. */
  readonly latestValue: number | undefined;
}

export interface AlarmHistoryItem {
  readonly alarmName: string;
  readonly at: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

/** What listeners get: on every transition, and on every evaluation that leaves the alarm in ALARM. */
export interface AlarmNotification {
  readonly alarm: AlarmDefinition;
  readonly state: AlarmState;
  readonly previousState: AlarmState;
  readonly reason: string;
  readonly at: number;
  /** True when the state changed in this evaluation. */
  readonly transition: boolean;
  readonly latestValue: number | undefined;
}

export type AlarmListener = (n: AlarmNotification) => void;

export interface AlarmManagerOptions {
  readonly source: MetricStatisticsSource;
  readonly clock: Clock;
  readonly onEvent?: EmitEvent;
  /**
   * Milliseconds to wait after a period closes before evaluating it, so datums producers flush
   * once a second have landed. CloudWatch likewise evaluates a little after the period. @default 2000
   */
  readonly settleMs?: number;
  /** Transitions kept, newest last; older ones are dropped. @default 1000 */
  readonly historyLimit?: number;
}

interface Entry {
  definition: AlarmDefinition;
  state: AlarmState;
  reason: string;
  stateUpdatedAt: number;
  lastEvaluatedAt: number | undefined;
  /** End of the last period evaluated; -Infinity before the first evaluation. */
  lastPeriodEnd: number;
  latestValue: number | undefined;
}

const INITIAL_REASON = 'Unchecked: Initial alarm creation';

/**
 * Keeps alarms and evaluates each one once per completed period, level-triggered: every pass
 * reads the store afresh, so a missed or late tick loses nothing. Listeners hear transitions and,
 * while an alarm stays in ALARM, every further evaluation — CloudWatch re-invokes Auto Scaling
 * actions each period the alarm stays in ALARM, and target tracking relies on that.
 * A failing evaluation or listener is reported as an event and never stops the loop.
 */
export class AlarmManager {
  private readonly alarms = new Map<string, Entry>();
  private readonly listeners = new Set<AlarmListener>();
  private readonly historyItems: AlarmHistoryItem[] = [];
  private readonly settleMs: number;
  private readonly historyLimit: number;
  private timer: unknown;
  private running = false;

  constructor(private readonly o: AlarmManagerOptions) {
    this.settleMs = Math.max(0, o.settleMs ?? 2000);
    this.historyLimit = Math.max(1, o.historyLimit ?? 1000);
  }

  /**
   * Creates or replaces an alarm (PutMetricAlarm). A new alarm starts in INSUFFICIENT_DATA and is
   * evaluated on the next pass; replacing one keeps its state, as CloudWatch does.
   * Throws HASTACK_METRICS_INVALID_ALARM.
   */
  putAlarm(definition: AlarmDefinition): void {
    checkAlarmDefinition(definition);
    const existing = this.alarms.get(definition.name);
    if (existing !== undefined) {
      existing.definition = definition;
      existing.lastPeriodEnd = -Infinity;
    } else {
      this.alarms.set(definition.name, {
        definition,
        state: 'INSUFFICIENT_DATA',
        reason: INITIAL_REASON,
        stateUpdatedAt: this.o.clock.now(),
        lastEvaluatedAt: undefined,
        lastPeriodEnd: -Infinity,
        latestValue: undefined,
      });
    }
    this.reschedule();
  }

  deleteAlarm(name: string): boolean {
    const had = this.alarms.delete(name);
    if (had) this.reschedule();
    return had;
  }

  describeAlarm(name: string): AlarmStatus | undefined {
    const e = this.alarms.get(name);
    return e === undefined ? undefined : snapshot(e);
  }

  describeAlarms(): AlarmStatus[] {
    return [...this.alarms.values()].map(snapshot);
  }

  /** Transitions, oldest first; of one alarm when named. */
  history(alarmName?: string): AlarmHistoryItem[] {
    return alarmName === undefined ? [...this.historyItems] : this.historyItems.filter((h) => h.alarmName === alarmName);
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sets a state by hand (SetAlarmState), for tests and fault drills. Like CloudWatch's, it lasts
   * until the next evaluation, which happens when the next period completes.
   */
  setAlarmState(name: string, state: AlarmState, reason: string): boolean {
    const e = this.alarms.get(name);
    if (e === undefined) return false;
    this.apply(e, state, reason, this.o.clock.now());
    return true;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.reschedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One pass: evaluates every alarm whose next period has completed (and settled). The loop calls
   * it; hosts and tests may call it directly.
   */
  evaluateDue(): void {
    const now = this.o.clock.now();
    const evaluationTime = now - this.settleMs;
    for (const e of this.alarms.values()) {
      const periodEnd = lastCompletedPeriodEnd(e.definition.period, evaluationTime);
      if (periodEnd <= e.lastPeriodEnd) continue;
      e.lastPeriodEnd = periodEnd;
      try {
        const datapoints = fetchAlarmDatapoints(this.o.source, e.definition, evaluationTime);
        const result = evaluateAlarm(e.definition, datapoints, e.state, evaluationTime);
        e.lastEvaluatedAt = now;
        e.latestValue = result.latestValue;
        this.apply(e, result.state, result.reason, now);
      } catch (err) {
        this.emit('alarm-evaluation-failed', `Evaluating alarm ${e.definition.name} failed: ${messageOf(err)}; it is retried when its next period completes.`, {
          alarm: e.definition.name,
        }, now);
      }
    }
  }

  private apply(e: Entry, state: AlarmState, reason: string, now: number): void {
    const latestValue = e.latestValue;
    const previousState = e.state;
    const transition = state !== previousState;
    if (transition) {
      e.state = state;
      e.reason = reason;
      e.stateUpdatedAt = now;
      this.historyItems.push({ alarmName: e.definition.name, at: now, from: previousState, to: state, reason });
      if (this.historyItems.length > this.historyLimit) this.historyItems.splice(0, this.historyItems.length - this.historyLimit);
      const value = latestValue === undefined ? '' : ` (${alarmMetricLabel(e.definition)} ${formatValue(latestValue)})`;
      this.emit('alarm-state-changed', `Alarm ${e.definition.name} changed from ${previousState} to ${state}${value}: ${reason}`, {
        alarm: e.definition.name, from: previousState, to: state, latestValue,
      }, now);
    }
    if (!transition && state !== 'ALARM') return;
    const n: AlarmNotification = { alarm: e.definition, state, previousState, reason: transition ? reason : e.reason, at: now, transition, latestValue };
    for (const l of this.listeners) {
      try {
        l(n);
      } catch (err) {
        this.emit('alarm-listener-failed', `A listener of alarm ${e.definition.name} failed: ${messageOf(err)}.`, { alarm: e.definition.name }, now);
      }
    }
  }

  private reschedule(): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.o.clock.now();
    let due = Infinity;
    for (const e of this.alarms.values()) {
      const periodMs = e.definition.period * 1000;
      const next = e.lastPeriodEnd === -Infinity ? now : e.lastPeriodEnd + periodMs + this.settleMs;
      if (next < due) due = next;
    }
    if (due === Infinity) return;
    this.timer = this.o.clock.setTimeout(() => this.tick(), Math.max(0, due - now));
  }

  private tick(): void {
    this.timer = undefined;
    try {
      this.evaluateDue();
    } catch (err) {
      this.emit('alarm-evaluation-failed', `An alarm evaluation pass failed: ${messageOf(err)}; the next pass runs as scheduled.`, {}, this.o.clock.now());
    } finally {
      this.reschedule();
    }
  }

  private emit(type: string, message: string, data: Record<string, unknown>, at: number): void {
    try {
      this.o.onEvent?.({ source: 'metrics', type, message, data, at });
    } catch {
      // The host's event sink failing must not take alarms down with it.
    }
  }
}

function snapshot(e: Entry): AlarmStatus {
  return {
    definition: e.definition,
    state: e.state,
    reason: e.reason,
    stateUpdatedAt: e.stateUpdatedAt,
    lastEvaluatedAt: e.lastEvaluatedAt,
    latestValue: e.latestValue,
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
