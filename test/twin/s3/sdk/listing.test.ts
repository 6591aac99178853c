/**
 * Listings through the AWS SDK: ListObjectsV2 with prefix, delimiter and common prefixes, max-keys
 * and continuation tokens over a few hundred keys (paginateListObjectsV2), start-after,
 * encoding-type=url with odd keys, and ListObjects (v1) with marker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { sendSigned } from '../../../helpers/s3-raw.ts';
import { md5Hex, rejectsWith } from './helpers.ts';

/** Runs `fn` over `items`, `width` at a time. */
async function parallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  }));
}

/** S3's order: UTF-8 byte order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function allKeys(s3: S3Client, input: { Bucket: string; Prefix?: string; MaxKeys?: number; StartAfter?: string }): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: input.MaxKeys ?? 1000 }, input)) {
    pages += 1;
    for (const c of page.Contents ?? []) keys.push(c.Key!);
  }
  return { keys, pages };
}

describe('S3 listings through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'listing';
  const MANY = 'listing-many';
  const ODD = 'listing-odd';
  const tree = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'b/c/4.txt', 'b/d/5.txt', 'c.txt', 'd/e/f.txt', 'photos/2024/jan.jpg', 'photos/2024/feb.jpg', 'photos/2025/mar.jpg'];
  const many = Array.from({ length: 320 }, (_, i) => `key-${String(i).padStart(4, '0')}`);
  const odd = ['space key', 'plus+key', 'ünïcødé/ключ', 'emoji-😀', 'amp&lt<gt>', 'tab\tkey', 'percent%20', 'q?uestion', 'caret^`{pipe}|', 'Zupper', '~tilde', '[brackets]', ' lead and trail ', 'cr\rlf\nkey', 'ctrl\u0001char', 'quote"apos\''];

  before(async () => {
    t = await startTestStorage();
    for (const b of [BUCKET, MANY, ODD]) await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    await parallel(tree, 4, (k) => t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k })));
    await parallel(many, 6, (k) => t.s3.send(new PutObjectCommand({ Bucket: MANY, Key: k, Body: k })));
    await parallel(odd, 4, (k) => t.s3.send(new PutObjectCommand({ Bucket: ODD, Key: k, Body: k })));
  });

  after(async () => {
    await t?.close();
  });

  it('lists every key in order, with size and ETag', async () => {
    const res = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    assert.deepEqual(res.Contents?.map((c) => c.Key), [...tree].sort(byteOrder));
    assert.equal(res.KeyCount, tree.length);
    assert.equal(res.IsTruncated, false);
    const a = res.Contents!.find((c) => c.Key === 'a.txt')!;
    assert.equal(a.Size, 5);
    assert.equal(a.ETag, `"${md5Hex('a.txt')}"`);
    assert.equal(a.StorageClass, 'STANDARD');
    assert.ok(a.LastModified instanceof Date);
  });

  it('filters by prefix', async () => {
    const res = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'b/c/' }));
    assert.deepEqual(res.Contents?.map((c) => c.Key), ['b/c/3.txt', 'b/c/4.txt']);
    const none = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'zzz' }));
    assert.equal(none.Contents, undefined);
    assert.equal(none.KeyCount, 0);
  });

  it('groups by delimiter into CommonPrefixes', async () => {
    const top = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['a.txt', 'c.txt']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'd/', 'photos/']);
    assert.equal(top.KeyCount, 5);
    const b = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', Prefix: 'b/' }));
    assert.deepEqual(b.Contents?.map((c) => c.Key), ['b/1.txt', 'b/2.txt']);
    assert.deepEqual(b.CommonPrefixes?.map((p) => p.Prefix), ['b/c/', 'b/d/']);
    const photos = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', Prefix: 'photos/' }));
    assert.equal(photos.Contents, undefined);
    assert.deepEqual(photos.CommonPrefixes?.map((p) => p.Prefix), ['photos/2024/', 'photos/2025/']);
    // A delimiter other than '/'.
    const dot = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '.', Prefix: 'b/' }));
    assert.deepEqual(dot.CommonPrefixes?.map((p) => p.Prefix), ['b/1.', 'b/2.', 'b/c/3.', 'b/c/4.', 'b/d/5.']);
  });

  it('pages with max-keys and continuation tokens, common prefixes counting as keys', async () => {
    const first = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual(first.Contents?.map((c) => c.Key), ['a.txt']);
    assert.deepEqual(first.CommonPrefixes?.map((p) => p.Prefix), ['b/']);
    assert.equal(first.IsTruncated, true);
    assert.ok(first.NextContinuationToken);
    const second = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
    assert.equal(second.ContinuationToken, first.NextContinuationToken);
    assert.deepEqual(second.Contents?.map((c) => c.Key), ['c.txt']);
    assert.deepEqual(second.CommonPrefixes?.map((p) => p.Prefix), ['d/']);
    const third = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2, ContinuationToken: second.NextContinuationToken }));
    assert.deepEqual(third.CommonPrefixes?.map((p) => p.Prefix), ['photos/']);
    assert.equal(third.IsTruncated, false);
    assert.equal(third.NextContinuationToken, undefined);
  });

  it('pages through a few hundred keys with paginateListObjectsV2', async () => {
    const { keys, pages } = await allKeys(t.s3, { Bucket: MANY, MaxKeys: 37 });
    assert.deepEqual(keys, many);
    assert.equal(pages, Math.ceil(many.length / 37));
    const whole = await allKeys(t.s3, { Bucket: MANY });
    assert.deepEqual(whole.keys, many);
    assert.equal(whole.pages, 1);
    const prefixed = await allKeys(t.s3, { Bucket: MANY, Prefix: 'key-02', MaxKeys: 7 });
    assert.deepEqual(prefixed.keys, many.filter((k) => k.startsWith('key-02')));
  });

  it('skips deleted keys and sees new ones between pages', async () => {
    const first = await t.s3.send(new ListObjectsV2Command({ Bucket: MANY, MaxKeys: 10 }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: MANY, Key: 'key-0012' }));
    await t.s3.send(new PutObjectCommand({ Bucket: MANY, Key: 'key-0012a', Body: 'new' }));
    try {
      const second = await t.s3.send(new ListObjectsV2Command({ Bucket: MANY, MaxKeys: 5, ContinuationToken: first.NextContinuationToken }));
      assert.deepEqual(second.Contents?.map((c) => c.Key), ['key-0010', 'key-0011', 'key-0012a', 'key-0013', 'key-0014']);
    } finally {
      await t.s3.send(new DeleteObjectCommand({ Bucket: MANY, Key: 'key-0012a' }));
      await t.s3.send(new PutObjectCommand({ Bucket: MANY, Key: 'key-0012', Body: 'key-0012' }));
    }
  });

  it('drops a common prefix once every key under it is deleted', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone/only.txt', Body: 'x' }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'half/a.txt', Body: 'x' }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'half/b.txt', Body: 'x' }));
    const before = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    assert.ok(before.CommonPrefixes?.some((p) => p.Prefix === 'gone/'));
    await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone/only.txt' }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'half/a.txt' }));
    try {
      const v2 = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
      assert.deepEqual(v2.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'd/', 'half/', 'photos/']);
      const v1 = await t.s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/' }));
      assert.deepEqual(v1.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'd/', 'half/', 'photos/']);
      const versions = await t.s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Delimiter: '/' }));
      assert.deepEqual(versions.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'd/', 'half/', 'photos/']);
    } finally {
      await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'half/b.txt' }));
    }
  });

  it('in a versioned bucket, a prefix whose keys are all behind delete markers is listed by ListObjectVersions only', async () => {
    const b = 'listing-versioned';
    await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    await t.s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'dir/file', Body: 'x' }));
    await t.s3.send(new PutObjectCommand({ Bucket: b, Key: 'top', Body: 'x' }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'dir/file' }));
    const current = await t.s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: '/' }));
    assert.equal(current.CommonPrefixes, undefined);
    assert.deepEqual(current.Contents?.map((c) => c.Key), ['top']);
    const versions = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, Delimiter: '/' }));
    assert.deepEqual(versions.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);
  });

  it('starts after a given key (start-after), which need not exist', async () => {
    const res = await t.s3.send(new ListObjectsV2Command({ Bucket: MANY, StartAfter: 'key-0315', MaxKeys: 3 }));
    assert.equal(res.StartAfter, 'key-0315');
    assert.deepEqual(res.Contents?.map((c) => c.Key), ['key-0316', 'key-0317', 'key-0318']);
    const between = await t.s3.send(new ListObjectsV2Command({ Bucket: MANY, StartAfter: 'key-0100x', MaxKeys: 2 }));
    assert.deepEqual(between.Contents?.map((c) => c.Key), ['key-0101', 'key-0102']);
  });

  it('answers max-keys=0 with an empty, untruncated page', async () => {
    const res = await t.s3.send(new ListObjectsV2Command({ Bucket: MANY, MaxKeys: 0 }));
    assert.equal(res.Contents, undefined);
    assert.equal(res.KeyCount, 0);
    assert.equal(res.IsTruncated, false);
  });

  it('round-trips odd keys with encoding-type=url (percent-encoded, as the SDK leaves them)', async () => {
    const res = await t.s3.send(new ListObjectsV2Command({ Bucket: ODD, EncodingType: 'url' }));
    assert.equal(res.EncodingType, 'url');
    const keys = res.Contents?.map((c) => decodeURIComponent(c.Key!));
    assert.deepEqual(keys, [...odd].sort(byteOrder));
    const plain = await t.s3.send(new ListObjectsV2Command({ Bucket: ODD }));
    assert.deepEqual(plain.Contents?.map((c) => c.Key), [...odd].sort(byteOrder));
  });

  it('encodes keys, prefixes and the delimiter on the wire with encoding-type=url', async () => {
    const res = await sendSigned(t, { method: 'GET', path: `/${ODD}`, query: { 'list-type': '2', 'encoding-type': 'url', prefix: 'ünï', delimiter: '/' } });
    assert.equal(res.status, 200);
    assert.match(res.body, /<Prefix>%C3%BCn%C3%AF<\/Prefix>/);
    assert.match(res.body, /<CommonPrefixes><Prefix>%C3%BCn%C3%AFc%C3%B8d%C3%A9\/<\/Prefix><\/CommonPrefixes>/);
    const space = await sendSigned(t, { method: 'GET', path: `/${ODD}`, query: { 'list-type': '2', 'encoding-type': 'url', prefix: 'space' } });
    assert.match(space.body, /<Key>space%20key<\/Key>/);
  });

  it('lists with v1 and marker, NextMarker only with a delimiter', async () => {
    const page1 = await t.s3.send(new ListObjectsCommand({ Bucket: MANY, MaxKeys: 100 }));
    assert.equal(page1.IsTruncated, true);
    assert.equal(page1.Contents?.length, 100);
    assert.equal(page1.NextMarker, undefined);
    const last = page1.Contents!.at(-1)!.Key!;
    const page2 = await t.s3.send(new ListObjectsCommand({ Bucket: MANY, MaxKeys: 100, Marker: last }));
    assert.equal(page2.Marker, last);
    assert.equal(page2.Contents?.[0]?.Key, many[100]);
    const grouped = await t.s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 3 }));
    assert.deepEqual(grouped.Contents?.map((c) => c.Key), ['a.txt', 'c.txt']);
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['b/']);
    assert.equal(grouped.NextMarker, 'c.txt');
    const rest = await t.s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', Marker: grouped.NextMarker }));
    assert.deepEqual(rest.CommonPrefixes?.map((p) => p.Prefix), ['d/', 'photos/']);
    // A marker that is a common prefix resumes after the whole group.
    const afterGroup = await t.s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', Marker: 'b/' }));
    assert.deepEqual(afterGroup.Contents?.map((c) => c.Key), ['c.txt']);
    assert.deepEqual(afterGroup.CommonPrefixes?.map((p) => p.Prefix), ['d/', 'photos/']);
    assert.ok(grouped.Contents?.[0]?.Owner?.ID, 'v1 lists the owner');
  });

  it('refuses a bad continuation token and a missing bucket', async () => {
    await rejectsWith(t.s3.send(new ListObjectsV2Command({ Bucket: MANY, ContinuationToken: 'not-a-token' })), 'InvalidArgument', 400);
    await rejectsWith(t.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-listing' })), 'NoSuchBucket', 404);
  });
});
