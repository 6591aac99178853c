/**
 * GIVEN the twin's S3 endpoint WHEN clients send hostile or broken requests — keys that try to
 * leave the data folder, bad and expired signatures, wrong checksums, truncated bodies, oversize
 * headers, impossible part numbers, and a few thousand random malformed requests — THEN each gets
 * S3's error code and status, nothing lands outside the storage folders, nothing half-written
 * becomes visible, and the store keeps serving.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { errorCode, sendRawBytes, sendSigned } from '../../helpers/s3-raw.ts';
import { startTestStorage, type TestStorage } from '../../helpers/storage.ts';

/** Every file under a folder, relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p, base) : [path.relative(base, p)];
  });
}

/** Files a store may create: its own folders only (objects, staging, quarantine, logs, secrets). */
function strayFiles(stateDir: string): string[] {
  return walk(stateDir).filter((f) => !/^storage\/(credentials\.json|node\.token|local-1[a-c]\.log|local-1[a-c]\/(node\.lock|journal\/\d{16}\.log|objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.(data|meta)|staging\/[0-9a-f]{32}(\.tmp)?|quarantine\/.*))$/.test(f));
}

async function exists(t: TestStorage, key: string): Promise<boolean> {
  try {
    await t.s3.send(new HeadObjectCommand({ Bucket: 'bad', Key: key }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

async function healthy(t: TestStorage): Promise<void> {
  const body = randomBytes(2048);
  await t.s3.send(new PutObjectCommand({ Bucket: 'bad', Key: 'health/check', Body: body }));
  const got = await t.s3.send(new GetObjectCommand({ Bucket: 'bad', Key: 'health/check' }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
}

describe('S3 endpoint under bad input', { timeout: 240_000 }, () => {
  let t: TestStorage;
  before(async () => {
    t = await startTestStorage({ buckets: [{ name: 'bad' }] });
  });
  after(async () => t?.close());

  it('stores path-traversal and odd keys as plain keys, never as paths', async () => {
    const keys = ['../../../../etc/passwd', '/abs/olute', '..', 'a/../../b', '%2e%2e/x', 'x/./y', 'é/ü/\u202Eevil', 'back\\slash\\..\\..', 'k'.repeat(1024)];
    for (const key of keys) {
      const body = Buffer.from(`content of ${key}`);
      await t.s3.send(new PutObjectCommand({ Bucket: 'bad', Key: key, Body: body }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'bad', Key: key }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body, key);
    }
    const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'bad' }));
    for (const key of keys) assert.ok(listed.Contents?.some((c) => c.Key === key), `${key} listed`);
    // Raw paths the SDK would never send: dot segments unencoded, a NUL, invalid UTF-8.
    for (const [raw, code] of [
      ['/bad/../../etc/passwd', undefined],
      ['/bad/a%00b', 'InvalidArgument'],
      ['/bad/bad%ED%A0%80utf8', 'InvalidArgument'],
      ['/bad/' + 'k'.repeat(1025), 'KeyTooLongError'],
    ] as const) {
      const r = await sendSigned(t, { method: 'PUT', path: raw, body: Buffer.from('x') });
      if (code === undefined) assert.ok(r.status === 200 || r.status === 400, `${raw}: ${r.status} ${r.body}`);
      else assert.equal(errorCode(r.body), code, `${raw}: ${r.status} ${r.body}`);
    }
    assert.deepEqual(strayFiles(t.stateDir), []);
  });

  it('refuses malformed, wrong and expired signatures with S3 codes', async () => {
    const unsigned = await sendRawBytes(t, Buffer.from('GET /bad HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), { halfClose: false });
    assert.equal(unsigned?.status, 403);
    assert.equal(errorCode(unsigned!.body), 'AccessDenied');

    const malformed = await sendSigned(t, { method: 'GET', path: '/bad' }, { headersOverride: { authorization: 'AWS4-HMAC-SHA256 Credential=garbage' } });
    assert.equal(malformed.status, 400);
    assert.equal(errorCode(malformed.body), 'AuthorizationHeaderMalformed');

    const wrong = await sendSigned(t, { method: 'GET', path: '/bad' }, { secret: 'x'.repeat(40) });
    assert.equal(wrong.status, 403);
    assert.equal(errorCode(wrong.body), 'SignatureDoesNotMatch');

    const skewed = await sendSigned(t, { method: 'GET', path: '/bad' }, { date: new Date(Date.now() - 3_600_000) });
    assert.equal(skewed.status, 403);
    assert.equal(errorCode(skewed.body), 'RequestTimeTooSkewed');

    const url = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: 'bad', Key: 'anything' }), { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code>[\s\S]*expired/);
  });

  it('refuses a wrong checksum, a wrong Content-MD5 and a truncated body, storing nothing', async () => {
    const body = randomBytes(4096);
    const badCrc = await sendSigned(t, { method: 'PUT', path: '/bad/crc', body, headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    assert.equal(badCrc.status, 400);
    assert.equal(errorCode(badCrc.body), 'BadDigest');
    assert.equal(await exists(t, 'crc'), false);

    const badMd5 = await sendSigned(t, { method: 'PUT', path: '/bad/md5', body, headers: { 'content-md5': createHash('md5').update('other').digest('base64') } });
    assert.equal(badMd5.status, 400);
    assert.equal(errorCode(badMd5.body), 'BadDigest');
    assert.equal(await exists(t, 'md5'), false);

    // Declares 4096 bytes, sends 1000, then stops sending.
    const signedFull = await sendSigned(t, { method: 'PUT', path: '/bad/truncated', body }, { bodyOverride: body.subarray(0, 1000), headersOverride: { 'content-length': '4096' } }).catch(() => undefined);
    if (signedFull !== undefined) assert.ok(signedFull.status >= 400, `truncated body answered ${signedFull.status}`);
    assert.equal(await exists(t, 'truncated'), false);
    await healthy(t);
  });

  it('answers an oversize header and an out-of-range part number with S3 codes', async () => {
    const big = await sendSigned(t, { method: 'GET', path: '/bad' }, { headersOverride: { 'x-amz-meta-huge': 'h'.repeat(20_000) } });
    assert.equal(big.status, 400);
    assert.equal(errorCode(big.body), 'RequestHeaderSectionTooLarge');
    for (const n of ['0', '10001', '-1', 'abc']) {
      const r = await sendSigned(t, { method: 'PUT', path: '/bad/mp', query: { partNumber: n, uploadId: 'whatever' }, body: Buffer.from('x') });
      assert.equal(r.status, 400, `partNumber ${n}: ${r.body}`);
      assert.equal(errorCode(r.body), 'InvalidArgument', `partNumber ${n}`);
    }
    await healthy(t);
  });

  it('survives a few thousand random malformed requests and keeps serving', async (ctx) => {
    const methods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'G\x00T', ''];
    const pieces = ['/', '/bad', '/bad/', '/bad/k', '/%', '/%zz', '/bad?uploads', '/bad/k?partNumber=1&uploadId=%ff', '/bad?delete', '/bad/k?versionId=../../x', '//', '/bad/\u00ff'];
    let answered = 0;
    const random = (n: number) => randomBytes(n).toString('latin1');
    const one = async (i: number): Promise<void> => {
      const method = methods[i % methods.length]!;
      const target = pieces[i % pieces.length]! + (i % 3 === 0 ? random(8).replace(/[\r\n ]/g, '') : '');
      const headers = [
        'host: 127.0.0.1',
        i % 5 === 0 ? `authorization: AWS4-HMAC-SHA256 Credential=${random(30).replace(/[\r\n]/g, '')}` : 'authorization: AWS4-HMAC-SHA256 Credential=AKIA/20260101/local-1/s3/aws4_request, SignedHeaders=host, Signature=00',
        i % 7 === 0 ? 'transfer-encoding: chunked' : `content-length: ${i % 11}`,
        i % 4 === 0 ? 'x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD' : 'x-amz-content-sha256: UNSIGNED-PAYLOAD',
        'connection: close',
      ];
      const head = i % 13 === 0 ? random(200) : `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
      const r = await sendRawBytes(t, Buffer.concat([Buffer.from(head, 'latin1'), randomBytes(i % 11)]), { timeoutMs: 15_000 });
      if (r !== undefined) {
        answered += 1;
        assert.ok(r.status >= 400 && r.status < 500, `request ${i} (${JSON.stringify(head.slice(0, 80))}) answered ${r.status}: ${r.body.slice(0, 200)}`);
      }
    };
    const total = 3000;
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < total; i = next++) await one(i);
    }));
    ctx.diagnostic(`${answered} of ${total} malformed requests answered with a 4xx; the rest closed by the parser`);
    assert.ok(answered > total * 0.9, `only ${answered} of ${total} malformed requests got an answer`);
    await healthy(t);
    assert.deepEqual(strayFiles(t.stateDir), []);
  });
});
