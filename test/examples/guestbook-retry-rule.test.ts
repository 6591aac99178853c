import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnavailable } from '../../examples/guestbook/src/database.ts';
import {
  backoffMs,
  classifyFailure,
  decideRetry,
  DEFAULT_RETRY_POLICY,
  type Failure,
  type RetryInput,
} from '../../examples/guestbook/src/retry-rule.ts';

const err = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

const LOST: Failure = { kind: 'connection', effect: 'unknown' };
const NOT_SENT: Failure = { kind: 'connection', effect: 'none' };
const first = (over: Partial<RetryInput> = {}): RetryInput => ({ failure: NOT_SENT, idempotent: false, attempt: 1, elapsedMs: 0, random: 0.5, ...over });

describe('guestbook retry rule', () => {
  it('GIVEN connection-class errors WHEN classified THEN they are worth a retry; while connecting nothing was written, while running the outcome is unknown', () => {
    const connectionErrors = [
      err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      err('read ECONNRESET', 'ECONNRESET'),
      err('write EPIPE', 'EPIPE'),
      err('terminating connection due to administrator command', '57P01'),
      err('the database system is starting up', '57P03'),
      err('too many connections for role "guestbook"', '53300'),
      err('connection failure', '08006'),
      err('Connection terminated unexpectedly'),
      err('timeout exceeded when trying to connect'),
      err('Connection terminated due to connection timeout'),
      err('Client has encountered a connection error and is not queryable'),
    ];
    for (const e of connectionErrors) {
      assert.deepEqual(classifyFailure(e, 'connect'), { kind: 'connection', effect: 'none' }, e.message);
      assert.deepEqual(classifyFailure(e, 'query'), { kind: 'connection', effect: 'unknown' }, e.message);
      assert.ok(isUnavailable(e), `${e.message} answers 503`);
    }
  });

  it('GIVEN a read-only server (a standby after a failover) WHEN a statement is refused THEN nothing was written, even mid-query', () => {
    assert.deepEqual(classifyFailure(err('cannot execute INSERT in a read-only transaction', '25006'), 'query'), { kind: 'connection', effect: 'none' });
  });

  it('GIVEN timeouts, bugs and constraint errors WHEN classified THEN none is retried; timeouts still answer 503, the others 500', () => {
    const timeouts = [err('canceling statement due to statement timeout', '57014'), err('Query read timeout')];
    for (const e of timeouts) {
      assert.equal(classifyFailure(e, 'query').kind, 'other', e.message);
      assert.ok(isUnavailable(e), e.message);
    }
    const bugs = [err('syntax error at or near "SELEC"', '42601'), err('duplicate key value', '23505'), new TypeError('x is undefined'), 'a string', null];
    for (const e of bugs) {
      assert.equal(classifyFailure(e, 'query').kind, 'other', String(e));
      assert.ok(!isUnavailable(e), String(e));
    }
    assert.deepEqual(decideRetry(first({ failure: classifyFailure(timeouts[0], 'query'), idempotent: true })), { retry: false, reason: 'not-transient' });
  });

  it('GIVEN a connection lost mid-query WHEN the operation is not idempotent THEN it is not retried (the outcome is unknown); an idempotent one is', () => {
    assert.deepEqual(decideRetry(first({ failure: LOST, idempotent: false })), { retry: false, reason: 'outcome-unknown' });
    assert.equal(decideRetry(first({ failure: LOST, idempotent: true })).retry, true);
  });

  it('GIVEN a failure while connecting WHEN the operation is not idempotent THEN it is still retried: the statement never reached the server', () => {
    assert.equal(decideRetry(first({ failure: NOT_SENT, idempotent: false })).retry, true);
  });

  it('GIVEN the default policy WHEN tries keep failing THEN at most 3 tries, with waits of about 0.5 s then 1.5 s, none starting after 4 s', () => {
    const p = DEFAULT_RETRY_POLICY;
    assert.equal(p.maxAttempts, 3);
    assert.ok(p.budgetMs <= 4_000);
    const d1 = decideRetry(first({ attempt: 1, random: 0.5 }));
    const d2 = decideRetry(first({ attempt: 2, elapsedMs: 600, random: 0.5 }));
    assert.deepEqual(d1, { retry: true, delayMs: 500 });
    assert.deepEqual(d2, { retry: true, delayMs: 1500 });
    assert.deepEqual(decideRetry(first({ attempt: 3, elapsedMs: 2_100 })), { retry: false, reason: 'attempts' });
    // Slow tries (each ran into the 2 s connect timeout): the budget stops the third.
    assert.deepEqual(decideRetry(first({ attempt: 2, elapsedMs: 3_000 })), { retry: false, reason: 'budget' });
  });

  it('GIVEN jitter WHEN the random number ranges over [0, 1) THEN each wait stays within ±20 % of nominal and varies', () => {
    const waits = [0, 0.25, 0.5, 0.75, 0.999].map((r) => backoffMs(1, r));
    assert.ok(waits.every((w) => w >= 400 && w <= 600), String(waits));
    assert.ok(new Set(waits).size > 1);
    assert.equal(backoffMs(2, 0), 1200);
    assert.equal(backoffMs(2, 1), 1800);
  });

  it('GIVEN a custom policy WHEN decided THEN its limits apply', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 100, factor: 2, jitter: 0, budgetMs: 1_000 };
    assert.deepEqual(decideRetry(first({ attempt: 3, elapsedMs: 300 }), policy), { retry: true, delayMs: 400 });
    assert.deepEqual(decideRetry(first({ attempt: 4, elapsedMs: 300 }), policy), { retry: false, reason: 'budget' });
  });
});
