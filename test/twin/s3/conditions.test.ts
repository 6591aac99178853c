import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkCopySourceConditions,
  checkReadConditions,
  checkWriteConditions,
  conditionError,
  evaluateConditions,
  parseHttpDate,
} from '../../../src/twin/s3/conditions.ts';
import { s3Code } from './s3-code.ts';

const T = Date.parse('2024-05-01T12:00:00.750Z');
const target = { etag: '"abc123"', lastModified: T };
const BEFORE = 'Wed, 01 May 2024 11:59:59 GMT';
const SAME = 'Wed, 01 May 2024 12:00:00 GMT';
const AFTER = 'Wed, 01 May 2024 12:00:01 GMT';


describe('evaluateConditions (GET/HEAD)', () => {
  const table: [headers: Record<string, string>, outcome: string][] = [
    [{}, 'ok'],
    [{ 'if-match': '"abc123"' }, 'ok'],
    [{ 'if-match': 'abc123' }, 'ok'],
    [{ 'if-match': '"zzz", "abc123"' }, 'ok'],
    [{ 'if-match': '*' }, 'ok'],
    [{ 'if-match': '"zzz"' }, 'precondition-failed'],
    [{ 'if-match': 'W/"abc123"' }, 'precondition-failed'],
    [{ 'if-unmodified-since': SAME }, 'ok'],
    [{ 'if-unmodified-since': AFTER }, 'ok'],
    [{ 'if-unmodified-since': BEFORE }, 'precondition-failed'],
    [{ 'if-unmodified-since': 'not a date' }, 'ok'],
    [{ 'if-none-match': '"abc123"' }, 'not-modified'],
    [{ 'if-none-match': 'W/"abc123"' }, 'not-modified'],
    [{ 'if-none-match': '*' }, 'not-modified'],
    [{ 'if-none-match': '"zzz"' }, 'ok'],
    [{ 'if-modified-since': SAME }, 'not-modified'],
    [{ 'if-modified-since': AFTER }, 'not-modified'],
    [{ 'if-modified-since': BEFORE }, 'ok'],
    [{ 'if-modified-since': 'garbage' }, 'ok'],
    // S3's documented pairs.
    [{ 'if-match': '"abc123"', 'if-unmodified-since': BEFORE }, 'ok'],
    [{ 'if-none-match': '"abc123"', 'if-modified-since': BEFORE }, 'not-modified'],
    // RFC 7232 precedence: a failed If-Match wins over If-None-Match; INM present ignores IMS.
    [{ 'if-match': '"zzz"', 'if-none-match': '"abc123"' }, 'precondition-failed'],
    [{ 'if-none-match': '"zzz"', 'if-modified-since': AFTER }, 'ok'],
    [{ 'if-unmodified-since': BEFORE, 'if-modified-since': BEFORE }, 'precondition-failed'],
  ];
  for (const [headers, outcome] of table) {
    it(`GIVEN ${JSON.stringify(headers)} WHEN evaluated THEN ${outcome}`, () => {
      assert.equal(evaluateConditions(headers, target), outcome);
    });
  }

  it('GIVEN a failure WHEN detailed THEN it names the header, and conditionError gives 412 or 304', () => {
    const failed = checkReadConditions({ 'if-unmodified-since': BEFORE }, target);
    assert.deepEqual(failed, { outcome: 'precondition-failed', condition: 'If-Unmodified-Since' });
    const err = conditionError(failed);
    assert.ok(err !== undefined);
    assert.equal(err.status, 412);
    assert.equal(err.fields.Condition, 'If-Unmodified-Since');
    assert.equal(conditionError(checkReadConditions({ 'if-none-match': '*' }, target))?.status, 304);
    assert.equal(conditionError({ outcome: 'ok' }), undefined);
  });

  it('GIVEN the header repeated (an array) WHEN evaluated THEN the values are one list', () => {
    assert.equal(evaluateConditions({ 'if-match': ['"zzz"', '"abc123"'] }, target), 'ok');
  });

  it('GIVEN the three HTTP-date forms WHEN parsed THEN they agree, in seconds', () => {
    const expected = Date.parse('1994-11-06T08:49:37Z') / 1000;
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), expected);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), expected);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), expected);
    assert.equal(parseHttpDate('nope'), undefined);
  });
});

describe('checkCopySourceConditions', () => {
  it('GIVEN no headers or passing ones WHEN checked THEN the copy goes ahead', () => {
    assert.doesNotThrow(() => checkCopySourceConditions({}, target));
    assert.doesNotThrow(() =>
      checkCopySourceConditions({ 'x-amz-copy-source-if-match': '"abc123"', 'x-amz-copy-source-if-unmodified-since': BEFORE }, target),
    );
  });

  for (const [headers, condition] of [
    [{ 'x-amz-copy-source-if-match': '"zzz"' }, 'x-amz-copy-source-If-Match'],
    [{ 'x-amz-copy-source-if-unmodified-since': BEFORE }, 'x-amz-copy-source-If-Unmodified-Since'],
    [{ 'x-amz-copy-source-if-none-match': '"abc123"' }, 'x-amz-copy-source-If-None-Match'],
    [{ 'x-amz-copy-source-if-modified-since': AFTER }, 'x-amz-copy-source-If-Modified-Since'],
    [{ 'x-amz-copy-source-if-none-match': '"abc123"', 'x-amz-copy-source-if-modified-since': BEFORE }, 'x-amz-copy-source-If-None-Match'],
  ] as const) {
    it(`GIVEN ${JSON.stringify(headers)} WHEN checked THEN 412 PreconditionFailed names ${condition}`, () => {
      assert.throws(() => checkCopySourceConditions(headers, target), s3Code('PreconditionFailed', { Condition: condition }));
    });
  }

  it('GIVEN plain If-Match on a copy WHEN checked THEN it does not apply to the source', () => {
    assert.doesNotThrow(() => checkCopySourceConditions({ 'if-match': '"zzz"' }, target));
  });
});

describe('checkWriteConditions', () => {
  it('GIVEN If-None-Match: * and no object WHEN written THEN it goes ahead', () => {
    assert.doesNotThrow(() => checkWriteConditions({ 'if-none-match': '*' }, undefined, 'k'));
  });

  it('GIVEN If-None-Match: * and an existing object WHEN written THEN 412 names If-None-Match', () => {
    assert.throws(() => checkWriteConditions({ 'if-none-match': '*' }, target, 'k'), s3Code('PreconditionFailed', { Condition: 'If-None-Match' }));
  });

  it('GIVEN If-None-Match with an ETag WHEN written THEN 501 NotImplemented, as S3 supports only *', () => {
    assert.throws(() => checkWriteConditions({ 'if-none-match': '"abc123"' }, undefined, 'k'), s3Code('NotImplemented', { Header: 'If-None-Match' }));
  });

  it('GIVEN If-Match with the current ETag WHEN written THEN it goes ahead; with another THEN 412', () => {
    assert.doesNotThrow(() => checkWriteConditions({ 'if-match': '"abc123"' }, target, 'k'));
    assert.throws(() => checkWriteConditions({ 'if-match': '"zzz"' }, target, 'k'), s3Code('PreconditionFailed', { Condition: 'If-Match' }));
  });

  it('GIVEN If-Match on a missing key WHEN written THEN 404 NoSuchKey, as S3 answers', () => {
    assert.throws(() => checkWriteConditions({ 'if-match': '"abc123"' }, undefined, 'the/key'), s3Code('NoSuchKey', { Key: 'the/key' }));
  });

  it('GIVEN no condition WHEN written THEN it goes ahead whatever exists', () => {
    assert.doesNotThrow(() => checkWriteConditions({}, target, 'k'));
    assert.doesNotThrow(() => checkWriteConditions({}, undefined, 'k'));
  });
});
