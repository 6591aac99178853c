import { comparisonWords, type AlarmDefinition, type AlarmState } from './alarm.ts';

/**
 * Reason sentences in CloudWatch's words, e.g. "Threshold Crossed: 3 out of the last 3 datapoints
 * [72.1, 70.3, 69.9] were greater than the threshold (50.0) (minimum 3 datapoints for OK -> ALARM
 * transition)." Values are listed newest first, as CloudWatch lists them; a filled-in or skipped
 * missing datapoint shows as `missing`.
 */

/** Numbers as CloudWatch prints them: 50 → "50.0", 72.1 → "72.1". */
export function formatValue(v: number): string {
  const rounded = Math.round(v * 1e6) / 1e6;
  return Number.isInteger(rounded) && Math.abs(rounded) < 1e15 ? rounded.toFixed(1) : String(rounded);
}

export function countNoun(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function list(valuesNewestFirst: readonly (number | undefined)[]): string {
  return `[${valuesNewestFirst.map((v) => (v === undefined ? 'missing' : formatValue(v))).join(', ')}]`;
}

export interface CrossedFacts {
  readonly def: AlarmDefinition;
  readonly state: 'OK' | 'ALARM';
  readonly previousState: AlarmState;
  /** The evaluated datapoints, newest first. */
  readonly values: readonly (number | undefined)[];
  /** How many of `values` count towards `state` (breaching for ALARM, not breaching for OK). */
  readonly count: number;
  /** A clause about missing datapoints, e.g. "2 missing datapoints were treated as [Breaching]". */
  readonly missingNote?: string;
}

export function crossedReason(f: CrossedFacts): string {
  const { def, state } = f;
  const n = f.values.length;
  const verb = f.count === 1 ? 'was' : 'were';
  const not = state === 'OK' ? 'not ' : '';
  // The fewest datapoints that decide a transition: M breaching for ALARM, N − M + 1 not breaching
  // for OK. Said only on a transition, and only when the count really met it (a missing datapoint
  // that was not counted can leave an alarm OK with fewer).
  const minimum = state === 'ALARM' ? def.datapointsToAlarm : def.evaluationPeriods - def.datapointsToAlarm + 1;
  const transition =
    f.previousState !== state && f.count >= minimum
      ? ` (minimum ${countNoun(minimum, 'datapoint')} for ${f.previousState} -> ${state} transition)`
      : '';
  const note = f.missingNote === undefined ? '' : `; ${f.missingNote}`;
  return (
    `Threshold Crossed: ${f.count} out of the last ${n} datapoints ${list(f.values)} ${verb} ${not}` +
    `${comparisonWords(def.comparisonOperator)} the threshold (${formatValue(def.threshold)})${note}${transition}.`
  );
}

export function noDataFilledReason(periods: number, filled: number, treatment: 'Breaching' | 'NonBreaching'): string {
  return (
    `Threshold Crossed: no datapoints were received for ${countNoun(periods, 'period')} and ` +
    `${countNoun(filled, 'missing datapoint')} ${filled === 1 ? 'was' : 'were'} treated as [${treatment}].`
  );
}

export function insufficientReason(periods: number): string {
  return `Insufficient Data: no datapoints were received for ${countNoun(periods, 'period')}.`;
}

export function tooFewReason(def: AlarmDefinition, valuesNewestFirst: readonly (number | undefined)[], breaching: number): string {
  const received = valuesNewestFirst.filter((v) => v !== undefined).length;
  return (
    `Insufficient Data: only ${received} of the last ${def.evaluationPeriods} datapoints ` +
    `${received === 1 ? 'was' : 'were'} received ${list(valuesNewestFirst)} and ${breaching} ` +
    `${breaching === 1 ? 'was' : 'were'} ${comparisonWords(def.comparisonOperator)} the threshold ` +
    `(${formatValue(def.threshold)}), fewer than the ${def.datapointsToAlarm} needed to alarm.`
  );
}

export function unchangedReason(received: number, periods: number, previous: AlarmState): string {
  const what =
    received === 0
      ? `no datapoints were received for ${countNoun(periods, 'period')}`
      : `only ${received} of the last ${periods} datapoints ${received === 1 ? 'was' : 'were'} received, too few to decide`;
  return `Unchanged: ${what}; missing data is ignored, so the alarm stays in ${previous}.`;
}
