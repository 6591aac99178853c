import { evaluationWindow, isBreaching, type AlarmDefinition, type AlarmState } from './alarm.ts';
import { crossedReason, countNoun, insufficientReason, noDataFilledReason, tooFewReason, unchangedReason } from './alarm-reason.ts';

/** One period's value of an alarm's metric: `timestamp` is the start of the period. */
export interface AlarmDatapoint {
  readonly timestamp: number;
  readonly value: number;
}

export interface AlarmEvaluation {
  readonly state: AlarmState;
  readonly reason: string;
  /** End (exclusive, epoch ms) of the newest completed period that was evaluated. */
  readonly periodEnd: number;
  /** The newest datapoint in the evaluation range, if any: what target tracking reads. */
  readonly latestValue: number | undefined;
  /** The datapoints that decided, newest first; `undefined` for a missing one. */
  readonly evaluated: readonly (number | undefined)[];
}

interface Point {
  readonly slot: number;
  readonly value: number;
  readonly breaching: boolean;
}

/**
 * Evaluates one alarm as CloudWatch does, from the datapoints of its metric (one per period) and
 * its state before. Pure: same input, same answer.
 *
 * Only completed periods count: the period holding `now` is still filling and is ignored.
 * CloudWatch looks back over an evaluation range of a few more periods than N
 * (`evaluationRange`), then, following
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-evaluating-missing-data :
 *
 * - at least N real datapoints in the range: the newest N decide (M breaching → ALARM, else OK);
 *   how missing data is treated does not matter;
 * - none: missing → INSUFFICIENT_DATA, ignore → keep the state, breaching → ALARM,
 *   notBreaching → OK;
 * - some, fewer than N: every real one is evaluated and the rest of the N are missing ones.
 *   breaching / notBreaching fill them in as such. missing and ignore do not fill them in: M real
 *   breaching → ALARM; any real one not breaching → OK; otherwise (only breaching ones, fewer
 *   than M) ignore keeps the state and missing gives INSUFFICIENT_DATA — except that when the
 *   oldest evaluated datapoint is real (data stopped arriving after breaching ones) missing gives
 *   ALARM. That last rule is the documented table's sixth row ("X - - - -" → ALARM, while
 *   "- - - - X" → INSUFFICIENT_DATA); the evaluated missing ones are taken as the most recent.
 *
 * The tests replay both documented tables row by row.
 */
export function evaluateAlarm(
  def: AlarmDefinition,
  datapoints: readonly AlarmDatapoint[],
  previousState: AlarmState,
  now: number,
): AlarmEvaluation {
  const periodMs = def.period * 1000;
  const { start: rangeStart, end: periodEnd, periods: range } = evaluationWindow(def, now);
  const slots: (number | undefined)[] = new Array<number | undefined>(range).fill(undefined);
  for (const d of datapoints) {
    if (d.timestamp < rangeStart || d.timestamp >= periodEnd || !Number.isFinite(d.value)) continue;
    slots[Math.floor((d.timestamp - rangeStart) / periodMs)] = d.value;
  }
  const real: Point[] = [];
  slots.forEach((value, slot) => {
    if (value !== undefined) real.push({ slot, value, breaching: isBreaching(def.comparisonOperator, value, def.threshold) });
  });
  const N = def.evaluationPeriods;
  const M = def.datapointsToAlarm;
  const latestValue = real.at(-1)?.value;
  const result = (state: AlarmState, reason: string, evaluated: readonly (number | undefined)[]): AlarmEvaluation => ({
    state, reason, periodEnd, latestValue, evaluated,
  });

  if (real.length >= N) {
    const window = real.slice(-N);
    const values = window.map((p) => p.value).reverse();
    const breaching = window.filter((p) => p.breaching).length;
    const state = breaching >= M ? 'ALARM' : 'OK';
    const count = state === 'ALARM' ? breaching : N - breaching;
    return result(state, crossedReason({ def, state, previousState, values, count }), values);
  }

  if (real.length === 0) {
    const none = new Array<undefined>(N).fill(undefined);
    switch (def.treatMissingData) {
      case 'missing':
        return result('INSUFFICIENT_DATA', insufficientReason(range), none);
      case 'ignore':
        return result(previousState, unchangedReason(0, range, previousState), none);
      case 'breaching':
        return result('ALARM', noDataFilledReason(range, N, 'Breaching'), none);
      case 'notBreaching':
        return result('OK', noDataFilledReason(range, N, 'NonBreaching'), none);
    }
  }

  // Some real datapoints, fewer than N: all of them, plus the most recent missing periods.
  const fill = N - real.length;
  const missingSlots: number[] = [];
  for (let s = range - 1; s >= 0 && missingSlots.length < fill; s--) if (slots[s] === undefined) missingSlots.push(s);
  const window = [...real.map((p) => p.slot), ...missingSlots].sort((a, b) => b - a);
  const values = window.map((s) => slots[s]);
  const realBreaching = real.filter((p) => p.breaching).length;
  const realOk = real.length - realBreaching;
  const missingNote = (treatedAs: string) => `${countNoun(fill, 'missing datapoint')} ${fill === 1 ? 'was' : 'were'} ${treatedAs}`;

  if (def.treatMissingData === 'breaching' || def.treatMissingData === 'notBreaching') {
    const breaching = realBreaching + (def.treatMissingData === 'breaching' ? fill : 0);
    const state = breaching >= M ? 'ALARM' : 'OK';
    const count = state === 'ALARM' ? breaching : N - breaching;
    const note = missingNote(`treated as [${def.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}]`);
    return result(state, crossedReason({ def, state, previousState, values, count, missingNote: note }), values);
  }
  if (realBreaching >= M) {
    return result('ALARM', crossedReason({ def, state: 'ALARM', previousState, values, count: realBreaching, missingNote: missingNote('not counted') }), values);
  }
  if (realOk > 0) {
    return result('OK', crossedReason({ def, state: 'OK', previousState, values, count: realOk, missingNote: missingNote('not counted') }), values);
  }
  if (def.treatMissingData === 'ignore') return result(previousState, unchangedReason(real.length, N, previousState), values);
  const oldestEvaluatedIsReal = real[0]!.slot < Math.min(...missingSlots);
  if (oldestEvaluatedIsReal) {
    const note = `${missingNote('not counted')} and no datapoint has arrived since`;
    return result('ALARM', crossedReason({ def, state: 'ALARM', previousState, values, count: realBreaching, missingNote: note }), values);
  }
  return result('INSUFFICIENT_DATA', tooFewReason(def, values, realBreaching), values);
}
