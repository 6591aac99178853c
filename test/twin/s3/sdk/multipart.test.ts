/**
 * Multipart uploads through the AWS SDK: Create, UploadPart, UploadPartCopy with ranges, Complete
 * (S3's `md5-N` ETag and its refusals), Abort, ListParts, ListMultipartUploads, and a 50 MiB upload
 * through lib-storage's Upload read back whole, in ranges across part boundaries and by part number,
 * every byte compared by SHA-256 of streams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { bodyBytes, bytesAt, checksumOf, compositeOf, md5Hex, randomStream, rejectsWith, sha256At, sha256OfStream } from './helpers.ts';

const MiB = 1024 * 1024;

/** S3's multipart ETag from the parts' bytes. */
function multipartEtag(parts: readonly Buffer[]): string {
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(md5Hex(p), 'hex')));
  return `"${md5Hex(md5s)}-${parts.length}"`;
}

describe('S3 multipart uploads through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'multipart';
  const part1 = bytesAt(10, 0, 5 * MiB);
  const part2 = bytesAt(11, 0, 5 * MiB + 123);
  const part3 = bytesAt(12, 0, 1000);

  before(async () => {
    t = await startTestStorage();
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    await t?.close();
  });

  const create = async (key: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ...extra }));
    assert.equal(res.Bucket, BUCKET);
    assert.equal(res.Key, key);
    assert.ok(res.UploadId);
    return res.UploadId;
  };
  const upload = async (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<CompletedPart> => {
    const res = await t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
    assert.equal(res.ETag, `"${md5Hex(body)}"`);
    return { PartNumber: partNumber, ETag: res.ETag };
  };
  const complete = (key: string, uploadId: string, parts: CompletedPart[]) =>
    t.s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));

  it('uploads parts and completes with the md5-of-md5s-N ETag', async () => {
    const id = await create('mp/basic', { ContentType: 'video/x-test', Metadata: { stage: 'assembled' } });
    const parts = [await upload('mp/basic', id, 1, part1), await upload('mp/basic', id, 2, part2), await upload('mp/basic', id, 3, part3)];
    const done = await complete('mp/basic', id, parts);
    assert.equal(done.ETag, multipartEtag([part1, part2, part3]));
    assert.equal(done.Key, 'mp/basic');
    assert.equal(done.Bucket, BUCKET);
    assert.ok(done.Location?.endsWith('/multipart/mp/basic'), done.Location);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/basic' }));
    assert.equal(got.ETag, done.ETag);
    assert.equal(got.ContentType, 'video/x-test');
    assert.deepEqual(got.Metadata, { stage: 'assembled' });
    assert.equal(got.ContentLength, part1.length + part2.length + part3.length);
    assert.deepEqual(await bodyBytes(got.Body), Buffer.concat([part1, part2, part3]));
    // The upload is gone once completed.
    await rejectsWith(t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/basic', UploadId: id })), 'NoSuchUpload', 404);
  });

  it('reads one part with partNumber, and reports the part count', async () => {
    const p2 = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/basic', PartNumber: 2 }));
    assert.equal(p2.$metadata.httpStatusCode, 206);
    assert.equal(p2.PartsCount, 3);
    assert.equal(p2.ContentRange, `bytes ${part1.length}-${part1.length + part2.length - 1}/${part1.length + part2.length + part3.length}`);
    assert.deepEqual(await bodyBytes(p2.Body), part2);
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mp/basic', PartNumber: 3 }));
    assert.equal(head.ContentLength, part3.length);
    assert.equal(head.PartsCount, 3);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/basic', PartNumber: 4 })), 'InvalidPartNumber', 416);
  });

  it('completes with a subset of the uploaded parts, and a re-uploaded part replaces the first', async () => {
    const id = await create('mp/subset');
    const p1 = await upload('mp/subset', id, 1, part1);
    await upload('mp/subset', id, 2, part2);
    await upload('mp/subset', id, 3, bytesAt(99, 0, 10));
    const p3 = await upload('mp/subset', id, 3, part3);
    const done = await complete('mp/subset', id, [p1, p3]);
    assert.equal(done.ETag, multipartEtag([part1, part3]));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/subset' }));
    assert.deepEqual(await bodyBytes(got.Body), Buffer.concat([part1, part3]));
  });

  it('refuses a wrong ETag (InvalidPart), a part never uploaded (InvalidPart), descending parts (InvalidPartOrder)', async () => {
    const id = await create('mp/refusals');
    const p1 = await upload('mp/refusals', id, 1, part1);
    const p2 = await upload('mp/refusals', id, 2, part3);
    await rejectsWith(complete('mp/refusals', id, [p1, { PartNumber: 2, ETag: `"${md5Hex('other')}"` }]), 'InvalidPart', 400);
    await rejectsWith(complete('mp/refusals', id, [p1, { PartNumber: 3, ETag: p2.ETag }]), 'InvalidPart', 400);
    await rejectsWith(complete('mp/refusals', id, [p2, p1]), 'InvalidPartOrder', 400);
    // Still open after the refusals: it completes with the right list.
    const done = await complete('mp/refusals', id, [p1, p2]);
    assert.equal(done.ETag, multipartEtag([part1, part3]));
  });

  it('refuses a part below 5 MiB that is not the last (EntityTooSmall)', async () => {
    const id = await create('mp/small');
    const a = await upload('mp/small', id, 1, part3);
    const b = await upload('mp/small', id, 2, part3);
    await rejectsWith(complete('mp/small', id, [a, b]), 'EntityTooSmall', 400);
    // One small part alone is fine: it is the last.
    const done = await complete('mp/small', id, [a]);
    assert.equal(done.ETag, multipartEtag([part3]));
  });

  it('aborts an upload: its parts and later requests are NoSuchUpload', async () => {
    const id = await create('mp/aborted');
    await upload('mp/aborted', id, 1, part3);
    const res = await t.s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/aborted', UploadId: id }));
    assert.equal(res.$metadata.httpStatusCode, 204);
    await rejectsWith(t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/aborted', UploadId: id, PartNumber: 2, Body: part3 })), 'NoSuchUpload', 404);
    await rejectsWith(t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/aborted', UploadId: id })), 'NoSuchUpload', 404);
    await rejectsWith(complete('mp/aborted', id, [{ PartNumber: 1, ETag: `"${md5Hex(part3)}"` }]), 'NoSuchUpload', 404);
    await rejectsWith(t.s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/aborted', UploadId: id })), 'NoSuchUpload', 404);
    await rejectsWith(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/aborted' })), 'NoSuchKey', 404);
    await rejectsWith(t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/aborted', UploadId: 'made-up-upload-id' })), 'NoSuchUpload', 404);
  });

  it('lists parts, paging with max-parts and part-number-marker', async () => {
    const id = await create('mp/listed');
    const sizes = [10, 20, 30, 40, 50];
    for (const [i, size] of sizes.entries()) await upload('mp/listed', id, i + 1, bytesAt(20 + i, 0, size));
    const all = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/listed', UploadId: id }));
    assert.deepEqual(all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), sizes.map((size, i) => [i + 1, size, `"${md5Hex(bytesAt(20 + i, 0, size))}"`]));
    assert.equal(all.IsTruncated, false);
    assert.ok(all.Parts?.every((p) => p.LastModified instanceof Date));
    const page1 = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/listed', UploadId: id, MaxParts: 2 }));
    assert.deepEqual(page1.Parts?.map((p) => p.PartNumber), [1, 2]);
    assert.equal(page1.IsTruncated, true);
    assert.equal(page1.NextPartNumberMarker, '2');
    const page2 = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/listed', UploadId: id, MaxParts: 2, PartNumberMarker: page1.NextPartNumberMarker }));
    assert.deepEqual(page2.Parts?.map((p) => p.PartNumber), [3, 4]);
    const page3 = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/listed', UploadId: id, MaxParts: 2, PartNumberMarker: page2.NextPartNumberMarker }));
    assert.deepEqual(page3.Parts?.map((p) => p.PartNumber), [5]);
    assert.equal(page3.IsTruncated, false);
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/listed', UploadId: id }));
  });

  it('lists open uploads with prefix, delimiter and markers', async () => {
    const ids = {
      a1: await create('up/a'),
      a2: await create('up/a'),
      b: await create('up/b'),
      deep: await create('up/dir/c'),
    };
    const done = await create('up/done');
    await complete('up/done', done, [await upload('up/done', done, 1, part3)]);
    const aborted = await create('up/aborted');
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'up/aborted', UploadId: aborted }));

    const all = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/' }));
    assert.deepEqual(all.Uploads?.map((u) => [u.Key, u.UploadId]), [['up/a', ids.a1], ['up/a', ids.a2], ['up/b', ids.b], ['up/dir/c', ids.deep]]);
    assert.ok(all.Uploads?.every((u) => u.Initiated instanceof Date));
    const grouped = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/', Delimiter: '/' }));
    assert.deepEqual(grouped.Uploads?.map((u) => u.Key), ['up/a', 'up/a', 'up/b']);
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['up/dir/']);
    const page1 = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/', MaxUploads: 2 }));
    assert.equal(page1.IsTruncated, true);
    assert.deepEqual(page1.Uploads?.map((u) => u.UploadId), [ids.a1, ids.a2]);
    const page2 = await t.s3.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/', MaxUploads: 2, KeyMarker: page1.NextKeyMarker, UploadIdMarker: page1.NextUploadIdMarker }),
    );
    assert.deepEqual(page2.Uploads?.map((u) => u.UploadId), [ids.b, ids.deep]);
    const afterKey = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/', KeyMarker: 'up/a' }));
    assert.deepEqual(afterKey.Uploads?.map((u) => u.Key), ['up/b', 'up/dir/c']);
    // Pages of one with a delimiter: a page may end on a common prefix, and the next starts after it.
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; ; page++) {
      assert.ok(page < 10, 'paging ends');
      const res = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/', Delimiter: '/', MaxUploads: 1, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      seen.push(...(res.Uploads ?? []).map((u) => u.UploadId!), ...(res.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (res.IsTruncated !== true) break;
      keyMarker = res.NextKeyMarker;
      uploadIdMarker = res.NextUploadIdMarker;
    }
    assert.deepEqual(seen, [ids.a1, ids.a2, ids.b, 'up/dir/']);
    for (const [key, id] of [['up/a', ids.a1], ['up/a', ids.a2], ['up/b', ids.b], ['up/dir/c', ids.deep]] as const) {
      await t.s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: id }));
    }
    const none = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'up/' }));
    assert.equal(none.Uploads, undefined);
  });

  it('copies ranges of existing objects into parts (UploadPartCopy)', async () => {
    const source = Buffer.concat([part1, part2]);
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/source', Body: source }));
    const id = await create('copy/target');
    const whole = await t.s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: 1, CopySource: `${BUCKET}/copy/source`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    assert.equal(whole.CopyPartResult?.ETag, `"${md5Hex(source.subarray(0, 5 * MiB))}"`);
    assert.ok(whole.CopyPartResult?.LastModified instanceof Date);
    const unranged = await t.s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: 2, CopySource: `${BUCKET}/mp/basic` }));
    const tail = await t.s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: 3, CopySource: `${BUCKET}/copy/source`, CopySourceRange: `bytes=${5 * MiB + 100}-${5 * MiB + 199}` }));
    await rejectsWith(
      t.s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: 4, CopySource: `${BUCKET}/copy/source`, CopySourceRange: `bytes=0-${source.length}` })),
      'InvalidArgument',
      400,
    );
    await rejectsWith(
      t.s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: 4, CopySource: `${BUCKET}/copy/source`, CopySourceIfMatch: '"0000"' })),
      'PreconditionFailed',
      412,
    );
    const done = await complete('copy/target', id, [
      { PartNumber: 1, ETag: whole.CopyPartResult!.ETag! },
      { PartNumber: 2, ETag: unranged.CopyPartResult!.ETag! },
      { PartNumber: 3, ETag: tail.CopyPartResult!.ETag! },
    ]);
    const expected = [source.subarray(0, 5 * MiB), Buffer.concat([part1, part2, part3]), source.subarray(5 * MiB + 100, 5 * MiB + 200)];
    assert.equal(done.ETag, multipartEtag(expected));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/target' }));
    assert.deepEqual(await bodyBytes(got.Body), Buffer.concat(expected));
  });

  it('copies a multipart object with CopyObject into a single-part one', async () => {
    const res = await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/flat', CopySource: `${BUCKET}/mp/basic` }));
    const whole = Buffer.concat([part1, part2, part3]);
    assert.equal(res.CopyObjectResult?.ETag, `"${md5Hex(whole)}"`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/flat' }));
    assert.deepEqual(await bodyBytes(got.Body), whole);
  });

  describe('a 50 MiB upload through lib-storage', () => {
    const SEED = 4242;
    const SIZE = 50 * MiB;
    const PART = 6 * MiB;
    const KEY = 'big/fifty.bin';

    before(async () => {
      const up = new Upload({ client: t.s3, params: { Bucket: BUCKET, Key: KEY, Body: randomStream(SEED, SIZE), ContentType: 'application/x-big' }, partSize: PART, queueSize: 4 });
      const res = await up.done();
      assert.ok(res.ETag?.endsWith(`-${Math.ceil(SIZE / PART)}"`), res.ETag);
    });

    it('reads back every byte', async () => {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
      assert.equal(got.ContentLength, SIZE);
      assert.equal(got.ContentType, 'application/x-big');
      const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
      assert.equal(read.size, SIZE);
      assert.equal(read.sha256, sha256At(SEED, 0, SIZE));
    });

    it('serves ranges across part boundaries', async () => {
      const ranges: [number, number][] = [
        [PART - 10, PART + 9],
        [PART - 1, PART],
        [2 * PART - 1000, 4 * PART + 999],
        [0, PART],
        [SIZE - PART - 5, SIZE - 1],
        [7 * PART + 12345, 8 * PART + 54321],
      ];
      for (const [start, end] of ranges) {
        const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, Range: `bytes=${start}-${end}` }));
        assert.equal(got.ContentRange, `bytes ${start}-${end}/${SIZE}`);
        const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
        assert.equal(read.size, end - start + 1);
        assert.equal(read.sha256, sha256At(SEED, start, end + 1), `bytes ${start}-${end}`);
      }
    });

    it('carries the composite CRC32 checksum lib-storage asks for by default', async () => {
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, ChecksumMode: 'ENABLED' }));
      const count = Math.ceil(SIZE / PART);
      const parts = Array.from({ length: count }, (_, i) => bytesAt(SEED, i * PART, Math.min((i + 1) * PART, SIZE)));
      assert.equal(head.ChecksumCRC32, await compositeOf('CRC32', parts));
      assert.equal(head.ChecksumType, 'COMPOSITE');
    });

    it('serves each part by number (with its own checksum, which the SDK validates)', async () => {
      const count = Math.ceil(SIZE / PART);
      for (const n of [1, 2, 5, count]) {
        const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, PartNumber: n, ChecksumMode: 'ENABLED' }));
        assert.equal(got.ChecksumCRC32, await checksumOf('CRC32', bytesAt(SEED, (n - 1) * PART, Math.min(n * PART, SIZE))));
        const start = (n - 1) * PART;
        const end = Math.min(n * PART, SIZE);
        assert.equal(got.PartsCount, count);
        assert.equal(got.ContentLength, end - start);
        assert.equal(got.ContentRange, `bytes ${start}-${end - 1}/${SIZE}`);
        const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
        assert.equal(read.sha256, sha256At(SEED, start, end), `part ${n}`);
      }
    });

    it('survives a reader that hangs up mid-way, and serves the next one whole', async () => {
      for (let i = 0; i < 3; i++) {
        const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
        const body = got.Body as AsyncIterable<Uint8Array> & { destroy(): void };
        let read = 0;
        for await (const chunk of body) {
          read += chunk.length;
          if (read > 3 * MiB) break;
        }
        body.destroy();
      }
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, Range: `bytes=${SIZE - 1000}-` }));
      assert.deepEqual(await bodyBytes(got.Body), bytesAt(SEED, SIZE - 1000, SIZE));
      const whole = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
      assert.equal((await sha256OfStream(whole.Body as AsyncIterable<Uint8Array>)).sha256, sha256At(SEED, 0, SIZE));
    });
  });
});
