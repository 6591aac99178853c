import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { checksumOf } from '../../../../src/twin/s3/checksums.ts';
import { signingKey } from '../../../../src/twin/s3/auth/canonical.ts';
import { headerChecksum, openPayload, planPayload, type PayloadOptions, type PayloadResult } from '../../../../src/twin/s3/auth/payload.ts';
import type { AuthResult, PayloadMode } from '../../../../src/twin/s3/auth/verify.ts';
import { isS3Error, type S3Error } from '../../../../src/twin/s3/s3-error.ts';
import { SECRET, signedChunkedBody, unsignedChunkedBody } from './sign-helpers.ts';

const SIGNING = {
  signingKey: signingKey(SECRET, '20250115', 'us-east-1', 's3'),
  amzDate: '20250115T120000Z',
  scope: '20250115/us-east-1/s3/aws4_request',
  seedSignature: 'a'.repeat(64),
};

function auth(payload: PayloadMode): AuthResult {
  return { accessKeyId: 'AK', via: 'header', payload, ...SIGNING };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/** A request-like readable: the body in pieces, with headers and a method. */
function request(body: Buffer, headers: IncomingHttpHeaders, method = 'PUT', pieceSize = 1000) {
  const parts: Buffer[] = [];
  for (let off = 0; off < body.length; off += pieceSize) parts.push(body.subarray(off, off + pieceSize));
  return Object.assign(Readable.from(parts), { headers, method });
}

/** Reads `body` to the end and awaits `result`; returns both outcomes. */
async function run(req: ReturnType<typeof request>, a: AuthResult, opts: PayloadOptions = { maxBytes: 1 << 30 }) {
  const { body, result } = openPayload(req, a, opts);
  const chunks: Buffer[] = [];
  const piped = pipeline(
    body,
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  const [bodyError, outcome] = await Promise.all([piped, result.then((r) => ({ r }), (e: unknown) => ({ e }))]);
  return { data: Buffer.concat(chunks), bodyError, ...(outcome as { r?: PayloadResult; e?: unknown }) };
}

/** Asserts the run failed with `code`, the same error on `result` and on `body`. */
function failedWith(out: Awaited<ReturnType<typeof run>>, code: string): S3Error {
  assert.ok(isS3Error(out.e), `expected an S3Error, got ${String(out.e)} (result ${JSON.stringify(out.r)})`);
  assert.equal(out.e.code, code, out.e.message);
  assert.equal(out.bodyError, out.e, 'body is destroyed with the same error');
  return out.e;
}

const DATA = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(500));

describe('openPayload: plain bodies', () => {
  it('passes the bytes through with size and MD5, checking the signed SHA-256', async () => {
    const out = await run(request(DATA, { 'content-length': String(DATA.length) }), auth({ type: 'sha256', hex: sha256(DATA) }));
    assert.equal(out.e, undefined);
    assert.deepEqual(out.data, DATA);
    assert.deepEqual(out.r, { size: DATA.length, md5Base64: md5(DATA) });
  });

  it('refuses a body whose SHA-256 differs from x-amz-content-sha256', async () => {
    const out = await run(request(DATA, { 'content-length': String(DATA.length) }), auth({ type: 'sha256', hex: sha256(Buffer.from('other')) }));
    const e = failedWith(out, 'XAmzContentSHA256Mismatch');
    assert.equal(e.fields.S3ComputedContentSHA256, sha256(DATA));
  });

  it('checks Content-MD5: malformed is InvalidDigest, different is BadDigest', async () => {
    const h = { 'content-length': String(DATA.length) };
    const good = await run(request(DATA, { ...h, 'content-md5': md5(DATA) }), auth({ type: 'unsigned' }));
    assert.equal(good.r?.md5Base64, md5(DATA));
    failedWith(await run(request(DATA, { ...h, 'content-md5': 'not-base64!' }), auth({ type: 'unsigned' })), 'InvalidDigest');
    failedWith(await run(request(DATA, { ...h, 'content-md5': Buffer.alloc(8).toString('base64') }), auth({ type: 'unsigned' })), 'InvalidDigest');
    const bad = failedWith(await run(request(DATA, { ...h, 'content-md5': md5(Buffer.from('x')) }), auth({ type: 'unsigned' })), 'BadDigest');
    assert.equal(bad.status, 400);
  });

  it('checks an x-amz-checksum-* header of every algorithm', async () => {
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const value = checksumOf(algorithm, DATA);
      const h = { 'content-length': String(DATA.length), [name]: value, 'x-amz-sdk-checksum-algorithm': algorithm };
      const out = await run(request(DATA, h), auth({ type: 'unsigned' }));
      assert.deepEqual(out.r?.checksum, { algorithm, value }, algorithm);
      const wrong = checksumOf(algorithm, Buffer.from('different'));
      const e = failedWith(await run(request(DATA, { ...h, [name]: wrong }), auth({ type: 'unsigned' })), 'BadDigest');
      assert.equal(e.message, `The ${algorithm} you specified did not match the calculated checksum.`);
    }
  });

  it('refuses malformed, unknown, conflicting or missing checksum headers before reading', async () => {
    const h = { 'content-length': String(DATA.length) };
    const cases: Array<[IncomingHttpHeaders, RegExp]> = [
      [{ ...h, 'x-amz-checksum-crc32': 'AAAA' }, /x-amz-checksum-crc32/],
      [{ ...h, 'x-amz-checksum-crc32': 'AAAAAAAA' }, /x-amz-checksum-crc32/],
      [{ ...h, 'x-amz-checksum-md4': 'AAAAAA==' }, /x-amz-checksum-md4/],
      [{ ...h, 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-crc32c': 'AAAAAA==' }, /single x-amz-checksum- header/],
      [{ ...h, 'x-amz-sdk-checksum-algorithm': 'CRC32' }, /no corresponding x-amz-checksum-\*/],
      [{ ...h, 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-checksum-sha1': checksumOf('SHA1', DATA) }, /x-amz-sdk-checksum-algorithm/],
      [{ ...h, 'x-amz-sdk-checksum-algorithm': 'BLAKE3' }, /x-amz-sdk-checksum-algorithm/],
      [{ ...h, 'x-amz-trailer': 'x-amz-checksum-crc32' }, /aws-chunked/],
    ];
    for (const [headers, message] of cases) {
      const req = request(DATA, headers);
      const e = failedWith(await run(req, auth({ type: 'unsigned' })), 'InvalidRequest');
      assert.match(e.message, message);
    }
    // Headers that only look like checksums are left alone.
    const out = await run(
      request(DATA, { ...h, 'x-amz-checksum-type': 'FULL_OBJECT', 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-mode': 'ENABLED' }),
      auth({ type: 'unsigned' }),
    );
    assert.equal(out.e, undefined);
    // And all of them are ignored on request, e.g. for CompleteMultipartUpload.
    const ignored = await run(request(DATA, { ...h, 'x-amz-checksum-crc32': 'AAAAAA==' }), auth({ type: 'unsigned' }), { maxBytes: 1 << 30, ignoreChecksumHeaders: true });
    assert.equal(ignored.e, undefined);
    assert.equal(ignored.r?.checksum, undefined);
  });

  it('needs Content-Length on PUT, and refuses more than maxBytes before reading', async () => {
    const missing = request(DATA, {});
    const e = failedWith(await run(missing, auth({ type: 'unsigned' })), 'MissingContentLength');
    assert.equal(e.status, 411);
    const big = request(DATA, { 'content-length': String(DATA.length) });
    const { body, result } = openPayload(big, auth({ type: 'unsigned' }), { maxBytes: 100 });
    await assert.rejects(result, (err: unknown) => isS3Error(err) && err.code === 'EntityTooLarge' && err.fields.MaxSizeAllowed === 100);
    assert.ok(body.destroyed);
    assert.equal(big.readableFlowing, null, 'the request was never read');
    assert.equal(big.listenerCount('data'), 0);
  });

  it('refuses a body without length that grows past maxBytes', async () => {
    const out = await run(request(DATA, {}, 'POST'), auth({ type: 'unsigned' }), { maxBytes: 5000 });
    failedWith(out, 'EntityTooLarge');
  });

  it('reports a body shorter than Content-Length as IncompleteBody', async () => {
    const out = await run(request(DATA.subarray(0, 100), { 'content-length': String(DATA.length) }), auth({ type: 'unsigned' }));
    failedWith(out, 'IncompleteBody');
    const aborted = Object.assign(new PassThrough(), { headers: { 'content-length': '1000' } as IncomingHttpHeaders, method: 'PUT' });
    const { result } = openPayload(aborted, auth({ type: 'unsigned' }), { maxBytes: 1 << 20 });
    aborted.write(Buffer.alloc(10));
    aborted.destroy(new Error('socket hang up'));
    await assert.rejects(result, (err: unknown) => isS3Error(err) && err.code === 'IncompleteBody');
  });

  it('computes a checksum on request when the client sent none', async () => {
    const out = await run(request(DATA, { 'content-length': String(DATA.length) }), auth({ type: 'unsigned' }), { maxBytes: 1 << 30, computeChecksum: 'CRC64NVME' });
    assert.deepEqual(out.r?.checksum, { algorithm: 'CRC64NVME', value: checksumOf('CRC64NVME', DATA) });
  });

  it('rejects result when the consumer gives up on body', async () => {
    const req = request(DATA, { 'content-length': String(DATA.length) }, 'PUT', 100);
    const { body, result } = openPayload(req, auth({ type: 'unsigned' }), { maxBytes: 1 << 30 });
    body.once('data', () => body.destroy(new Error('disk full')));
    await assert.rejects(result, /disk full/);
  });
});

describe('openPayload: aws-chunked bodies', () => {
  const streaming = (signed: boolean, trailer: boolean) => auth({ type: 'streaming', signed, trailer });

  it('decodes unsigned chunks and checks the checksum trailer', async () => {
    const value = checksumOf('CRC32', DATA);
    const body = unsignedChunkedBody(DATA, 4096, [['x-amz-checksum-crc32', value]]);
    const h = {
      'content-encoding': 'aws-chunked',
      'content-length': String(body.length),
      'x-amz-decoded-content-length': String(DATA.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-sdk-checksum-algorithm': 'CRC32',
    };
    const out = await run(request(body, h), streaming(false, true));
    assert.equal(out.e, undefined);
    assert.deepEqual(out.data, DATA);
    assert.deepEqual(out.r, { size: DATA.length, md5Base64: md5(DATA), checksum: { algorithm: 'CRC32', value } });

    const wrong = unsignedChunkedBody(DATA, 4096, [['x-amz-checksum-crc32', checksumOf('CRC32', Buffer.from('x'))]]);
    const e = failedWith(await run(request(wrong, h), streaming(false, true)), 'BadDigest');
    assert.equal(e.message, 'The CRC32 you specified did not match the calculated checksum.');
    const short = unsignedChunkedBody(DATA, 4096, [['x-amz-checksum-crc32', 'AAA=']]);
    failedWith(await run(request(short, h), streaming(false, true)), 'InvalidRequest');
    const none = unsignedChunkedBody(DATA, 4096, []);
    failedWith(await run(request(none, h), streaming(false, true)), 'IncompleteBody');
  });

  it('decodes signed chunks with a signed SHA-256 trailer', async () => {
    const value = checksumOf('SHA256', DATA);
    const body = signedChunkedBody(DATA, 8192, SIGNING, [['x-amz-checksum-sha256', value]]);
    const h = { 'x-amz-decoded-content-length': String(DATA.length), 'x-amz-trailer': 'x-amz-checksum-sha256' };
    const out = await run(request(body, h, 'PUT', 777), streaming(true, true));
    assert.equal(out.e, undefined);
    assert.deepEqual(out.data, DATA);
    assert.deepEqual(out.r?.checksum, { algorithm: 'SHA256', value });

    const tampered = Buffer.from(body);
    tampered[200] = tampered[200]! ^ 1;
    failedWith(await run(request(tampered, h), streaming(true, true)), 'SignatureDoesNotMatch');
  });

  it('decodes signed chunks with the checksum in a header, and Content-MD5', async () => {
    const body = signedChunkedBody(DATA, 10000, SIGNING);
    const h = { 'x-amz-decoded-content-length': String(DATA.length), 'x-amz-checksum-crc32c': checksumOf('CRC32C', DATA), 'content-md5': md5(DATA) };
    const out = await run(request(body, h), streaming(true, false));
    assert.equal(out.e, undefined);
    assert.equal(out.r?.checksum?.algorithm, 'CRC32C');
    failedWith(await run(request(body, { ...h, 'content-md5': md5(Buffer.from('x')) }), streaming(true, false)), 'BadDigest');
  });

  it('needs x-amz-decoded-content-length within maxBytes, and as many bytes as it says', async () => {
    const body = signedChunkedBody(DATA, 10000, SIGNING);
    failedWith(await run(request(body, {}), streaming(true, false)), 'MissingContentLength');
    failedWith(await run(request(body, { 'x-amz-decoded-content-length': String(DATA.length) }), streaming(true, false), { maxBytes: 1000 }), 'EntityTooLarge');
    failedWith(await run(request(body, { 'x-amz-decoded-content-length': String(DATA.length + 1) }), streaming(true, false)), 'IncompleteBody');
    failedWith(await run(request(body.subarray(0, 5000), { 'x-amz-decoded-content-length': String(DATA.length) }), streaming(true, false)), 'IncompleteBody');
    failedWith(
      await run(request(body, { 'x-amz-decoded-content-length': String(DATA.length), 'x-amz-trailer': 'x-amz-meta-foo' }), streaming(true, true)),
      'InvalidRequest',
    );
    failedWith(
      await run(request(body, { 'x-amz-decoded-content-length': String(DATA.length), 'x-amz-trailer': 'x-amz-checksum-crc32' }), streaming(true, false)),
      'InvalidRequest',
    );
  });
});

describe('planPayload and headerChecksum', () => {
  it('decides the checks from the headers alone', () => {
    const plan = planPayload(
      { 'content-length': '10', 'content-md5': md5(Buffer.from('x')), 'x-amz-checksum-sha1': checksumOf('SHA1', Buffer.from('x')) },
      'PUT',
      auth({ type: 'sha256', hex: 'b'.repeat(64) }),
      { maxBytes: 100 },
    );
    assert.deepEqual(plan.framing, { type: 'plain', length: 10 });
    assert.equal(plan.sha256Hex, 'b'.repeat(64));
    assert.equal(plan.checksum?.source, 'header');
    assert.deepEqual(headerChecksum({ 'x-amz-trailer': 'X-Amz-Checksum-CRC32C' }), { algorithm: 'CRC32C', source: 'trailer', name: 'x-amz-checksum-crc32c' });
    assert.equal(headerChecksum({}), undefined);
  });
});
