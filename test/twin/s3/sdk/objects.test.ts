/**
 * Buckets and single objects through the AWS SDK: bucket life cycle, PutObject/GetObject with
 * ranges and conditional headers, HeadObject, DeleteObject(s), CopyObject, metadata and Content-*
 * round trips, response-* overrides and presigned URLs used with fetch.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { bodyBytes, bytesAt, md5Hex, rejectsWith } from './helpers.ts';

describe('S3 buckets and objects through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'objects';
  const OTHER = 'objects-other';
  const data = bytesAt(1, 0, 100_000);

  before(async () => {
    t = await startTestStorage();
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await t.s3.send(new CreateBucketCommand({ Bucket: OTHER }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'data.bin', Body: data }));
  });

  after(async () => {
    await t?.close();
  });

  describe('buckets', () => {
    it('creates, lists, heads and deletes a bucket', async () => {
      const created = await t.s3.send(new CreateBucketCommand({ Bucket: 'life-cycle' }));
      assert.equal(created.Location, '/life-cycle');
      const listed = await t.s3.send(new ListBucketsCommand({}));
      assert.ok(listed.Buckets?.some((b) => b.Name === 'life-cycle' && b.CreationDate instanceof Date));
      assert.ok(listed.Owner?.ID);
      const head = await t.s3.send(new HeadBucketCommand({ Bucket: 'life-cycle' }));
      assert.equal(head.$metadata.httpStatusCode, 200);
      assert.equal(head.BucketRegion, t.env.AWS_REGION);
      await t.s3.send(new DeleteBucketCommand({ Bucket: 'life-cycle' }));
      const after = await t.s3.send(new ListBucketsCommand({}));
      assert.ok(!after.Buckets?.some((b) => b.Name === 'life-cycle'));
      await rejectsWith(t.s3.send(new HeadBucketCommand({ Bucket: 'life-cycle' })), 'NotFound', 404);
    });

    it('lists buckets in name order', async () => {
      const listed = await t.s3.send(new ListBucketsCommand({}));
      const names = (listed.Buckets ?? []).map((b) => b.Name!);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes(BUCKET) && names.includes(OTHER));
    });

    it('answers BucketAlreadyOwnedByYou for a second create', async () => {
      await rejectsWith(t.s3.send(new CreateBucketCommand({ Bucket: BUCKET })), 'BucketAlreadyOwnedByYou', 409);
    });

    it('reports its region, and refuses a bucket for another region (IllegalLocationConstraintException)', async () => {
      const loc = await t.s3.send(new GetBucketLocationCommand({ Bucket: BUCKET }));
      assert.equal(loc.LocationConstraint, t.env.AWS_REGION);
      await rejectsWith(
        t.s3.send(new CreateBucketCommand({ Bucket: 'elsewhere', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
        'IllegalLocationConstraintException',
        400,
      );
      await rejectsWith(t.s3.send(new HeadBucketCommand({ Bucket: 'elsewhere' })), 'NotFound', 404);
    });

    it('refuses invalid bucket names with InvalidBucketName', async () => {
      for (const name of ['ab', 'UpperCase', 'under_score', '-leading', 'a..b', '192.168.0.1', 'x'.repeat(64)]) {
        await rejectsWith(t.s3.send(new CreateBucketCommand({ Bucket: name })), 'InvalidBucketName', 400);
      }
    });

    it('refuses to delete a bucket that holds an object (BucketNotEmpty), and a missing one (NoSuchBucket)', async () => {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'not-empty' }));
      await t.s3.send(new PutObjectCommand({ Bucket: 'not-empty', Key: 'k', Body: 'x' }));
      await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' })), 'BucketNotEmpty', 409);
      await t.s3.send(new DeleteObjectCommand({ Bucket: 'not-empty', Key: 'k' }));
      await t.s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' }));
      await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'not-empty' })), 'NoSuchBucket', 404);
      await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'never-was' })), 'NoSuchBucket', 404);
    });

    it('a versioned bucket with only a delete marker is still not empty', async () => {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'marker-only' }));
      await t.s3.send(new PutBucketVersioningCommand({ Bucket: 'marker-only', VersioningConfiguration: { Status: 'Enabled' } }));
      await t.s3.send(new DeleteObjectCommand({ Bucket: 'marker-only', Key: 'gone' }));
      await rejectsWith(t.s3.send(new DeleteBucketCommand({ Bucket: 'marker-only' })), 'BucketNotEmpty', 409);
    });
  });

  describe('put and get', () => {
    it('round-trips the bytes with an MD5 ETag', async () => {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin' }));
      assert.equal(got.ETag, `"${md5Hex(data)}"`);
      assert.equal(got.ContentLength, data.length);
      assert.equal(got.AcceptRanges, 'bytes');
      assert.ok(got.LastModified instanceof Date);
      assert.deepEqual(await bodyBytes(got.Body), data);
    });

    it('stores an empty object', async () => {
      const put = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'empty', Body: '' }));
      assert.equal(put.ETag, `"${md5Hex('')}"`);
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'empty' }));
      assert.equal(got.ContentLength, 0);
      assert.equal((await bodyBytes(got.Body)).length, 0);
    });

    it('overwrites an object: the last write wins', async () => {
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'first' }));
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'second' }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'over' }));
      assert.equal(await got.Body!.transformToString(), 'second');
    });

    it('serves byte ranges with 206 and Content-Range', async () => {
      const cases: [string, number, number][] = [
        ['bytes=0-0', 0, 0],
        ['bytes=10-19', 10, 19],
        ['bytes=99990-', 99_990, 99_999],
        ['bytes=99990-200000', 99_990, 99_999],
        ['bytes=-25', 99_975, 99_999],
        ['bytes=-200000', 0, 99_999],
      ];
      for (const [range, start, end] of cases) {
        const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin', Range: range }));
        assert.equal(got.$metadata.httpStatusCode, 206, range);
        assert.equal(got.ContentRange, `bytes ${start}-${end}/${data.length}`, range);
        assert.equal(got.ContentLength, end - start + 1, range);
        assert.deepEqual(await bodyBytes(got.Body), data.subarray(start, end + 1), range);
      }
    });

    it('answers InvalidRange (416) for a range beyond the end', async () => {
      await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin', Range: 'bytes=100000-' })), 'InvalidRange', 416);
      await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'empty', Range: 'bytes=0-0' })), 'InvalidRange', 416);
    });

    it('ignores a syntactically invalid range and sends the whole object', async () => {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin', Range: 'bytes=20-10' }));
      assert.equal(got.$metadata.httpStatusCode, 200);
      assert.equal(got.ContentLength, data.length);
      await got.Body!.transformToByteArray();
    });

    it('evaluates If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data.bin' }));
      const etag = head.ETag!;
      const modified = head.LastModified!;
      const before = new Date(modified.getTime() - 60_000);
      // Last-Modified itself: "not modified since then" holds, and no date lies in the future.
      const later = modified;
      const get = (extra: Record<string, unknown>) => t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin', ...extra }));

      const ok = await get({ IfMatch: etag });
      assert.equal(ok.$metadata.httpStatusCode, 200);
      await ok.Body!.transformToByteArray();
      await rejectsWith(get({ IfMatch: '"0123456789abcdef0123456789abcdef"' }), 'PreconditionFailed', 412);
      await rejectsWith(get({ IfNoneMatch: etag }), undefined, 304);
      const other = await get({ IfNoneMatch: '"0123456789abcdef0123456789abcdef"' });
      assert.equal(other.$metadata.httpStatusCode, 200);
      await other.Body!.transformToByteArray();
      await rejectsWith(get({ IfModifiedSince: later }), undefined, 304);
      const since = await get({ IfModifiedSince: before });
      assert.equal(since.$metadata.httpStatusCode, 200);
      await since.Body!.transformToByteArray();
      await rejectsWith(get({ IfUnmodifiedSince: before }), 'PreconditionFailed', 412);
      const unmod = await get({ IfUnmodifiedSince: later });
      assert.equal(unmod.$metadata.httpStatusCode, 200);
      await unmod.Body!.transformToByteArray();
      // S3's documented precedence: If-Match true wins over If-Unmodified-Since false …
      const both = await get({ IfMatch: etag, IfUnmodifiedSince: before });
      assert.equal(both.$metadata.httpStatusCode, 200);
      await both.Body!.transformToByteArray();
      // … and If-None-Match false with If-Modified-Since true is 304.
      await rejectsWith(get({ IfNoneMatch: etag, IfModifiedSince: before }), undefined, 304);
      // A condition and a range together: the range applies when the condition holds.
      const ranged = await get({ IfMatch: etag, Range: 'bytes=5-9' });
      assert.equal(ranged.$metadata.httpStatusCode, 206);
      assert.deepEqual(await bodyBytes(ranged.Body), data.subarray(5, 10));
      await rejectsWith(get({ IfMatch: '"nope"', Range: 'bytes=5-9' }), 'PreconditionFailed', 412);
    });

    it('heads an object with its headers and conditions, without a body', async () => {
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data.bin' }));
      assert.equal(head.ContentLength, data.length);
      assert.equal(head.ETag, `"${md5Hex(data)}"`);
      assert.equal(head.ContentType, 'application/octet-stream');
      const ranged = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data.bin', Range: 'bytes=0-9' }));
      assert.equal(ranged.ContentLength, 10);
      assert.equal(ranged.$metadata.httpStatusCode, 206);
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data.bin', IfNoneMatch: head.ETag })), undefined, 304);
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data.bin', IfMatch: '"x"' })), undefined, 412);
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing' })), 'NotFound', 404);
    });

    it('writes conditionally: If-None-Match * only where no object is, If-Match only over that ETag', async () => {
      const first = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-write', Body: 'first', IfNoneMatch: '*' }));
      await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-write', Body: 'second', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
      await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-write', Body: 'second', IfMatch: `"${md5Hex('other')}"` })), 'PreconditionFailed', 412);
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-write', Body: 'third', IfMatch: first.ETag }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-write' }));
      assert.equal(await got.Body!.transformToString(), 'third');
      await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-missing', Body: 'x', IfMatch: first.ETag })), 'NoSuchKey', 404);
    });

    it('lets exactly one of racing If-None-Match * writes to a new key succeed', async () => {
      const racers = ['a', 'b', 'c', 'd', 'e', 'f'].map((body) =>
        t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond-race', Body: `racer ${body}`, IfNoneMatch: '*' })).then(
          () => 'ok',
          (e: { $metadata?: { httpStatusCode?: number } }) => String(e.$metadata?.httpStatusCode),
        ),
      );
      const outcomes = await Promise.all(racers);
      assert.deepEqual(outcomes.filter((o) => o === 'ok').length, 1, outcomes.join(', '));
      assert.ok(outcomes.filter((o) => o !== 'ok').every((o) => o === '412'), outcomes.join(', '));
    });

    it('deletes an object; deleting a missing key succeeds too', async () => {
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doomed', Body: 'x' }));
      const del = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doomed' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doomed' })), 'NoSuchKey', 404);
      const again = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doomed' }));
      assert.equal(again.$metadata.httpStatusCode, 204);
    });

    it('copies an empty object', async () => {
      await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'empty-copy', CopySource: `${BUCKET}/empty` }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'empty-copy' }));
      assert.equal(got.ContentLength, 0);
      assert.equal(got.ETag, `"${md5Hex('')}"`);
    });

    it('stores nothing when the client gives up mid-upload, and goes on serving', async () => {
      const controller = new AbortController();
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= 1024 * 1024) {
            setTimeout(() => controller.abort(), 50);
            return;
          }
          sent += 64 * 1024;
          this.push(bytesAt(3, 0, 64 * 1024));
        },
      });
      await assert.rejects(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cut-short', Body: body, ContentLength: 10 * 1024 * 1024 }), { abortSignal: controller.signal }), {
        name: 'AbortError',
      });
      // The store notices the cut connection on its own time: give it a moment, bounded.
      for (let i = 0; i < 20; i++) {
        const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'cut-short' }));
        assert.equal(listed.KeyCount, 0);
        await new Promise((r) => setTimeout(r, 50));
      }
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cut-short' })), 'NotFound', 404);
      const after = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-cut', Body: 'fine' }));
      assert.equal(after.ETag, `"${md5Hex('fine')}"`);
    });

    it('stores keys with odd characters', async () => {
      for (const key of ['with space+plus=eq~tilde%pct', 'ünï/cødé ✓', 'double//slash/../dots', "bang!quote'(star)*", 'a?b#c&d', '/leading']) {
        await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `content of ${key}` }));
        const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        assert.equal(await got.Body!.transformToString(), `content of ${key}`, key);
      }
    });
  });

  describe('metadata', () => {
    const headers = {
      ContentType: 'text/x-custom; charset=utf-8',
      ContentEncoding: 'identity',
      ContentDisposition: 'attachment; filename="report.txt"',
      ContentLanguage: 'fr-CA',
      CacheControl: 'max-age=60, private',
      Expires: new Date('2031-02-03T04:05:06Z'),
      Metadata: { author: 'Ada', 'multi-word-name': 'value with spaces', empty: '' },
    };

    it('round-trips user metadata and Content-* headers on GET and HEAD', async () => {
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'meta', Body: 'meta body', ...headers }));
      for (const got of [
        await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'meta' })),
        await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'meta' })),
      ]) {
        assert.equal(got.ContentType, headers.ContentType);
        assert.equal(got.ContentEncoding, headers.ContentEncoding);
        assert.equal(got.ContentDisposition, headers.ContentDisposition);
        assert.equal(got.ContentLanguage, headers.ContentLanguage);
        assert.equal(got.CacheControl, headers.CacheControl);
        assert.equal(got.Expires?.toISOString(), headers.Expires.toISOString());
        assert.deepEqual(got.Metadata, { author: 'Ada', 'multi-word-name': 'value with spaces', empty: '' });
        if ('Body' in got) assert.equal(await got.Body!.transformToString(), 'meta body');
      }
    });

    it('lets response-* parameters override the stored headers', async () => {
      const got = await t.s3.send(
        new GetObjectCommand({
          Bucket: BUCKET,
          Key: 'meta',
          ResponseContentType: 'application/json',
          ResponseContentDisposition: 'inline',
          ResponseContentLanguage: 'de',
          ResponseCacheControl: 'no-store',
          ResponseContentEncoding: 'gzip-not-really',
          ResponseExpires: new Date('2040-01-01T00:00:00Z'),
        }),
      );
      assert.equal(got.ContentType, 'application/json');
      assert.equal(got.ContentDisposition, 'inline');
      assert.equal(got.ContentLanguage, 'de');
      assert.equal(got.CacheControl, 'no-store');
      assert.equal(got.ContentEncoding, 'gzip-not-really');
      assert.equal(got.Expires?.toISOString(), '2040-01-01T00:00:00.000Z');
      assert.equal(await got.Body!.transformToString(), 'meta body');
    });

    it('answers MetadataTooLarge above 2 KB of user metadata', async () => {
      await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fat', Body: 'x', Metadata: { big: 'v'.repeat(2100) } })), 'MetadataTooLarge', 400);
    });
  });

  describe('DeleteObjects', () => {
    it('deletes several keys and reports each, missing ones included', async () => {
      for (const k of ['d/1', 'd/2', 'd/3']) await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
      const res = await t.s3.send(
        new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/missing' }] } }),
      );
      assert.deepEqual(res.Deleted?.map((d) => d.Key).sort(), ['d/1', 'd/2', 'd/missing']);
      assert.equal(res.Errors, undefined);
      await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'd/1' })), 'NoSuchKey', 404);
      const kept = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'd/3' }));
      assert.equal(await kept.Body!.transformToString(), 'd/3');
    });

    it('in Quiet mode lists nothing that succeeded', async () => {
      for (const k of ['q/1', 'q/2']) await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
      const res = await t.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Quiet: true, Objects: [{ Key: 'q/1' }, { Key: 'q/2' }, { Key: 'q/none' }] } }));
      assert.equal(res.Deleted, undefined);
      assert.equal(res.Errors, undefined);
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'q/2' })), 'NotFound', 404);
    });

    it('deletes mixed existing, missing and versioned entries in a versioned bucket', async () => {
      const b = 'objects-versioned';
      await t.s3.send(new CreateBucketCommand({ Bucket: b }));
      await t.s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
      const v1 = await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'one' }));
      const v2 = await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'two' }));
      await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'other', Body: 'x' }));
      const res = await t.s3.send(
        new DeleteObjectsCommand({
          Bucket: b,
          Delete: { Objects: [{ Key: 'k', VersionId: v1.VersionId }, { Key: 'other' }, { Key: 'missing' }, { Key: 'k', VersionId: 'null' }] },
        }),
      );
      const byKey = new Map(res.Deleted?.map((d) => [`${d.Key}@${d.VersionId ?? ''}`, d]));
      assert.equal(byKey.get(`k@${v1.VersionId}`)?.DeleteMarker, undefined, 'purging a version makes no marker');
      const other = byKey.get('other@');
      assert.equal(other?.DeleteMarker, true, 'a plain delete in a versioned bucket makes a marker');
      assert.ok(other?.DeleteMarkerVersionId);
      assert.ok(byKey.get('missing@')?.DeleteMarker);
      assert.ok(byKey.has('k@null'));
      assert.equal(res.Errors, undefined);
      // v2 is still current; v1 is gone.
      const cur = await t.s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' }));
      assert.equal(cur.VersionId, v2.VersionId);
      assert.equal(await cur.Body!.transformToString(), 'two');
      await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: b, Key: 'k', VersionId: v1.VersionId })), 'NoSuchVersion', 404);
      // Deleting the marker brings `other` back.
      const unmark = await t.s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'other', VersionId: other!.DeleteMarkerVersionId }] } }));
      assert.equal(unmark.Deleted?.[0]?.DeleteMarker, true);
      assert.equal(unmark.Deleted?.[0]?.DeleteMarkerVersionId, other!.DeleteMarkerVersionId);
      const back = await t.s3.send(new GetObjectCommand({ Bucket: b, Key: 'other' }));
      assert.equal(await back.Body!.transformToString(), 'x');
    });

    it('reports a bad key as an error entry, not a failed request, in Quiet mode too', async () => {
      const res = await t.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'k'.repeat(1100) }, { Key: 'fine' }] } }));
      assert.equal(res.Errors?.[0]?.Code, 'KeyTooLongError');
      assert.deepEqual(res.Deleted?.map((d) => d.Key), ['fine']);
      const quiet = await t.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Quiet: true, Objects: [{ Key: 'k'.repeat(1100) }, { Key: 'fine' }] } }));
      assert.equal(quiet.Errors?.length, 1);
      assert.equal(quiet.Deleted, undefined);
    });
  });

  describe('CopyObject', () => {
    before(async () => {
      await t.s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'src', Body: data.subarray(0, 5000), ContentType: 'text/plain', Metadata: { origin: 'source' }, CacheControl: 'no-cache' }),
      );
    });

    it('copies bytes and metadata (COPY), with the source ETag', async () => {
      const res = await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst-copy', CopySource: `${BUCKET}/src` }));
      assert.equal(res.CopyObjectResult?.ETag, `"${md5Hex(data.subarray(0, 5000))}"`);
      assert.ok(res.CopyObjectResult?.LastModified instanceof Date);
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dst-copy' }));
      assert.equal(got.ContentType, 'text/plain');
      assert.equal(got.CacheControl, 'no-cache');
      assert.deepEqual(got.Metadata, { origin: 'source' });
      assert.deepEqual(await bodyBytes(got.Body), data.subarray(0, 5000));
    });

    it('replaces metadata with REPLACE', async () => {
      await t.s3.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst-replace', CopySource: `${BUCKET}/src`, MetadataDirective: 'REPLACE', ContentType: 'image/png', Metadata: { fresh: 'yes' } }),
      );
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'dst-replace' }));
      assert.equal(head.ContentType, 'image/png');
      assert.deepEqual(head.Metadata, { fresh: 'yes' });
      assert.equal(head.CacheControl, undefined);
      assert.equal(head.ContentLength, 5000);
    });

    it('copies onto itself only when something changes', async () => {
      await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'src', CopySource: `${BUCKET}/src` })), 'InvalidRequest', 400);
      await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'src', CopySource: `${BUCKET}/src`, MetadataDirective: 'REPLACE', ContentType: 'text/plain', Metadata: { origin: 'source', again: '1' } }));
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'src' }));
      assert.deepEqual(head.Metadata, { origin: 'source', again: '1' });
    });

    it('copies across buckets, with an encoded odd source key', async () => {
      const odd = 'odd key/ü+plus&amp?.txt';
      await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: odd, Body: 'odd content' }));
      await t.s3.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'copied', CopySource: `${BUCKET}/${encodeURIComponent(odd)}` }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: OTHER, Key: 'copied' }));
      assert.equal(await got.Body!.transformToString(), 'odd content');
    });

    it('evaluates the copy-source conditions', async () => {
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'src' }));
      const before = new Date(head.LastModified!.getTime() - 60_000);
      const later = head.LastModified!;
      const copy = (extra: Record<string, unknown>) => t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst-cond', CopySource: `${BUCKET}/src`, ...extra }));
      await copy({ CopySourceIfMatch: head.ETag });
      await rejectsWith(copy({ CopySourceIfMatch: '"ffffffffffffffffffffffffffffffff"' }), 'PreconditionFailed', 412);
      await rejectsWith(copy({ CopySourceIfNoneMatch: head.ETag }), 'PreconditionFailed', 412);
      await copy({ CopySourceIfNoneMatch: '"ffffffffffffffffffffffffffffffff"' });
      await rejectsWith(copy({ CopySourceIfModifiedSince: later }), 'PreconditionFailed', 412);
      await copy({ CopySourceIfModifiedSince: before });
      await rejectsWith(copy({ CopySourceIfUnmodifiedSince: before }), 'PreconditionFailed', 412);
      await copy({ CopySourceIfUnmodifiedSince: later });
    });

    it('copies a given version of the source into a versioned bucket', async () => {
      const b = 'objects-copy-versions';
      await t.s3.send(new CreateBucketCommand({ Bucket: b }));
      await t.s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
      const v1 = await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'src', Body: 'version one', Metadata: { v: '1' } }));
      await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'src', Body: 'version two', Metadata: { v: '2' } }));
      const res = await t.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'dst', CopySource: `${b}/src?versionId=${v1.VersionId}` }));
      assert.equal(res.CopySourceVersionId, v1.VersionId);
      assert.ok(res.VersionId && res.VersionId !== v1.VersionId);
      const got = await t.s3.send(new GetObjectCommand({ Bucket: b, Key: 'dst' }));
      assert.equal(got.VersionId, res.VersionId);
      assert.deepEqual(got.Metadata, { v: '1' });
      assert.equal(await got.Body!.transformToString(), 'version one');
    });

    it('answers NoSuchKey and NoSuchBucket for a missing source', async () => {
      await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'x', CopySource: `${BUCKET}/missing` })), 'NoSuchKey', 404);
      await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'x', CopySource: 'no-such-bucket-here/src' })), 'NoSuchBucket', 404);
    });
  });

  describe('presigned URLs', () => {
    it('serves a presigned GET through fetch, with response-* overrides', async () => {
      const url = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin', ResponseContentDisposition: 'attachment; filename="d.bin"' }), { expiresIn: 300 });
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="d.bin"');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
      const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(100, 200));
    });

    it('accepts a presigned PUT through fetch', async () => {
      const body = bytesAt(2, 0, 20_000);
      const url = await getSignedUrl(t.s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'presigned-put', ContentType: 'application/x-test' }), { expiresIn: 300 });
      const res = await fetch(url, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': 'application/x-test' } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('etag'), `"${md5Hex(body)}"`);
      await res.arrayBuffer();
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'presigned-put' }));
      assert.equal(got.ContentType, 'application/x-test');
      assert.deepEqual(await bodyBytes(got.Body), body);
    });

    it('presigns odd keys', async () => {
      const key = 'odd/ key+plus=%25?&#ü.txt';
      const put = await getSignedUrl(t.s3, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
      const res = await fetch(put, { method: 'PUT', body: 'odd presigned' });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
      const get = await fetch(await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 }));
      assert.equal(await get.text(), 'odd presigned');
    });

    it('refuses a presigned URL used for another key', async () => {
      const url = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'data.bin' }), { expiresIn: 300 });
      const res = await fetch(url.replace('/data.bin?', '/meta?'));
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    });
  });
});
