import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { checksumHeader } from '../../../../src/twin/s3/checksums.ts';
import { openPayload } from '../../../../src/twin/s3/auth/payload.ts';
import { verifyRequest } from '../../../../src/twin/s3/auth/verify.ts';
import { isS3Error } from '../../../../src/twin/s3/s3-error.ts';
import { ACCESS_KEY, encodeKey, lookup, REGION, SECRET, signer } from './sign-helpers.ts';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A minimal S3 stand-in for the AWS SDK to talk to: authenticates every request, stores PUT
 * bodies in memory and serves them back on GET. Records the x-amz-content-sha256 of each PUT.
 */
function miniS3() {
  const objects = new Map<string, Buffer>();
  const payloadModes: string[] = [];
  const server = http.createServer(async (req, res) => {
    try {
      const auth = verifyRequest({ method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders, now: Date.now() }, lookup, {
        region: REGION,
      });
      const key = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      if (req.method === 'PUT') {
        payloadModes.push(String(req.headers['x-amz-content-sha256']));
        const { body, result } = openPayload(req, auth, { maxBytes: 64 * 1024 * 1024 });
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        const r = await result;
        objects.set(key, Buffer.concat(chunks));
        const etag = `"${Buffer.from(r.md5Base64, 'base64').toString('hex')}"`;
        res.writeHead(200, { etag, ...(r.checksum ? { [checksumHeader(r.checksum.algorithm)]: r.checksum.value } : {}) });
        res.end();
        return;
      }
      const data = objects.get(key);
      if (data === undefined) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
        return;
      }
      res.writeHead(200, { 'content-length': data.length, etag: `"${createHash('md5').update(data).digest('hex')}"` });
      res.end(data);
    } catch (e) {
      const err = isS3Error(e) ? e : undefined;
      const fields = Object.entries(err?.fields ?? {})
        .map(([k, v]) => `<${k}>${xml(String(v))}</${k}>`)
        .join('');
      res.writeHead(err?.status ?? 500, { 'content-type': 'application/xml', connection: 'close' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${err?.code ?? 'InternalError'}</Code><Message>${xml(String((e as Error).message))}</Message>${fields}</Error>`,
      );
    }
  });
  return { server, objects, payloadModes };
}

describe('the AWS SDK v3 against verifyRequest and openPayload', () => {
  const s3 = miniS3();
  let endpoint = '';
  const clients: S3Client[] = [];
  const client = (over: { secret?: string; region?: string } = {}) => {
    const c = new S3Client({
      region: over.region ?? REGION,
      endpoint,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: over.secret ?? SECRET },
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    await new Promise<void>((resolve) => s3.server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(s3.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const c of clients) c.destroy();
    s3.server.closeAllConnections();
    await new Promise<void>((resolve) => s3.server.close(() => resolve()));
  });

  it('puts and gets objects with odd keys (signed payload, CRC32 header)', async () => {
    const c = client();
    for (const key of ['plain.txt', 'with space+plus=eq~tilde%pct.txt', 'ünï/cødé ✓', 'double//slash/../dots', "bang!quote'(star)*"]) {
      const body = `content of ${key}`;
      const put = await c.send(new PutObjectCommand({ Bucket: 'bucket', Key: key, Body: body }));
      assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`, key);
      assert.ok(put.ChecksumCRC32, 'the SDK sent its default CRC32 and it was verified');
      const got = await c.send(new GetObjectCommand({ Bucket: 'bucket', Key: key }));
      assert.equal(await got.Body?.transformToString(), body, key);
    }
  });

  it('puts a streamed body as aws-chunked with a checksum trailer', async () => {
    const c = client();
    const data = Buffer.alloc(300_000, 'x');
    const before = s3.payloadModes.length;
    const put = await c.send(
      new PutObjectCommand({ Bucket: 'bucket', Key: 'streamed', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }),
    );
    assert.ok(put.ETag);
    assert.ok(put.ChecksumCRC32, 'the CRC32 trailer arrived and was verified');
    assert.deepEqual(s3.objects.get('/bucket/streamed'), data);
    assert.deepEqual(s3.payloadModes.slice(before), ['STREAMING-UNSIGNED-PAYLOAD-TRAILER']);
  });

  it('puts with a SHA-256 checksum the client asked for', async () => {
    const put = await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'sha', Body: Buffer.from('checksummed'), ChecksumAlgorithm: 'SHA256' }));
    assert.equal(put.ChecksumSHA256, createHash('sha256').update('checksummed').digest('base64'));
  });

  it('surfaces S3 error codes to the SDK', async () => {
    await assert.rejects(client({ secret: 'wrong' }).send(new GetObjectCommand({ Bucket: 'bucket', Key: 'plain.txt' })), { name: 'SignatureDoesNotMatch' });
    await assert.rejects(client({ region: 'eu-west-1' }).send(new GetObjectCommand({ Bucket: 'bucket', Key: 'plain.txt' })), {
      name: 'AuthorizationHeaderMalformed',
    });
  });

  it('serves a presigned GET URL, and refuses it once the path is changed', async () => {
    const url = new URL(endpoint);
    const presigned = await signer().presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: `/bucket/${encodeKey('plain.txt')}`,
        query: {},
        // As the SDK's S3 presigner does: presigned payloads are UNSIGNED-PAYLOAD.
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      } as never,
      { expiresIn: 300 },
    );
    const q = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const res = await fetch(`${endpoint}${presigned.path}?${q}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'content of plain.txt');
    const tampered = await fetch(`${endpoint}/bucket/other?${q}`);
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});
