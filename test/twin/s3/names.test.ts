import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBucketName, checkObjectKey } from '../../../src/twin/s3/names.ts';
import { isS3Error } from '../../../src/twin/s3/s3-error.ts';
import { s3Code } from './s3-code.ts';


describe('checkBucketName', () => {
  const valid = ['abc', 'my-bucket', 'my.bucket.name', '1bucket', 'a'.repeat(63), 'bucket-1.2-x', '192.168.5.4x', 'xn-not-punycode'];
  for (const name of valid) {
    it(`GIVEN "${name}" WHEN checked THEN it is a valid bucket name`, () => {
      assert.doesNotThrow(() => checkBucketName(name));
    });
  }

  const invalid: [string, string][] = [
    ['ab', 'too short'],
    ['a'.repeat(64), 'too long'],
    ['My-Bucket', 'upper case'],
    ['my_bucket', 'underscore'],
    ['-bucket', 'starts with a hyphen'],
    ['bucket-', 'ends with a hyphen'],
    ['.bucket', 'starts with a dot'],
    ['bucket.', 'ends with a dot'],
    ['my..bucket', 'adjacent dots'],
    ['192.168.5.4', 'an IP address'],
    ['xn--bucket', 'the xn-- prefix'],
    ['sthree-bucket', 'the sthree- prefix'],
    ['amzn-s3-demo-bucket', 'the amzn-s3-demo- prefix'],
    ['bucket-s3alias', 'the -s3alias suffix'],
    ['bucket--ol-s3', 'the --ol-s3 suffix'],
    ['bucket.mrap', 'the .mrap suffix'],
    ['bucket--x-s3', 'the --x-s3 suffix'],
    ['bucket--table-s3', 'the --table-s3 suffix'],
    ['bu cket', 'a space'],
    ['bücket', 'a non-ASCII letter'],
  ];
  for (const [name, why] of invalid) {
    it(`GIVEN a name with ${why} WHEN checked THEN InvalidBucketName names it`, () => {
      assert.throws(() => checkBucketName(name), s3Code('InvalidBucketName', { BucketName: name }));
    });
  }

  it('GIVEN an invalid name WHEN checked THEN the status is 400 and the message starts as S3 words it', () => {
    try {
      checkBucketName('ab');
      assert.fail('expected a throw');
    } catch (e) {
      assert.ok(isS3Error(e));
      assert.equal(e.status, 400);
      assert.match(e.message, /^The specified bucket is not valid/);
      assert.match(e.message, /3 to 63/);
    }
  });
});

describe('checkObjectKey', () => {
  const legal = ['a', '../x', '/abs', 'a//b', 'dir/', ' spaced ', 'plus+sign', 'percent%2F', 'emoji 😀', 'ctrl\u0001char', 'x'.repeat(1024), 'é'.repeat(512)];
  for (const key of legal) {
    it(`GIVEN the key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 20)}…` : key)} WHEN checked THEN it is legal`, () => {
      assert.doesNotThrow(() => checkObjectKey(key));
    });
  }

  it('GIVEN 1025 ASCII bytes WHEN checked THEN KeyTooLongError gives the size and the limit', () => {
    assert.throws(() => checkObjectKey('x'.repeat(1025)), s3Code('KeyTooLongError', { Size: 1025, MaxSizeAllowed: 1024 }));
  });

  it('GIVEN 513 two-byte characters (1026 UTF-8 bytes) WHEN checked THEN the length counts bytes, not characters', () => {
    assert.throws(() => checkObjectKey('é'.repeat(513)), s3Code('KeyTooLongError', { Size: 1026 }));
  });

  it('GIVEN an empty key WHEN checked THEN InvalidArgument', () => {
    assert.throws(() => checkObjectKey(''), s3Code('InvalidArgument'));
  });

  for (const [key, why] of [
    ['a\uD800b', 'a lone high surrogate'],
    ['a\uDC00', 'a lone low surrogate'],
    ['\uDC00\uD800', 'surrogates in the wrong order'],
    ['a\0b', 'a NUL'],
  ] as const) {
    it(`GIVEN a key with ${why} WHEN checked THEN InvalidArgument names the key`, () => {
      assert.throws(() => checkObjectKey(key), s3Code('InvalidArgument', { ArgumentName: 'key' }));
    });
  }
});
