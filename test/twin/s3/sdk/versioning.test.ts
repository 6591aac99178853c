/**
 * Versioning through the AWS SDK: Put/GetBucketVersioning, version ids on put, get and delete,
 * delete markers (NoSuchKey on the key, 405 on the marker's own id), DeleteObject with a version
 * id, ListObjectVersions with key and version-id markers, suspended versioning and the null version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { sendSigned } from '../../../helpers/s3-raw.ts';
import { encodeKey } from '../auth/sign-helpers.ts';
import { md5Hex, rejectsWith } from './helpers.ts';

/** Versions and delete markers of one listing page, in the order S3 lists them. */
function entries(page: ListObjectVersionsCommandOutput): { key: string; id: string; marker: boolean; latest: boolean }[] {
  const all = [
    ...(page.Versions ?? []).map((v) => ({ key: v.Key!, id: v.VersionId!, marker: false, latest: v.IsLatest === true, at: v.LastModified!.getTime() })),
    ...(page.DeleteMarkers ?? []).map((m) => ({ key: m.Key!, id: m.VersionId!, marker: true, latest: m.IsLatest === true, at: m.LastModified!.getTime() })),
  ];
  // The SDK splits the two kinds; S3 sends them interleaved by key, newest first.
  return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(({ key, id, marker, latest }) => ({ key, id, marker, latest }));
}

describe('S3 versioning through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'versioned';

  before(async () => {
    t = await startTestStorage();
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    await t?.close();
  });

  const versioning = (bucket: string, status: 'Enabled' | 'Suspended') =>
    t.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));
  const put = (bucket: string, key: string, body: string) => t.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const read = async (bucket: string, key: string, versionId?: string) => {
    const got = await t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }));
    return { body: await got.Body!.transformToString(), versionId: got.VersionId };
  };

  it('reports no status until versioning is configured, then Enabled and Suspended', async () => {
    const none = await t.s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
    assert.equal(none.Status, undefined);
    await versioning(BUCKET, 'Enabled');
    assert.equal((await t.s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status, 'Enabled');
    await t.s3.send(new CreateBucketCommand({ Bucket: 'versioned-toggle' }));
    await versioning('versioned-toggle', 'Suspended');
    assert.equal((await t.s3.send(new GetBucketVersioningCommand({ Bucket: 'versioned-toggle' }))).Status, 'Suspended');
    await rejectsWith(t.s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-versioned' })), 'NoSuchBucket', 404);
  });

  it('gives each put a version id; every version stays readable by id', async () => {
    const v1 = await put(BUCKET, 'doc', 'one');
    const v2 = await put(BUCKET, 'doc', 'two');
    assert.ok(v1.VersionId && v2.VersionId && v1.VersionId !== v2.VersionId);
    assert.deepEqual(await read(BUCKET, 'doc'), { body: 'two', versionId: v2.VersionId });
    assert.deepEqual(await read(BUCKET, 'doc', v1.VersionId), { body: 'one', versionId: v1.VersionId });
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc', VersionId: v1.VersionId }));
    assert.equal(head.VersionId, v1.VersionId);
    assert.equal(head.ETag, `"${md5Hex('one')}"`);
  });

  it('hides a key behind a delete marker: NoSuchKey, and 405 for the marker by id', async () => {
    const v1 = await put(BUCKET, 'hidden', 'content');
    const del = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'hidden' }));
    assert.equal(del.DeleteMarker, true);
    assert.ok(del.VersionId);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'hidden' })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'hidden' })), 'NotFound', 404);
    // The 404 says it is a delete marker, as S3 does.
    const raw = await sendSigned(t, { method: 'GET', path: `/${BUCKET}/hidden` });
    assert.equal(raw.status, 404);
    assert.equal(raw.headers['x-amz-delete-marker'], 'true');
    assert.equal(raw.headers['x-amz-version-id'], del.VersionId);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'hidden', VersionId: del.VersionId })), 'MethodNotAllowed', 405);
    await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'hidden', VersionId: del.VersionId })), undefined, 405);
    // The old version is still there, by id.
    assert.equal((await read(BUCKET, 'hidden', v1.VersionId)).body, 'content');
    // A copy from the hidden key is NoSuchKey; from the marker by id, 400 as S3 documents; from the old version, fine.
    await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'from-hidden', CopySource: `${BUCKET}/hidden` })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'from-hidden', CopySource: `${BUCKET}/hidden?versionId=${del.VersionId}` })), 'InvalidRequest', 400);
    const copied = await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'from-hidden', CopySource: `${BUCKET}/hidden?versionId=${v1.VersionId}` }));
    assert.equal(copied.CopySourceVersionId, v1.VersionId);
    assert.equal((await read(BUCKET, 'from-hidden')).body, 'content');
    // The listing of current objects leaves the key out.
    const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'hidden' }));
    assert.equal(listed.Contents, undefined);
  });

  it('deletes versions by id: removing the marker brings the object back, removing a version purges it', async () => {
    const v1 = await put(BUCKET, 'restore', 'first');
    const v2 = await put(BUCKET, 'restore', 'second');
    const marker = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'restore' }));
    const unmark = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'restore', VersionId: marker.VersionId }));
    assert.equal(unmark.DeleteMarker, true);
    assert.equal(unmark.VersionId, marker.VersionId);
    assert.deepEqual(await read(BUCKET, 'restore'), { body: 'second', versionId: v2.VersionId });
    const purge = await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'restore', VersionId: v2.VersionId }));
    assert.equal(purge.VersionId, v2.VersionId);
    assert.equal(purge.DeleteMarker, undefined);
    assert.deepEqual(await read(BUCKET, 'restore'), { body: 'first', versionId: v1.VersionId });
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'restore', VersionId: v2.VersionId })), 'NoSuchVersion', 404);
    await t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'restore', VersionId: v1.VersionId }));
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'restore' })), 'NoSuchKey', 404);
    const left = await t.s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'restore' }));
    assert.equal(left.Versions, undefined);
    assert.equal(left.DeleteMarkers, undefined);
  });

  it('answers NoSuchVersion for an unknown id and InvalidArgument for a malformed one', async () => {
    const v = await put(BUCKET, 'ids', 'x');
    const unknown = `${v.VersionId!.slice(0, -1)}${v.VersionId!.endsWith('A') ? 'B' : 'A'}`;
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ids', VersionId: unknown })), 'NoSuchVersion', 404);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ids', VersionId: 'not a version' })), 'InvalidArgument', 400);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ids', VersionId: v.VersionId!.replace(/^./, 'z') })), 'InvalidArgument', 400);
  });

  it('lists versions and markers newest first per key, paging with key and version-id markers', async () => {
    const b = 'versions-listing';
    await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    await versioning(b, 'Enabled');
    const a1 = await put(b, 'a', 'a1');
    const a2 = await put(b, 'a', 'a2');
    const a3 = await put(b, 'a', 'a3');
    const bm = await t.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'b' }));
    const c1 = await put(b, 'c', 'c1');
    const cm = await t.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'c' }));
    const d1 = await put(b, 'dir/d', 'd1');

    const all = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(all.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest]), [
      ['a', a3.VersionId, true],
      ['a', a2.VersionId, false],
      ['a', a1.VersionId, false],
      ['c', c1.VersionId, false],
      ['dir/d', d1.VersionId, true],
    ]);
    assert.deepEqual(all.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest]), [
      ['b', bm.VersionId, true],
      ['c', cm.VersionId, true],
    ]);
    assert.equal(all.IsTruncated, false);
    assert.equal(all.Versions?.[0]?.ETag, `"${md5Hex('a3')}"`);
    assert.equal(all.Versions?.[0]?.Size, 2);

    // Pages of two; the cut falls inside key a's versions.
    const seen: { key: string; id: string; marker: boolean; latest: boolean }[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      pages += 1;
      assert.equal(page.KeyMarker || undefined, keyMarker);
      seen.push(...entries(page));
      if (page.IsTruncated !== true) break;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
      assert.ok(keyMarker !== undefined && pages < 10);
    }
    assert.equal(pages, 4);
    // Within a key, the SDK's split loses the interleaving; compare as sets per key.
    assert.deepEqual(
      seen.map((e) => `${e.key}:${e.id}:${e.marker}:${e.latest}`).sort(),
      entries(all).map((e) => `${e.key}:${e.id}:${e.marker}:${e.latest}`).sort(),
    );

    const afterA = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, KeyMarker: 'a' }));
    assert.deepEqual(entries(afterA).map((e) => e.key), ['b', 'c', 'c', 'dir/d']);
    const midA = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, KeyMarker: 'a', VersionIdMarker: a3.VersionId }));
    assert.deepEqual(midA.Versions?.slice(0, 2).map((v) => v.VersionId), [a2.VersionId, a1.VersionId]);
    const grouped = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, Delimiter: '/' }));
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);
    assert.ok(!grouped.Versions?.some((v) => v.Key === 'dir/d'));
    const prefixed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b, Prefix: 'c' }));
    assert.deepEqual(entries(prefixed).map((e) => e.key), ['c', 'c']);
  });

  it('keeps a pre-versioning object as the null version', async () => {
    const b = 'versions-null';
    await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    const before = await put(b, 'k', 'before');
    assert.equal(before.VersionId, undefined);
    await versioning(b, 'Enabled');
    const v = await put(b, 'k', 'after');
    assert.ok(v.VersionId && v.VersionId !== 'null');
    assert.deepEqual(await read(b, 'k', 'null'), { body: 'before', versionId: 'null' });
    const listed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(listed.Versions?.map((x) => [x.VersionId, x.IsLatest]), [[v.VersionId, true], ['null', false]]);
  });

  it('writes the null version while suspended, replacing the previous null version only', async () => {
    const b = 'versions-suspended';
    await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    await versioning(b, 'Enabled');
    const kept = await put(b, 'k', 'versioned');
    await versioning(b, 'Suspended');
    // S3 answers a put while suspended without x-amz-version-id; reads then say `null`.
    const n1 = await put(b, 'k', 'null one');
    assert.equal(n1.VersionId, undefined);
    await put(b, 'k', 'null two');
    assert.deepEqual(await read(b, 'k'), { body: 'null two', versionId: 'null' });
    assert.deepEqual(await read(b, 'k', kept.VersionId), { body: 'versioned', versionId: kept.VersionId });
    let listed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(listed.Versions?.map((x) => [x.VersionId, x.IsLatest]), [['null', true], [kept.VersionId, false]]);

    // A delete while suspended puts a null delete marker in place of the null version.
    const del = await t.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    assert.equal(del.DeleteMarker, true);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'NoSuchKey', 404);
    listed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(listed.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest]), [['null', true]]);
    assert.deepEqual(listed.Versions?.map((x) => [x.VersionId, x.IsLatest]), [[kept.VersionId, false]]);

    // Re-enabled: new versions get ids again, the null marker stays in the history.
    await versioning(b, 'Enabled');
    const again = await put(b, 'k', 'again');
    assert.ok(again.VersionId && again.VersionId !== 'null');
    assert.equal((await read(b, 'k')).body, 'again');
    await t.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: 'null' }));
    listed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.equal(listed.DeleteMarkers, undefined);
    assert.deepEqual(listed.Versions?.map((x) => x.VersionId), [again.VersionId, kept.VersionId]);
  });

  it('shows x-amz-version-id: null for the null version once versioning was configured', async () => {
    const raw = await sendSigned(t, { method: 'HEAD', path: `/versions-suspended/${encodeKey('k')}`, query: { versionId: 'null' } });
    assert.equal(raw.status, 404, 'the null version was purged above');
    await put('versions-suspended', 'n', 'x');
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: 'versions-suspended', Key: 'n' }));
    assert.ok(head.VersionId && head.VersionId !== 'null');
    await versioning('versions-suspended', 'Suspended');
    await put('versions-suspended', 'n2', 'x');
    const headNull = await t.s3.send(new HeadObjectCommand({ Bucket: 'versions-suspended', Key: 'n2' }));
    assert.equal(headNull.VersionId, 'null');
  });
});
