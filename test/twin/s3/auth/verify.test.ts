import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalRequest, hmacHex, signingKey, stringToSign } from '../../../../src/twin/s3/auth/canonical.ts';
import { verifyRequest, type VerifyInput } from '../../../../src/twin/s3/auth/verify.ts';
import { isS3Error, type S3Error } from '../../../../src/twin/s3/s3-error.ts';
import { ACCESS_KEY, encodeKey, lookup, presignedInput, REGION, SECRET, signedInput, signer } from './sign-helpers.ts';

const opts = { region: REGION };
const DOC_NOW = Date.UTC(2013, 4, 24);
const NOW = new Date(Date.UTC(2025, 0, 15, 12, 0, 0));

/** Asserts `fn` throws an S3Error with this code (and status), and returns it. */
function s3Throws(fn: () => unknown, code: string): S3Error {
  try {
    fn();
  } catch (e) {
    assert.ok(isS3Error(e), `expected an S3Error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

const ODD_KEYS = [
  'plain.txt',
  'with space.txt',
  'ünïcødé/ファイル ✓.bin',
  'plus+and=equals&amp',
  'tilde~percent%25%literal',
  'double//slash',
  'dots/../and/./more',
  '..',
  "bang!quote'paren()star*",
  'semi;colon:comma,at@dollar$',
  'trailing/',
];

describe('verifyRequest: AWS documentation examples', () => {
  it('accepts the GET Object example (header auth, range header)', () => {
    const r = verifyRequest(
      {
        method: 'GET',
        rawUrl: '/test.txt',
        now: DOC_NOW,
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          range: 'bytes=0-9',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          'x-amz-date': '20130524T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
        },
      },
      lookup,
      opts,
    );
    assert.equal(r.accessKeyId, ACCESS_KEY);
    assert.equal(r.via, 'header');
    assert.deepEqual(r.payload, { type: 'sha256', hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    assert.equal(r.scope, '20130524/us-east-1/s3/aws4_request');
    assert.equal(r.amzDate, '20130524T000000Z');
    assert.deepEqual(r.signingKey, signingKey(SECRET, '20130524', 'us-east-1', 's3'));
  });

  it('accepts the presigned URL example', () => {
    const r = verifyRequest(
      {
        method: 'GET',
        rawUrl:
          '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
        now: DOC_NOW + 3600_000,
        headers: { host: 'examplebucket.s3.amazonaws.com' },
      },
      lookup,
      opts,
    );
    assert.equal(r.via, 'presigned');
    assert.deepEqual(r.payload, { type: 'unsigned' });
  });

  it('accepts the chunked upload example and returns its seed signature', () => {
    const r = verifyRequest(
      {
        method: 'PUT',
        rawUrl: '/examplebucket/chunkObject.txt',
        now: DOC_NOW,
        headers: {
          host: 's3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '66560',
          'content-length': '66824',
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
        },
      },
      lookup,
      opts,
    );
    assert.deepEqual(r.payload, { type: 'streaming', signed: true, trailer: false });
    assert.equal(r.seedSignature, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
  });
});

describe('verifyRequest: requests signed by the AWS SDK signer', () => {
  it('accepts odd keys and query values, header-signed', async () => {
    for (const key of ODD_KEYS) {
      const input = await signedInput(
        {
          method: 'PUT',
          path: `/bucket/${encodeKey(key)}`,
          query: { 'x-id': 'PutObject', prefix: 'a b+c/d~e%f', 'ü key': 'ü', uploads: '' },
          headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-note': '  spaced   out  ', 'content-type': 'text/plain' },
        },
        NOW,
      );
      const r = verifyRequest(input, lookup, opts);
      assert.equal(r.accessKeyId, ACCESS_KEY, key);
      assert.deepEqual(r.payload, { type: 'unsigned' });
    }
  });

  it('accepts odd keys presigned, and refuses a presigned URL whose path was changed', async () => {
    for (const key of ODD_KEYS) {
      const input = await presignedInput({ method: 'GET', path: `/bucket/${encodeKey(key)}`, query: { 'response-content-type': 'a/b c' } }, NOW);
      const r = verifyRequest(input, lookup, opts);
      assert.equal(r.via, 'presigned', key);
      assert.deepEqual(r.payload, { type: 'unsigned' });
    }
    const input = await presignedInput({ method: 'GET', path: '/bucket/a' }, NOW);
    s3Throws(() => verifyRequest({ ...input, rawUrl: input.rawUrl.replace('/bucket/a', '/bucket/b') }, lookup, opts), 'SignatureDoesNotMatch');
  });

  it('reads every x-amz-content-sha256 form into the payload mode', async () => {
    const body = 'hello world';
    const withBody = await signedInput({ method: 'PUT', path: '/bucket/k', body }, NOW);
    assert.deepEqual(verifyRequest(withBody, lookup, opts).payload, {
      type: 'sha256',
      hex: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
    });
    const modes = {
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { type: 'streaming', signed: true, trailer: false },
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { type: 'streaming', signed: true, trailer: true },
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { type: 'streaming', signed: false, trailer: true },
    };
    for (const [value, mode] of Object.entries(modes)) {
      const input = await signedInput({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': value } }, NOW);
      const r = verifyRequest(input, lookup, opts);
      assert.deepEqual(r.payload, mode);
      assert.match(r.seedSignature, /^[0-9a-f]{64}$/);
    }
  });

  it('accepts a request within the clock skew and canonicalises repeated headers from rawHeaders', async () => {
    const input = await signedInput({ method: 'GET', path: '/bucket/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-m': 'a,b' } }, NOW);
    verifyRequest({ ...input, now: NOW.getTime() + 14 * 60_000 }, lookup, opts);
    verifyRequest({ ...input, now: NOW.getTime() - 14 * 60_000 }, lookup, opts);
    const rawHeaders = Object.entries(input.headers).flatMap(([k, v]) => (k === 'x-amz-meta-m' ? [k, ' a ', k, 'b'] : [k, String(v)]));
    verifyRequest({ ...input, headers: { ...input.headers, 'x-amz-meta-m': ' a , b' }, rawHeaders }, lookup, opts);
  });
});

describe('verifyRequest: a Date header instead of x-amz-date', () => {
  it('signs with the Date header turned into the ISO 8601 basic form', () => {
    const date = 'Wed, 15 Jan 2025 12:00:00 GMT';
    const headers = { host: 'h', date, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const canonical = canonicalRequest({ method: 'GET', path: '/b/k', query: '', headers, signedHeaders: 'date;host;x-amz-content-sha256', payloadHash: 'UNSIGNED-PAYLOAD' });
    const key = signingKey(SECRET, '20250115', REGION, 's3');
    const signature = hmacHex(key, stringToSign('20250115T120000Z', '20250115/us-east-1/s3/aws4_request', canonical));
    const authorization = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20250115/us-east-1/s3/aws4_request, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`;
    const r = verifyRequest({ method: 'GET', rawUrl: '/b/k', headers: { ...headers, authorization }, now: NOW.getTime() }, lookup, opts);
    assert.equal(r.amzDate, '20250115T120000Z');
  });
});

describe('verifyRequest: refusals, as S3 words them', () => {
  const base = async (): Promise<VerifyInput> =>
    signedInput({ method: 'GET', path: '/bucket/key', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, NOW);

  it('refuses anonymous requests', () => {
    const e = s3Throws(() => verifyRequest({ method: 'GET', rawUrl: '/bucket/key', headers: { host: 'x' }, now: NOW.getTime() }, lookup, opts), 'AccessDenied');
    assert.equal(e.status, 403);
  });

  it('refuses Signature Version 2, in the header or the query', () => {
    const header = s3Throws(
      () => verifyRequest({ method: 'GET', rawUrl: '/b/k', headers: { host: 'x', authorization: 'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=' }, now: 0 }, lookup, opts),
      'InvalidRequest',
    );
    assert.match(header.message, /Please use AWS4-HMAC-SHA256/);
    const query = s3Throws(
      () => verifyRequest({ method: 'GET', rawUrl: '/b/k?AWSAccessKeyId=AK&Expires=1&Signature=abc', headers: { host: 'x' }, now: 0 }, lookup, opts),
      'InvalidRequest',
    );
    assert.match(query.message, /AWS4-HMAC-SHA256/);
  });

  it('refuses two mechanisms at once and unknown authorization types', async () => {
    const input = await base();
    s3Throws(() => verifyRequest({ ...input, rawUrl: `${input.rawUrl}?X-Amz-Algorithm=AWS4-HMAC-SHA256` }, lookup, opts), 'InvalidArgument');
    const e = s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, authorization: 'Bearer token' } }, lookup, opts), 'InvalidArgument');
    assert.equal(e.fields.ArgumentName, 'Authorization');
  });

  it('refuses malformed authorization headers', async () => {
    const input = await base();
    const auth = String(input.headers.authorization);
    const variants = [
      auth.replace(/, Signature=[0-9a-f]+/, ''),
      auth.replace(/SignedHeaders=[^,]+, /, ''),
      auth.replace(/Credential=[^,]+/, 'Credential=AKIAIOSFODNN7EXAMPLE/20250115'),
      auth.replace('/s3/', '/ec2/'),
      auth.replace('/aws4_request', '/aws5_request'),
      auth.replace(/Credential=[^,]+/, `Credential=${ACCESS_KEY}/2025011/us-east-1/s3/aws4_request`),
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 garbage',
    ];
    for (const authorization of variants) {
      const e = s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, authorization } }, lookup, opts), 'AuthorizationHeaderMalformed');
      assert.equal(e.status, 400);
      assert.match(e.message, /^The authorization header is malformed; /);
    }
  });

  it('names the expected region when the scope has another', async () => {
    const input = await signedInput({ method: 'GET', path: '/bucket/key', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, NOW, signer({ region: 'eu-west-1' }));
    const e = s3Throws(() => verifyRequest(input, lookup, opts), 'AuthorizationHeaderMalformed');
    assert.equal(e.message, "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'");
    assert.equal(e.fields.Region, 'us-east-1');
  });

  it('refuses a credential date other than the request date', async () => {
    const input = await base();
    const e = s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, 'x-amz-date': '20250116T120000Z' } }, lookup, opts), 'AuthorizationHeaderMalformed');
    assert.match(e.message, /Date is not the same as X-Amz-Date/);
  });

  it('needs x-amz-content-sha256 with a known value, and a request date', async () => {
    const input = await base();
    const { 'x-amz-content-sha256': _, ...noSha } = input.headers;
    const missing = s3Throws(() => verifyRequest({ ...input, headers: noSha }, lookup, opts), 'InvalidRequest');
    assert.equal(missing.message, 'Missing required header for this request: x-amz-content-sha256');
    const bad = s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, 'x-amz-content-sha256': 'abc' } }, lookup, opts), 'InvalidArgument');
    assert.equal(bad.fields.ArgumentName, 'x-amz-content-sha256');
    const { 'x-amz-date': __, ...noDate } = input.headers;
    const date = s3Throws(() => verifyRequest({ ...input, headers: noDate }, lookup, opts), 'AccessDenied');
    assert.match(date.message, /valid Date or x-amz-date/);
    s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, 'x-amz-date': '2025-01-15T12:00:00Z' } }, lookup, opts), 'AccessDenied');
  });

  it('needs host among the signed headers', async () => {
    const input = await base();
    const authorization = String(input.headers.authorization).replace('SignedHeaders=host;', 'SignedHeaders=');
    const e = s3Throws(() => verifyRequest({ ...input, headers: { ...input.headers, authorization } }, lookup, opts), 'AuthorizationHeaderMalformed');
    assert.match(e.message, /host/);
  });

  it('refuses unknown access keys', async () => {
    const input = await signedInput({ method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, NOW, signer({ accessKeyId: 'AKIDUNKNOWN' }));
    const e = s3Throws(() => verifyRequest(input, lookup, opts), 'InvalidAccessKeyId');
    assert.equal(e.status, 403);
    assert.equal(e.fields.AWSAccessKeyId, 'AKIDUNKNOWN');
  });

  it('refuses a request time more than 15 minutes off, either way', async () => {
    const input = await base();
    for (const delta of [16 * 60_000, -16 * 60_000]) {
      const e = s3Throws(() => verifyRequest({ ...input, now: NOW.getTime() + delta }, lookup, opts), 'RequestTimeTooSkewed');
      assert.equal(e.status, 403);
      assert.equal(e.fields.RequestTime, '20250115T120000Z');
      assert.equal(e.fields.MaxAllowedSkewMilliseconds, 900000);
      assert.match(String(e.fields.ServerTime), /^2025-01-15T12:(16|44):00Z$|^2025-01-15T11:44:00Z$/);
    }
    s3Throws(() => verifyRequest({ ...input, now: NOW.getTime() + 61_000 }, lookup, { ...opts, maxSkewMs: 60_000 }), 'RequestTimeTooSkewed');
  });

  it('refuses a wrong secret with the strings S3 shows, never the secret', async () => {
    const input = await signedInput({ method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, NOW, signer({ secret: 'not-the-secret' }));
    const e = s3Throws(() => verifyRequest(input, lookup, opts), 'SignatureDoesNotMatch');
    assert.equal(e.status, 403);
    assert.equal(e.fields.AWSAccessKeyId, ACCESS_KEY);
    assert.match(String(e.fields.StringToSign), /^AWS4-HMAC-SHA256\n20250115T120000Z\n20250115\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    assert.match(String(e.fields.CanonicalRequest), /^GET\n\/b\/k\n\nhost:127.0.0.1:9000\n/);
    assert.match(String(e.fields.StringToSignBytes), /^41 57 53 34 /);
    assert.ok(!JSON.stringify(e.fields).includes(SECRET));
    assert.ok(!e.message.includes(SECRET));
  });

  it('refuses requests changed after signing', async () => {
    const input = await signedInput(
      { method: 'PUT', path: '/b/k', query: { 'x-id': 'PutObject' }, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-a': '1' } },
      NOW,
    );
    verifyRequest(input, lookup, opts);
    const changes: Array<Partial<VerifyInput>> = [
      { method: 'POST' },
      { rawUrl: input.rawUrl.replace('/b/k', '/b/K') },
      { rawUrl: `${input.rawUrl}&extra=1` },
      { headers: { ...input.headers, 'x-amz-meta-a': '2' } },
      { headers: { ...input.headers, host: 'elsewhere:9000' } },
      { headers: { ...input.headers, 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' } },
    ];
    for (const change of changes) s3Throws(() => verifyRequest({ ...input, ...change }, lookup, opts), 'SignatureDoesNotMatch');
  });
});

describe('verifyRequest: presigned refusals', () => {
  it('refuses an expired URL with S3 wording and fields', async () => {
    const input = await presignedInput({ method: 'GET', path: '/b/k' }, NOW, 60);
    verifyRequest({ ...input, now: NOW.getTime() + 59_000 }, lookup, opts);
    const e = s3Throws(() => verifyRequest({ ...input, now: NOW.getTime() + 61_000 }, lookup, opts), 'AccessDenied');
    assert.equal(e.message, 'Request has expired');
    assert.equal(e.fields['X-Amz-Expires'], '60');
    assert.equal(e.fields.Expires, '2025-01-15T12:01:00Z');
    assert.equal(e.fields.ServerTime, '2025-01-15T12:01:01Z');
  });

  it('refuses a URL dated beyond the allowed skew in the future', async () => {
    const input = await presignedInput({ method: 'GET', path: '/b/k' }, NOW, 3600);
    verifyRequest({ ...input, now: NOW.getTime() - 10 * 60_000 }, lookup, opts);
    const e = s3Throws(() => verifyRequest({ ...input, now: NOW.getTime() - 20 * 60_000 }, lookup, opts), 'AccessDenied');
    assert.equal(e.message, 'Request is not valid yet');
  });

  it('refuses missing parameters, bad expiry, a foreign region and a wrong signature', async () => {
    const input = await presignedInput({ method: 'GET', path: '/b/k' }, NOW, 3600);
    const edit = (fn: (q: URLSearchParams) => void): VerifyInput => {
      const [path, query] = input.rawUrl.split('?') as [string, string];
      const q = new URLSearchParams(query);
      fn(q);
      return { ...input, rawUrl: `${path}?${q.toString()}` };
    };
    for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Algorithm']) {
      s3Throws(() => verifyRequest(edit((q) => q.delete(name)), lookup, opts), 'AuthorizationQueryParametersError');
    }
    for (const expires of ['0', '604801', 'soon', '-5']) {
      s3Throws(() => verifyRequest(edit((q) => q.set('X-Amz-Expires', expires)), lookup, opts), 'AuthorizationQueryParametersError');
    }
    s3Throws(() => verifyRequest(edit((q) => q.set('X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256')), lookup, opts), 'AuthorizationQueryParametersError');
    s3Throws(() => verifyRequest(edit((q) => q.set('X-Amz-SignedHeaders', 'x-amz-date')), lookup, opts), 'AuthorizationQueryParametersError');
    const region = s3Throws(
      () => verifyRequest(edit((q) => q.set('X-Amz-Credential', `${ACCESS_KEY}/20250115/eu-west-1/s3/aws4_request`)), lookup, opts),
      'AuthorizationQueryParametersError',
    );
    assert.equal(region.fields.Region, 'us-east-1');
    assert.match(region.message, /the region 'eu-west-1' is wrong; expecting 'us-east-1'/);
    s3Throws(() => verifyRequest(edit((q) => q.set('X-Amz-Expires', '3599')), lookup, opts), 'SignatureDoesNotMatch');
    s3Throws(() => verifyRequest(edit((q) => q.set('X-Amz-Signature', '0'.repeat(64))), lookup, opts), 'SignatureDoesNotMatch');
    const other = await presignedInput({ method: 'GET', path: '/b/k' }, NOW, 3600, signer({ accessKeyId: 'AKIDOTHER' }));
    s3Throws(() => verifyRequest(other, lookup, opts), 'InvalidAccessKeyId');
  });
});
