import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  formatAmzDate,
  parseAmzDate,
  percentDecode,
  signingKey,
  splitUrl,
  uriEncode,
} from '../../../../src/twin/s3/auth/canonical.ts';

describe('SigV4 canonical pieces', () => {
  it('derives the signing key of the AWS documentation example', () => {
    const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    assert.equal(key.toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
    // Cached: the same key object comes back for the same day, region, service and secret.
    assert.equal(signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam'), key);
    assert.notEqual(signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120216', 'us-east-1', 'iam').toString('hex'), key.toString('hex'));
  });

  it('encodes paths once, keeps slashes, never normalises', () => {
    assert.equal(canonicalUri(''), '/');
    assert.equal(canonicalUri('/bucket/plain-key_1.txt~'), '/bucket/plain-key_1.txt~');
    assert.equal(canonicalUri('/bucket/a%20b'), '/bucket/a%20b');
    assert.equal(canonicalUri('/bucket/a b'), '/bucket/a%20b');
    assert.equal(canonicalUri('/bucket/a+b=c'), '/bucket/a%2Bb%3Dc');
    assert.equal(canonicalUri('/bucket/a%2Bb'), '/bucket/a%2Bb');
    assert.equal(canonicalUri('/bucket/%7e%7E'), '/bucket/~~');
    assert.equal(canonicalUri('/bucket/100%25'), '/bucket/100%25');
    assert.equal(canonicalUri('/bucket/50%'), '/bucket/50%25', 'a stray % is a literal %');
    assert.equal(canonicalUri('/bucket/%2541'), '/bucket/%2541', 'decoded once only');
    assert.equal(canonicalUri('/bucket//a/../b/./c'), '/bucket//a/../b/./c');
    assert.equal(canonicalUri('/bucket/%C3%BC%E2%9C%93'), '/bucket/%C3%BC%E2%9C%93');
    assert.equal(canonicalUri('/bucket/ü'), '/bucket/%C3%BC');
    assert.equal(canonicalUri('/bucket/%c3%bc'), '/bucket/%C3%BC', 'hex digits come out upper-case');
    assert.equal(canonicalUri('/bucket/a%2Fb'), '/bucket/a/b', 'an encoded slash is a slash once decoded');
    assert.equal(canonicalUri('/bucket/%FF%FE'), '/bucket/%FF%FE', 'bytes need not be UTF-8');
  });

  it('percent-decodes to bytes and re-encodes byte by byte', () => {
    assert.deepEqual([...percentDecode('%FFa%2')], [0xff, 0x61, 0x25, 0x32]);
    assert.equal(uriEncode(Buffer.from('a/b c'), false), 'a%2Fb%20c');
    assert.equal(uriEncode(Buffer.from('a/b c'), true), 'a/b%20c');
  });

  it('sorts the query by encoded name then value, keeps empty values, drops the signature', () => {
    assert.equal(canonicalQuery(''), '');
    assert.equal(canonicalQuery('uploads'), 'uploads=');
    assert.equal(canonicalQuery('b=2&a=1&c'), 'a=1&b=2&c=');
    assert.equal(canonicalQuery('k=b&k=a&k='), 'k=&k=a&k=b');
    assert.equal(canonicalQuery('prefix=a b&delimiter=/'), 'delimiter=%2F&prefix=a%20b');
    assert.equal(canonicalQuery('prefix=a+b'), 'prefix=a%2Bb', '+ is a plus, not a space');
    assert.equal(canonicalQuery('prefix=%7e&x=%2f'), 'prefix=~&x=%2F');
    assert.equal(canonicalQuery('a%20b=1&a-b=2&A=3'), 'A=3&a%20b=1&a-b=2');
    assert.equal(canonicalQuery('X-Amz-Signature=abc&X-Amz-Date=1', 'X-Amz-Signature'), 'X-Amz-Date=1');
    assert.equal(canonicalQuery('a=1&&b=2&'), 'a=1&b=2');
  });

  it('canonicalises headers: lower-case names, trimmed values, whitespace runs collapsed, repeats joined with commas', () => {
    const headers = { host: 'example.com', 'x-amz-meta-a': '  one   two\tthree  ', 'x-amz-meta-b': ['x', ' y  z '] };
    assert.equal(
      canonicalHeaders(['host', 'X-Amz-Meta-A', 'x-amz-meta-b', 'x-amz-missing'], headers),
      'host:example.com\nx-amz-meta-a:one two three\nx-amz-meta-b:x,y z\nx-amz-missing:\n',
    );
    const raw = ['Host', 'example.com', 'X-Amz-Meta-C', ' 1 ', 'x-amz-meta-c', '2  3'];
    assert.equal(canonicalHeaders(['host', 'x-amz-meta-c'], { host: 'example.com', 'x-amz-meta-c': ' 1 , 2  3' }, raw), 'host:example.com\nx-amz-meta-c:1,2 3\n');
  });

  it('splits request targets, absolute ones included', () => {
    assert.deepEqual(splitUrl('/b/k?x=1&y'), { path: '/b/k', query: 'x=1&y' });
    assert.deepEqual(splitUrl('/b/k'), { path: '/b/k', query: '' });
    assert.deepEqual(splitUrl('http://127.0.0.1:9000/b/k?x'), { path: '/b/k', query: 'x' });
  });

  it('parses and formats x-amz-date', () => {
    assert.equal(parseAmzDate('20130524T000000Z'), Date.UTC(2013, 4, 24));
    assert.equal(formatAmzDate(Date.UTC(2013, 4, 24, 1, 2, 3)), '20130524T010203Z');
    for (const bad of ['20130524', '2013-05-24T00:00:00Z', '20130231T000000Z', '20130524T250000Z', '20130524T000000']) {
      assert.equal(parseAmzDate(bad), undefined, bad);
    }
  });
});
