import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { signingKey } from '../../../../src/twin/s3/auth/canonical.ts';
import { AwsChunkedDecoder, type AwsChunkedOptions, type ChunkSigning } from '../../../../src/twin/s3/auth/chunked.ts';
import { isS3Error } from '../../../../src/twin/s3/s3-error.ts';
import { SECRET, signedChunkedBody, unsignedChunkedBody } from './sign-helpers.ts';

/** The AWS documentation's chunked upload example: seed signature of its PUT, as of 20130524T000000Z. */
const DOC_SIGNING: ChunkSigning = {
  signingKey: signingKey(SECRET, '20130524', 'us-east-1', 's3'),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
};

/** The documented body: 66560 bytes of 'a' in a 64 KiB chunk, a 1 KiB chunk and the final one. */
function documentedBody(): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

/** Splits a buffer into pieces of pseudo-random sizes, so that every boundary case gets hit. */
function pieces(body: Buffer, max = 97, seed = 7): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let off = 0; off < body.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % max);
    out.push(body.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function decode(body: Buffer | Buffer[], options: AwsChunkedOptions): Promise<{ data: Buffer; decoder: AwsChunkedDecoder }> {
  const decoder = new AwsChunkedDecoder(options);
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(Array.isArray(body) ? body : [body]),
    decoder,
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
  );
  return { data: Buffer.concat(chunks), decoder };
}

async function decodeFails(body: Buffer | Buffer[], options: AwsChunkedOptions, code: string): Promise<Error> {
  try {
    await decode(body, options);
  } catch (e) {
    assert.ok(isS3Error(e), `expected an S3Error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const signedOpts = (decodedLength: number, extra: Partial<AwsChunkedOptions> = {}): AwsChunkedOptions => ({
  decodedLength,
  signing: DOC_SIGNING,
  trailer: false,
  ...extra,
});

describe('AwsChunkedDecoder', () => {
  it('decodes the AWS documentation example, verifying its chunk signatures (known answer)', async () => {
    const body = documentedBody();
    assert.equal(body.length, 66824, 'the Content-Length the documentation gives');
    const { data, decoder } = await decode(body, signedOpts(66560));
    assert.deepEqual(data, Buffer.alloc(66560, 'a'));
    assert.equal(decoder.decodedBytes, 66560);
    // The test helper builds the very same bytes.
    assert.deepEqual(signedChunkedBody(Buffer.alloc(66560, 'a'), 65536, DOC_SIGNING), body);
  });

  it('decodes whatever way the body is split into reads', async () => {
    for (const max of [1, 2, 3, 89, 4096]) {
      const { data } = await decode(pieces(documentedBody(), max), signedOpts(66560));
      assert.equal(data.length, 66560);
    }
  });

  it('refuses a chunk whose data or signature was changed', async () => {
    const body = documentedBody();
    body[100] = 'b'.charCodeAt(0);
    const e = await decodeFails(body, signedOpts(66560), 'SignatureDoesNotMatch');
    assert.match(e.message, /chunk 1/);
    const sig = Buffer.from(documentedBody().toString('latin1').replace('0055627c', '0055627d'), 'latin1');
    await decodeFails(sig, signedOpts(66560), 'SignatureDoesNotMatch');
    const otherSeed = { ...DOC_SIGNING, seedSignature: '0'.repeat(64) };
    await decodeFails(documentedBody(), { ...signedOpts(66560), signing: otherSeed }, 'SignatureDoesNotMatch');
  });

  it('verifies a signed trailer and exposes the trailers', async () => {
    const data = Buffer.alloc(20000, 'z');
    const trailers: Array<[string, string]> = [['x-amz-checksum-crc32', 'AAAAAA==']];
    const body = signedChunkedBody(data, 8192, DOC_SIGNING, trailers);
    const opts = signedOpts(data.length, { trailer: true, declaredTrailers: ['x-amz-checksum-crc32'] });
    const { data: out, decoder } = await decode(pieces(body, 500), opts);
    assert.deepEqual(out, data);
    assert.deepEqual([...decoder.trailers], [['x-amz-checksum-crc32', 'AAAAAA==']]);

    const tampered = Buffer.from(body.toString('latin1').replace('x-amz-checksum-crc32:AAAAAA==', 'x-amz-checksum-crc32:AAAAAB=='), 'latin1');
    await decodeFails(tampered, opts, 'SignatureDoesNotMatch');
    const unsignedTrailer = Buffer.from(body.toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, ''), 'latin1');
    await decodeFails(unsignedTrailer, opts, 'InvalidRequest');
  });

  it('decodes unsigned chunks with trailers, as the SDK sends them', async () => {
    const data = Buffer.from('hello, unsigned world: '.repeat(100));
    const body = unsignedChunkedBody(data, 100, [['x-amz-checksum-sha256', 'abc=']]);
    const opts: AwsChunkedOptions = { decodedLength: data.length, trailer: true, declaredTrailers: ['x-amz-checksum-sha256'] };
    const { data: out, decoder } = await decode(pieces(body, 13), opts);
    assert.deepEqual(out, data);
    assert.equal(decoder.trailers.get('x-amz-checksum-sha256'), 'abc=');
    // Small chunks are fine when unsigned; chunk extensions are ignored.
    const withExt = Buffer.from(body.toString('latin1').replace('64\r\n', '64;ext=1\r\n'), 'latin1');
    await decode(withExt, opts);
  });

  it('requires every declared trailer', async () => {
    const data = Buffer.from('x');
    const body = unsignedChunkedBody(data, 100, []);
    const e = await decodeFails(body, { decodedLength: 1, trailer: true, declaredTrailers: ['x-amz-checksum-crc32c'] }, 'IncompleteBody');
    assert.match(e.message, /x-amz-checksum-crc32c/);
  });

  it('holds the decoded length to x-amz-decoded-content-length, either way', async () => {
    const body = documentedBody();
    await decodeFails(body, signedOpts(70000), 'IncompleteBody');
    await decodeFails(body, signedOpts(66559), 'InvalidRequest');
  });

  it('reports a body cut short as IncompleteBody, wherever it stops', async () => {
    const body = documentedBody();
    for (const cut of [0, 10, 87, 5000, 65625, 65627, body.length - 3]) {
      await decodeFails(body.subarray(0, cut), signedOpts(66560), 'IncompleteBody');
    }
  });

  it('refuses malformed framing', async () => {
    const data = Buffer.from('abc');
    const ok = unsignedChunkedBody(data, 3, []);
    const opts: AwsChunkedOptions = { decodedLength: 3, trailer: true };
    await decode(ok, opts);
    const cases = [
      ok.toString('latin1').replace('3\r\n', 'x3\r\n'),
      ok.toString('latin1').replace('3\r\n', '3\n'),
      ok.toString('latin1').replace('abc\r\n', 'abcXY'),
      `${ok.toString('latin1')}junk\r\n`,
      ok.toString('latin1').replace('0\r\n', '0\r\nno-colon-line\r\n'),
    ];
    for (const c of cases) await decodeFails(Buffer.from(c, 'latin1'), opts, 'InvalidRequest');
    // Signed chunks need their signature.
    await decodeFails(Buffer.from('3\r\nabc\r\n0\r\n\r\n'), signedOpts(3), 'InvalidRequest');
    // Signed without trailer: nothing may follow the final chunk.
    const signed = signedChunkedBody(Buffer.alloc(10, 'q'), 10, DOC_SIGNING);
    await decode(signed, signedOpts(10));
    await decodeFails(Buffer.concat([signed, Buffer.from('more')]), signedOpts(10), 'InvalidRequest');
  });

  it('refuses signed chunks under 8 KiB but for the last', async () => {
    const body = signedChunkedBody(Buffer.alloc(10000, 'q'), 4096, DOC_SIGNING);
    const e = await decodeFails(body, signedOpts(10000), 'InvalidChunkSizeError');
    assert.equal((e as unknown as { fields: Record<string, unknown> }).fields.BadChunkSize, 4096);
    await decode(signedChunkedBody(Buffer.alloc(10000, 'q'), 8192, DOC_SIGNING), signedOpts(10000));
  });

  it('caps chunk-size lines and the trailer section instead of buffering them', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024, '1'));
      },
    });
    const decoder = new AwsChunkedDecoder({ decodedLength: 10, trailer: true });
    const e = await pipeline(endless, decoder, new Writable({ write: (_c, _e, cb) => cb() })).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(isS3Error(e) && e.code === 'InvalidRequest', String(e));
    assert.ok(produced < 64 * 1024, `read ${produced} bytes before refusing`);

    const hugeTrailer = Buffer.from(`1\r\nx\r\n0\r\nx-amz-meta-a:${'v'.repeat(20000)}\r\n\r\n`);
    const t = await decodeFails(hugeTrailer, { decodedLength: 1, trailer: true }, 'InvalidRequest');
    assert.match(t.message, /16384/);
  });

  it('streams a 64 MiB signed body with flat memory', async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 64 * 1024 * 1024;
    const payload = Buffer.alloc(CHUNK, 'm');
    const chunkHash = createHash('sha256').update(payload).digest('hex');
    // Build the body lazily: one signed chunk header at a time, the data buffer reused.
    const { chunkStringToSign, hmacHex, EMPTY_SHA256 } = await import('../../../../src/twin/s3/auth/canonical.ts');
    async function* body(): AsyncGenerator<Buffer> {
      let prev = DOC_SIGNING.seedSignature;
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        prev = hmacHex(DOC_SIGNING.signingKey, chunkStringToSign(DOC_SIGNING.amzDate, DOC_SIGNING.scope, prev, chunkHash));
        yield Buffer.from(`${CHUNK.toString(16)};chunk-signature=${prev}\r\n`);
        yield payload;
        yield Buffer.from('\r\n');
      }
      prev = hmacHex(DOC_SIGNING.signingKey, chunkStringToSign(DOC_SIGNING.amzDate, DOC_SIGNING.scope, prev, EMPTY_SHA256));
      yield Buffer.from(`0;chunk-signature=${prev}\r\n\r\n`);
    }
    global.gc?.();
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = used();
    let peak = baseline;
    let seen = 0;
    const started = Date.now();
    await pipeline(
      Readable.from(body()),
      new AwsChunkedDecoder(signedOpts(TOTAL)),
      new Writable({
        write(c: Buffer, _e, cb) {
          seen += c.length;
          if ((seen & 0xfffff) === 0) peak = Math.max(peak, used());
          cb();
        },
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    assert.equal(seen, TOTAL);
    const growth = peak - baseline;
    assert.ok(growth < 32 * 1024 * 1024, `memory grew by ${(growth / 1048576).toFixed(1)} MiB while decoding 64 MiB`);
    assert.ok(seconds < 60, `took ${seconds}s`);
  });
});
