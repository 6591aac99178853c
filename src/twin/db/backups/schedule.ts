/**
 * The pure rules of automated backups, as RDS states them: a daily backup window `hh:mm-hh:mm` in
 * UTC of at least 30 minutes, a retention of 0–35 whole days, and the checks a point-in-time
 * restore time must pass (an ISO 8601 time with a zone, not in the future, inside the restorable
 * window). No clock and no I/O: `now` is always passed in.
 */
import { MIN_BACKUP_WINDOW_MINUTES, parseWindowMinutes, windowLengthMinutes } from '../../../spec/database.ts';
import { dbError } from '../errors.ts';

export { MIN_BACKUP_WINDOW_MINUTES };

/** A daily backup window in UTC, as minutes after midnight; `end` may be smaller than `start` (over midnight). */
export interface BackupWindow {
  readonly start: number;
  readonly end: number;
  /** As given, e.g. `03:00-03:30`. */
  readonly text: string;
}

/** The span a point-in-time restore can reach. */
export interface RestorableWindow {
  readonly earliest: Date;
  readonly latest: Date;
}

/** RDS: backupRetentionDays from 0 (automated backups off) to 35. */
export const MAX_RETENTION_DAYS = 35;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const ISO_EXAMPLE = '2025-01-31T13:45:00Z';

/** Parses and validates a backup window `hh:mm-hh:mm` (UTC, at least 30 minutes; it may span midnight). */
export function parseBackupWindow(text: string): BackupWindow {
  const w = parseWindowMinutes(text);
  if (w === undefined) {
    throw dbError(
      'HASTACK_DB_BACKUP_WINDOW_INVALID',
      `backupWindow must be hh:mm-hh:mm in UTC (24-hour clock), e.g. 03:00-03:30; received ${JSON.stringify(text)}`,
      { details: { field: 'backupWindow', received: text, expected: 'hh:mm-hh:mm' } },
    );
  }
  const { start, end } = w;
  const minutes = windowLengthMinutes(w);
  if (minutes < MIN_BACKUP_WINDOW_MINUTES) {
    throw dbError(
      'HASTACK_DB_BACKUP_WINDOW_INVALID',
      `backupWindow must last at least ${MIN_BACKUP_WINDOW_MINUTES} minutes; received ${text}, which lasts ${minutes}`,
      { details: { field: 'backupWindow', received: text, expected: `at least ${MIN_BACKUP_WINDOW_MINUTES} minutes` } },
    );
  }
  return { start, end, text };
}

/**
 * When the next automated backup is due: at once (`now`) when none was ever taken, otherwise at the
 * opening of the first window after the last one. A window missed entirely (the twin was down) is
 * not made up later than the next window: the backup is due at once while a window is open, or at
 * the next opening. A result not after `now` means "due now".
 */
export function nextAutomatedBackup(lastAt: Date | undefined, window: BackupWindow, now: Date): Date {
  if (lastAt === undefined) return now;
  const next = nextOpening(window, lastAt.getTime() + 1);
  if (next + windowLengthMinutes(window) * MINUTE_MS > now.getTime()) return new Date(next);
  const open = openingContaining(window, now.getTime());
  return new Date(open === undefined ? nextOpening(window, now.getTime()) : now.getTime());
}

/**
 * Validates a point-in-time restore time typed by a person: an ISO 8601 time with a zone, not in
 * the future, within the restorable window. Fractions below a millisecond are dropped.
 */
export function checkRestoreTime(input: string, window: RestorableWindow | undefined, now: Date): Date {
  const at = parseIsoWithZone(input);
  if (at === undefined) {
    throw dbError(
      'HASTACK_DB_RESTORE_TIME_INVALID',
      `--to-time must be an ISO 8601 time with a zone, e.g. ${ISO_EXAMPLE}; received ${JSON.stringify(input)}`,
      { details: { field: 'toTime', received: input, expected: `ISO 8601 with a zone, e.g. ${ISO_EXAMPLE}` } },
    );
  }
  return checkRestoreDate(at, window, now, input);
}

/** The range checks of checkRestoreTime for a time already parsed. */
export function checkRestoreDate(at: Date, window: RestorableWindow | undefined, now: Date, received: string = at.toISOString()): Date {
  if (window === undefined) {
    throw dbError(
      'HASTACK_DB_NO_BACKUPS',
      `cannot restore to ${received}: nothing is restorable yet (no snapshot, or no archived WAL past the oldest one); take a snapshot first`,
      { details: { field: 'toTime', received } },
    );
  }
  const range = `between ${window.earliest.toISOString()} and ${window.latest.toISOString()}`;
  const outOfRange = (why: string, limit: string) =>
    dbError('HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE', `--to-time ${received} is ${why}; expected a time ${range}`, {
      details: {
        field: 'toTime',
        received,
        limit,
        earliest: window.earliest.toISOString(),
        latest: window.latest.toISOString(),
      },
    });
  if (at.getTime() > now.getTime()) throw outOfRange(`in the future (now is ${now.toISOString()})`, 'now');
  if (at.getTime() < window.earliest.getTime()) throw outOfRange('before the earliest restorable time', 'earliest');
  if (at.getTime() > window.latest.getTime()) throw outOfRange('after the latest restorable time', 'latest');
  return at;
}

/** Validates backupRetentionDays: a whole number from 0 to 35, as RDS. */
export function checkRetentionDays(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RETENTION_DAYS) {
    throw dbError(
      'HASTACK_DB_RETENTION_INVALID',
      `backupRetentionDays must be a whole number from 0 to ${MAX_RETENTION_DAYS}; received ${String(n)}`,
      { details: { field: 'backupRetentionDays', received: n, expected: `0-${MAX_RETENTION_DAYS}` } },
    );
  }
  return n;
}

/** An ISO 8601 date-time with `Z` or a ±hh[:mm] offset, or undefined; calendar fields are range-checked. */
export function parseIsoWithZone(input: string): Date | undefined {
  const m = ISO_RE.exec(input.trim());
  if (m === null) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8]!.toUpperCase();
  let offsetMin = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * MINUTE_MS);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The first window opening at or after `t` (ms). */
function nextOpening(window: BackupWindow, t: number): number {
  const midnight = Math.floor(t / DAY_MS) * DAY_MS;
  const today = midnight + window.start * MINUTE_MS;
  return today >= t ? today : today + DAY_MS;
}

/** The opening of the window occurrence that contains `t`, if one does. */
function openingContaining(window: BackupWindow, t: number): number | undefined {
  const length = windowLengthMinutes(window) * MINUTE_MS;
  const last = nextOpening(window, t + 1) - DAY_MS;
  return t < last + length ? last : undefined;
}
