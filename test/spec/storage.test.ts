import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketNameProblem, checkSpec, formatProblem, resolveSpec } from '../../src/spec/index.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('storage section', () => {
  it('GIVEN no storage section WHEN resolved THEN there are no buckets, three replicas and a write quorum of two', () => {
    const s = resolveSpec(minimal);
    assert.deepEqual(s.storage, { buckets: [], replicas: 3, writeQuorum: 2 });
    assert.deepEqual(s.twin.storage, { port: 0, scrubIntervalSeconds: 3600, repairIntervalSeconds: 10 });
  });

  it('GIVEN two zones WHEN resolved THEN two replicas, both needed for a write', () => {
    const s = resolveSpec({ ...minimal, zones: 2 });
    assert.equal(s.storage.replicas, 2);
    assert.equal(s.storage.writeQuorum, 2);
  });

  it('GIVEN a bucket WHEN resolved THEN it is versioned, blocked from the public and named to the app as BUCKET_<NAME>', () => {
    const s = resolveSpec({ ...minimal, storage: { buckets: [{ name: 'guest-book.images', lifecycle: [{ abortIncompleteUploadsAfterDays: 7 }] }] } });
    assert.deepEqual(s.storage.buckets[0], {
      name: 'guest-book.images',
      versioned: true,
      lifecycle: [{ id: 'rule-1', prefix: '', expireAfterDays: undefined, noncurrentExpireAfterDays: undefined, abortIncompleteUploadsAfterDays: 7 }],
      publicAccess: 'blocked',
      envName: 'BUCKET_GUEST_BOOK_IMAGES',
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ['a short name', { buckets: [{ name: 'ab' }] }, /storage\.buckets\[0\]\.name: "ab" is 2 characters long; expected 3 to 63/],
    ['upper case', { buckets: [{ name: 'Photos' }] }, /storage\.buckets\[0\]\.name: "Photos" has characters other than/],
    ['an IP address', { buckets: [{ name: '192.168.1.1' }] }, /formatted as an IP address/],
    ['a reserved prefix', { buckets: [{ name: 'xn--abc' }] }, /reserved prefix "xn--"/],
    ['two dots', { buckets: [{ name: 'a..b' }] }, /two dots in a row/],
    ['a duplicate', { buckets: [{ name: 'same' }, { name: 'same' }] }, /storage\.buckets\[1\]\.name: "same" is also storage\.buckets\[0\]\.name/],
    ['names that meet as variables', { buckets: [{ name: 'a-b-c' }, { name: 'a.b.c' }] }, /both reach the app as BUCKET_A_B_C/],
    ['public access', { buckets: [{ name: 'open', publicAccess: 'public' }] }, /storage\.buckets\[0\]\.publicAccess: received "public", expected "blocked"/],
    ['a rule without an action', { buckets: [{ name: 'rules', lifecycle: [{ prefix: 'tmp/' }] }] }, /lifecycle\[0\]: has no action/],
    ['noncurrent expiry without versioning', { buckets: [{ name: 'flat', versioned: false, lifecycle: [{ noncurrentExpireAfterDays: 3 }] }] }, /not versioned/],
    ['more replicas than zones', { replicas: 4 }, /storage\.replicas: 4 is more than the 3 zones/],
    ['one replica', { replicas: 1 }, /storage\.replicas: 1 is below the minimum 2/],
    ['an unknown field', { bucket: [] }, /storage\.bucket: unknown field/],
  ];
  for (const [what, storage, pattern] of bad) {
    it(`GIVEN ${what} WHEN checked THEN the problem names the field and the value`, () => {
      const found = problems({ ...minimal, storage });
      assert.ok(found.some((p) => pattern.test(p)), found.join('\n'));
    });
  }

  it('GIVEN the S3 naming rules WHEN names are checked THEN only valid ones pass', () => {
    for (const ok of ['abc', 'my-bucket.logs', '0day', 'a'.repeat(63)]) assert.equal(bucketNameProblem(ok), undefined, ok);
    for (const no of ['-abc', 'abc-', 'a_b', 'a'.repeat(64), 'bucket-s3alias', 'x--ol-s3']) assert.notEqual(bucketNameProblem(no), undefined, no);
  });
});
