import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../../src/errors.ts';
import {
  automatedSnapshotId,
  checkRestoreTime,
  checkRetentionDays,
  checkSnapshotName,
  expiredSnapshots,
  nextAutomatedBackup,
  parseBackupWindow,
  pickSnapshot,
  unneededWalFiles,
  type SnapshotInfo,
} from '../../../../src/twin/db/backups/index.ts';

const at = (iso: string) => new Date(iso);
const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

function rejects(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHastackError(e), `expected a HastackError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.source, 'user');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('backup window', () => {
  it('GIVEN hh:mm-hh:mm of at least 30 minutes WHEN parsed THEN accepted, also over midnight', () => {
    assert.deepEqual(parseBackupWindow('03:00-03:30'), { start: 180, end: 210, text: '03:00-03:30' });
    assert.deepEqual(parseBackupWindow('23:45-00:15'), { start: 1425, end: 15, text: '23:45-00:15' });
  });

  it('GIVEN a malformed or too short window WHEN parsed THEN a user error names the field, what was received and what is expected', () => {
    rejects(() => parseBackupWindow('3:00-3:30'), 'HASTACK_DB_BACKUP_WINDOW_INVALID', /backupWindow/, /"3:00-3:30"/, /hh:mm-hh:mm/);
    rejects(() => parseBackupWindow('24:00-00:30'), 'HASTACK_DB_BACKUP_WINDOW_INVALID');
    rejects(() => parseBackupWindow('03:00-03:29'), 'HASTACK_DB_BACKUP_WINDOW_INVALID', /at least 30 minutes/, /03:00-03:29/, /lasts 29/);
    rejects(() => parseBackupWindow('03:00-03:00'), 'HASTACK_DB_BACKUP_WINDOW_INVALID');
  });

  it('GIVEN no backup yet WHEN the next is asked THEN it is due at once; then daily at the window opening', () => {
    const w = parseBackupWindow('03:00-03:30');
    const now = at('2025-05-10T10:17:00Z');
    assert.deepEqual(nextAutomatedBackup(undefined, w, now), now);
    // The first backup, taken at once at 10:17, is followed by the next window opening.
    assert.deepEqual(nextAutomatedBackup(now, w, now), at('2025-05-11T03:00:00Z'));
    // One taken inside the window: the next is the following day's window, not this one again.
    assert.deepEqual(nextAutomatedBackup(at('2025-05-11T03:02:00Z'), w, at('2025-05-11T03:10:00Z')), at('2025-05-12T03:00:00Z'));
  });

  it('GIVEN a window missed while the twin was down WHEN asked THEN the backup is due in the next window, or at once while one is open', () => {
    const w = parseBackupWindow('03:00-03:30');
    assert.deepEqual(nextAutomatedBackup(at('2025-05-10T03:05:00Z'), w, at('2025-05-12T12:00:00Z')), at('2025-05-13T03:00:00Z'));
    assert.deepEqual(nextAutomatedBackup(at('2025-05-10T03:05:00Z'), w, at('2025-05-12T03:10:00Z')), at('2025-05-12T03:10:00Z'));
  });

  it('GIVEN a window over midnight WHEN the next backup is asked THEN it opens on the evening after the last one', () => {
    const w = parseBackupWindow('23:45-00:15');
    assert.deepEqual(nextAutomatedBackup(at('2025-05-10T23:50:00Z'), w, at('2025-05-11T00:05:00Z')), at('2025-05-11T23:45:00Z'));
  });
});

describe('retention and snapshot names', () => {
  it('GIVEN retention days WHEN checked THEN whole numbers 0-35 pass, others are user errors', () => {
    assert.equal(checkRetentionDays(0), 0);
    assert.equal(checkRetentionDays(35), 35);
    rejects(() => checkRetentionDays(36), 'HASTACK_DB_RETENTION_INVALID', /backupRetentionDays/, /received 36/, /0 to 35/);
    rejects(() => checkRetentionDays(1.5), 'HASTACK_DB_RETENTION_INVALID');
    rejects(() => checkRetentionDays(-1), 'HASTACK_DB_RETENTION_INVALID');
  });

  it('GIVEN snapshot names WHEN validated THEN RDS identifier rules apply', () => {
    for (const ok of ['a', 'before-upgrade', 'Snap1', 'a'.repeat(63)]) assert.equal(checkSnapshotName(ok), ok);
    for (const bad of ['', '1abc', '-a', 'a-', 'a--b', 'a_b', 'rds:x', 'a'.repeat(64), 'ü']) {
      rejects(() => checkSnapshotName(bad), 'HASTACK_DB_SNAPSHOT_NAME_INVALID', /name must be 1–63 letters/, /received/);
    }
    rejects(() => checkSnapshotName(undefined), 'HASTACK_DB_SNAPSHOT_NAME_INVALID', /received nothing/);
  });

  it('GIVEN a start time WHEN an automated snapshot is named THEN rds:<stack>-YYYY-MM-DD-HH-mm in UTC', () => {
    assert.equal(automatedSnapshotId('shop', at('2025-01-02T03:04:59.999Z')), 'rds:shop-2025-01-02-03-04');
  });

  it('GIVEN automated and manual snapshots WHEN a retention applies THEN only automated ones older than it expire', () => {
    const snap = (id: string, kind: SnapshotInfo['kind'], startedAt: string): SnapshotInfo => ({
      id, kind, node: 'db-a', startedAt, finishedAt: startedAt, startLsn: '0/2000028', stopLsn: '0/2000100', bytes: 1, method: 'pg_basebackup',
    });
    const list = [
      snap('rds:shop-old', 'automated', '2025-05-01T03:00:00Z'),
      snap('keep-me', 'manual', '2025-04-01T03:00:00Z'),
      snap('rds:shop-new', 'automated', '2025-05-07T03:00:00Z'),
    ];
    const now = at('2025-05-08T12:00:00Z');
    assert.deepEqual(expiredSnapshots(list, now, 7).map((s) => s.id), ['rds:shop-old']);
    assert.deepEqual(expiredSnapshots(list, now, 0).map((s) => s.id), ['rds:shop-old', 'rds:shop-new']);
    assert.equal(pickSnapshot(list, at('2025-05-06T00:00:00Z'))?.id, 'rds:shop-old');
    assert.equal(pickSnapshot(list, at('2025-03-01T00:00:00Z')), undefined);
  });
});

describe('WAL retention', () => {
  it('GIVEN archived files WHEN the oldest kept snapshot starts in segment 5 THEN only older segments, backup files and leftovers go', () => {
    const files = [
      '000000010000000000000003',
      '000000010000000000000004.00000028.backup',
      '000000010000000000000004.tmp.123',
      '000000010000000000000005',
      '000000020000000000000004.partial',
      '000000020000000000000006',
      '00000002.history',
      'hastack-restorable.json',
    ];
    const kept = [{ startLsn: '0/6000028' }, { startLsn: '0/5000028' }];
    assert.deepEqual(unneededWalFiles(files, kept, 16 * 1024 * 1024), [
      '000000010000000000000003',
      '000000010000000000000004.00000028.backup',
      '000000010000000000000004.tmp.123',
      '000000020000000000000004.partial',
    ]);
    assert.deepEqual(unneededWalFiles(files, [], 16 * 1024 * 1024), []);
  });
});

describe('checkRestoreTime', () => {
  const window = { earliest: at('2025-05-01T03:10:00Z'), latest: at('2025-05-08T11:55:00.250Z') };
  const now = at('2025-05-08T12:00:00Z');

  it('GIVEN ISO 8601 times with a zone inside the window WHEN checked THEN the instant is returned', () => {
    assert.deepEqual(checkRestoreTime('2025-05-05T10:00:00Z', window, now), at('2025-05-05T10:00:00Z'));
    assert.deepEqual(checkRestoreTime('2025-05-05T12:00:00+02:00', window, now), at('2025-05-05T10:00:00Z'));
    assert.deepEqual(checkRestoreTime('2025-05-05 05:30-0430', window, now), at('2025-05-05T10:00:00Z'));
    assert.deepEqual(checkRestoreTime('2025-05-08T11:55:00.250999Z', window, now), window.latest);
    assert.deepEqual(checkRestoreTime('2025-05-01T03:10Z', window, now), window.earliest);
  });

  it('GIVEN no zone, no time or an impossible date WHEN checked THEN a user error shows what was received and an example', () => {
    for (const bad of ['2025-05-05T10:00:00', '2025-05-05', 'yesterday', '2025-02-30T10:00:00Z', '2025-05-05T25:00:00Z', '']) {
      rejects(() => checkRestoreTime(bad, window, now), 'HASTACK_DB_RESTORE_TIME_INVALID', /ISO 8601 time with a zone/, literal(`received ${JSON.stringify(bad)}`), /2025-01-31T13:45:00Z/);
    }
  });

  it('GIVEN a time in the future, before the earliest or after the latest restorable time WHEN checked THEN a user error gives the window', () => {
    rejects(() => checkRestoreTime('2025-05-08T12:00:01Z', window, now), 'HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE', /in the future/, /2025-05-01T03:10:00.000Z/);
    rejects(() => checkRestoreTime('2025-05-01T03:09:59Z', window, now), 'HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE', /before the earliest restorable time/, /2025-05-08T11:55:00.250Z/);
    rejects(() => checkRestoreTime('2025-05-08T11:58:00Z', window, now), 'HASTACK_DB_RESTORE_TIME_OUT_OF_RANGE', /after the latest restorable time/);
  });

  it('GIVEN no backups at all WHEN checked THEN HASTACK_DB_NO_BACKUPS', () => {
    rejects(() => checkRestoreTime('2025-05-05T10:00:00Z', undefined, now), 'HASTACK_DB_NO_BACKUPS', /nothing is restorable yet/);
  });
});
