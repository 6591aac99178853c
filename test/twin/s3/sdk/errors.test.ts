/**
 * S3's errors as the AWS SDK surfaces them (code and HTTP status): missing keys, buckets, uploads
 * and versions; a wrong secret, an unknown access key, an unsigned request, an expired presigned
 * URL; a declared body above the size limit; a key above 1024 bytes. And virtual-host style
 * addressing (`<bucket>.localhost`).
 */
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { errorCode, sendSigned } from '../../../helpers/s3-raw.ts';
import { encodeKey } from '../auth/sign-helpers.ts';
import { rejectsWith } from './helpers.ts';

/** Resolves every name to 127.0.0.1, so `<bucket>.localhost` reaches the store whatever the system resolver does. */
const loopbackLookup: LookupFunction = (_host, options, callback) => {
  const cb = callback as unknown as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
  if ((options as { all?: boolean }).all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

describe('S3 errors and addressing through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'errors';
  const clients: S3Client[] = [];
  const agents: http.Agent[] = [];

  /** Another client on the same store, with some settings changed; destroyed after the tests. */
  const client = (over: Partial<S3ClientConfig> = {}): S3Client => {
    const c = new S3Client({
      endpoint: t.storage.endpoint,
      region: t.env.AWS_REGION!,
      credentials: t.storage.credentials,
      forcePathStyle: true,
      maxAttempts: 1,
      ...over,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    t = await startTestStorage();
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'present', Body: 'here' }));
  });

  after(async () => {
    for (const c of clients) c.destroy();
    for (const a of agents) a.destroy();
    await t?.close();
  });

  it('NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchVersion', async () => {
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'absent' })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await rejectsWith(t.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);
    await rejectsWith(t.s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })), 'NotFound', 404);
    await rejectsWith(t.s3.send(new DeleteObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await rejectsWith(t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'k', UploadId: 'no-such-upload' })), 'NoSuchUpload', 404);
    await rejectsWith(t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'k', UploadId: 'no-such-upload', PartNumber: 1, Body: 'x' })), 'NoSuchUpload', 404);
    // A version id the store could have issued, for a version that does not exist.
    await t.s3.send(new CreateBucketCommand({ Bucket: 'errors-versioned' }));
    await t.s3.send(new PutBucketVersioningCommand({ Bucket: 'errors-versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    const v = await t.s3.send(new PutObjectCommand({ Bucket: 'errors-versioned', Key: 'k', Body: 'x' }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: 'errors-versioned', Key: 'k', VersionId: v.VersionId }));
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: 'errors-versioned', Key: 'k', VersionId: v.VersionId })), 'NoSuchVersion', 404);
  });

  it('the error carries the request id the SDK reports', async () => {
    const err = await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'absent' })), 'NoSuchKey', 404);
    const meta = (err as unknown as { $metadata: { requestId?: string } }).$metadata;
    assert.match(meta.requestId ?? '', /^[0-9A-F]{16}$/);
  });

  it('SignatureDoesNotMatch for a wrong secret, InvalidAccessKeyId for an unknown key', async () => {
    const wrongSecret = client({ credentials: { accessKeyId: t.storage.credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) } });
    await rejectsWith(wrongSecret.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    await rejectsWith(wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'present' })), 'SignatureDoesNotMatch', 403);
    await rejectsWith(wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sneaky', Body: 'x' })), 'SignatureDoesNotMatch', 403);
    const unknownKey = client({ credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN22', secretAccessKey: t.storage.credentials.secretAccessKey } });
    await rejectsWith(unknownKey.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sneaky' })), 'NoSuchKey', 404);
  });

  it('AccessDenied for an unsigned request', async () => {
    const res = await fetch(`${t.storage.endpoint}/${BUCKET}/present`);
    assert.equal(res.status, 403);
    assert.equal(errorCode(await res.text()), 'AccessDenied');
    const put = await fetch(`${t.storage.endpoint}/${BUCKET}/anonymous`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 403);
    assert.equal(errorCode(await put.text()), 'AccessDenied');
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'anonymous' })), 'NoSuchKey', 404);
  });

  it('AccessDenied for an expired presigned URL', async () => {
    const url = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'present' }), { expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60_000) });
    const res = await fetch(url);
    assert.equal(res.status, 403);
    const body = await res.text();
    assert.equal(errorCode(body), 'AccessDenied');
    assert.match(body, /expired/);
    const fresh = await fetch(await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'present' }), { expiresIn: 60 }));
    assert.equal(fresh.status, 200);
    assert.equal(await fresh.text(), 'here');
  });

  it('EntityTooLarge for a declared body above 5 GiB, answered before any byte is sent', async () => {
    const res = await sendSigned(t, { method: 'PUT', path: `/${BUCKET}/huge` }, { headersOverride: { 'content-length': String(5 * 1024 ** 3 + 1) } });
    assert.equal(res.status, 400);
    assert.equal(errorCode(res.body), 'EntityTooLarge');
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'huge' })), 'NoSuchKey', 404);
  });

  it('KeyTooLongError for a key above 1024 bytes', async () => {
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    // 1024 bytes of UTF-8 is fine, whatever the character count.
    const key = 'é'.repeat(512);
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'longest' }));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(await got.Body!.transformToString(), 'longest');
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${key}x`, Body: 'x' })), 'KeyTooLongError', 400);
  });

  it('MethodNotAllowed for a method the resource does not take', async () => {
    const res = await sendSigned(t, { method: 'PATCH', path: `/${BUCKET}/${encodeKey('present')}` });
    assert.equal(res.status, 405);
    assert.equal(errorCode(res.body), 'MethodNotAllowed');
  });

  describe('virtual-host style (<bucket>.localhost)', () => {
    const port = () => new URL(t.storage.endpoint).port;

    const exercise = async (s3: S3Client) => {
      await s3.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file name.txt', Body: 'virtual' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file name.txt' }));
      assert.equal(await got.Body!.transformToString(), 'virtual');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'vhost-bucket' }));
      assert.deepEqual(listed.Contents?.map((c) => c.Key), ['dir/file name.txt']);
      // The same object, path style.
      const pathStyle = await t.s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file name.txt' }));
      assert.equal(await pathStyle.Body!.transformToString(), 'virtual');
      await s3.send(new DeleteObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file name.txt' }));
      await rejectsWith(s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file name.txt' })), 'NoSuchKey', 404);
    };

    it('serves requests addressed to <bucket>.localhost, the name resolved to loopback by the client', async () => {
      const agent = new http.Agent({ keepAlive: true, lookup: loopbackLookup });
      agents.push(agent);
      const s3 = client({ endpoint: `http://localhost:${port()}`, forcePathStyle: false, requestHandler: { httpAgent: agent } });
      await exercise(s3);
    });

    it('works with the system resolver, where *.localhost resolves', async (ctx) => {
      const resolves = await dns.lookup('vhost-bucket.localhost').then(
        () => true,
        () => false,
      );
      if (!resolves) {
        ctx.skip('this machine does not resolve *.localhost names (covered above with a loopback resolver)');
        return;
      }
      await t.s3.send(new CreateBucketCommand({ Bucket: 'vhost-system' })).catch(() => undefined);
      const s3 = client({ endpoint: `http://localhost:${port()}`, forcePathStyle: false });
      await s3.send(new PutObjectCommand({ Bucket: 'vhost-system', Key: 'k', Body: 'system' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'vhost-system', Key: 'k' }));
      assert.equal(await got.Body!.transformToString(), 'system');
    });
  });
});
