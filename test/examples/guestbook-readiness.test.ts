import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../../examples/guestbook/src/config.ts';
import { Readiness } from '../../examples/guestbook/src/readiness.ts';
import { afterCheck, describeReadiness, judgeReadiness, REACHABLE } from '../../examples/guestbook/src/readiness-rule.ts';

const DB = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db' };

/** A Readiness on a hand-driven clock whose check fails while `down` is set. */
function rig(graceMs?: number) {
  const s = { now: 1_000_000, down: false, checks: 0 };
  const r = new Readiness({
    check: async () => {
      s.checks++;
      if (s.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    },
    now: () => s.now,
    ...(graceMs === undefined ? {} : { graceMs }),
  });
  return { s, r };
}

describe('guestbook readiness', () => {
  it('GIVEN failed checks WHEN recorded THEN the run keeps its first failure time, and one success resets it', () => {
    const a = afterCheck(REACHABLE, { ok: false, reason: 'refused' }, 100);
    const b = afterCheck(a, { ok: false, reason: 'timed out' }, 1_100);
    assert.deepEqual(b, { unreachableSince: 100, reason: 'timed out' });
    assert.deepEqual(afterCheck(b, { ok: true }, 2_100), REACHABLE);
  });

  it('GIVEN an unreachable database WHEN judged THEN ready within the grace, not ready past it, and grace 0 fails at once', () => {
    const state = { unreachableSince: 0, reason: 'refused' };
    assert.equal(judgeReadiness(REACHABLE, 99_000, 15_000).ready, true);
    assert.equal(judgeReadiness(state, 14_999, 15_000).ready, true);
    assert.equal(judgeReadiness(state, 15_000, 15_000).ready, false);
    assert.equal(judgeReadiness(state, 0, 0).ready, false);
  });

  it('GIVEN each verdict WHEN described THEN the body says ready or not, for how long the database has been unreachable, and why', () => {
    assert.equal(describeReadiness(judgeReadiness(REACHABLE, 5, 15_000)), 'ready');
    const state = { unreachableSince: 0, reason: 'connect ECONNREFUSED' };
    assert.equal(
      describeReadiness(judgeReadiness(state, 2_345, 15_000)),
      'ready (database unreachable for 2.3 s, tolerated for up to 15.0 s: connect ECONNREFUSED)',
    );
    assert.equal(
      describeReadiness(judgeReadiness(state, 16_000, 15_000)),
      'not ready: database unreachable for 16.0 s, longer than the 15.0 s grace (READINESS_DB_GRACE_MS): connect ECONNREFUSED',
    );
  });

  it('GIVEN the default grace of 15 s WHEN the database blips for 10 s THEN readiness never fails, and it fails after 15 s of a longer outage', async () => {
    const { s, r } = rig();
    assert.equal((await r.get()).ready, true);
    s.down = true;
    for (let t = 0; t <= 10_000; t += 1_000) {
      s.now += 1_000;
      const v = await r.get();
      assert.equal(v.ready, true, `at ${t} ms`);
    }
    s.down = false;
    s.now += 1_000;
    assert.deepEqual(await r.get(), { ready: true, unreachableForMs: 0, reason: undefined, graceMs: 15_000 });
    s.down = true;
    s.now += 1_000;
    const firstFail = s.now;
    let v = await r.get();
    while (v.ready) {
      s.now += 1_000;
      v = await r.get();
    }
    assert.equal(s.now - firstFail, 15_000, 'not ready once the outage reaches the grace');
    assert.equal(v.unreachableForMs, 15_000);
    assert.match(v.reason ?? '', /ECONNREFUSED/);
  });

  it('GIVEN probes within a second WHEN asked THEN one check answers them all, while the unreachable time still advances', async () => {
    const { s, r } = rig(5_000);
    s.down = true;
    await r.get();
    s.now += 500;
    const results = await Promise.all([r.get(), r.get(), r.get()]);
    assert.equal(s.checks, 1);
    assert.ok(results.every((x) => x.unreachableForMs === 500));
  });

  it('GIVEN a check that hangs WHEN asked THEN it counts as a failure after the timeout', async () => {
    const r = new Readiness({ check: () => new Promise(() => undefined), timeoutMs: 50, graceMs: 0 });
    const v = await r.get();
    assert.equal(v.ready, false);
    assert.match(v.reason ?? '', /did not answer within 50 ms/);
  });

  it('GIVEN READINESS_DB_GRACE_MS WHEN the environment is read THEN it defaults to 15000, accepts 0, and a bad value names the variable', () => {
    assert.equal(readConfig(DB).readinessDbGraceMs, 15_000);
    assert.equal(readConfig({ ...DB, READINESS_DB_GRACE_MS: '0' }).readinessDbGraceMs, 0);
    assert.equal(readConfig({ ...DB, READINESS_DB_GRACE_MS: '3000' }).readinessDbGraceMs, 3_000);
    assert.throws(() => readConfig({ ...DB, READINESS_DB_GRACE_MS: '15s' }), /READINESS_DB_GRACE_MS must be an integer from 0 to 600000 \(received "15s"\)/);
  });
});
