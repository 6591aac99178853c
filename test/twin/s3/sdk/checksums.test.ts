/**
 * Checksums end to end through the AWS SDK: PutObject with every algorithm S3 offers (headers and
 * streamed trailers), GetObject with ChecksumMode ENABLED (the SDK validates the bytes against the
 * header and throws on a mismatch, so a passing read is the proof), multipart uploads with
 * FULL_OBJECT and COMPOSITE checksums, and wrong checksums refused with BadDigest, nothing stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startTestStorage, type TestStorage } from '../../../helpers/storage.ts';
import { bodyBytes, bytesAt, checksumOf, compositeOf, md5Hex, randomStream, rejectsWith, sha256At, sha256OfStream, type Algorithm } from './helpers.ts';

const MiB = 1024 * 1024;
const ALGORITHMS: readonly Algorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

type ChecksumFields = { [K in `Checksum${Algorithm}`]?: string | undefined };

function field(algorithm: Algorithm): `Checksum${Algorithm}` {
  return `Checksum${algorithm}`;
}

describe('S3 checksums end to end through the AWS SDK', { timeout: 180_000 }, () => {
  let t: TestStorage;
  const BUCKET = 'checksums';
  const data = bytesAt(30, 0, 300_000);

  before(async () => {
    t = await startTestStorage();
    await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    await t?.close();
  });

  /** GetObject with ChecksumMode ENABLED, read to the end (the SDK validates as it reads). */
  const readValidated = async (key: string, extra: Record<string, unknown> = {}) => {
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED', ...extra }));
    return { got, bytes: await bodyBytes(got.Body) };
  };

  for (const algorithm of ALGORITHMS) {
    it(`PutObject with ${algorithm}: stored, answered and validated on GetObject`, async () => {
      const key = `put/${algorithm}`;
      const expected = await checksumOf(algorithm, data);
      const put = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, ChecksumAlgorithm: algorithm as ChecksumAlgorithm }));
      assert.equal((put as ChecksumFields)[field(algorithm)], expected);
      assert.equal(put.ChecksumType, 'FULL_OBJECT');
      const { got, bytes } = await readValidated(key);
      assert.equal((got as ChecksumFields)[field(algorithm)], expected);
      assert.equal(got.ChecksumType, 'FULL_OBJECT');
      assert.deepEqual(bytes, data);
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal((head as ChecksumFields)[field(algorithm)], expected);
    });

    it(`PutObject with ${algorithm} on a streamed body (aws-chunked with a trailer)`, async () => {
      const key = `stream/${algorithm}`;
      const size = 2 * MiB + 17;
      const bytes = bytesAt(31, 0, size);
      const put = await t.s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: randomStream(31, size), ContentLength: size, ChecksumAlgorithm: algorithm as ChecksumAlgorithm }),
      );
      assert.equal((put as ChecksumFields)[field(algorithm)], await checksumOf(algorithm, bytes));
      assert.equal(put.ETag, `"${md5Hex(bytes)}"`);
      const read = await readValidated(key);
      assert.deepEqual(read.bytes, bytes);
    });
  }

  it('uses the SDK default (CRC32) when no algorithm is named', async () => {
    const put = await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'default', Body: data }));
    assert.equal(put.ChecksumCRC32, await checksumOf('CRC32', data));
    const { got, bytes } = await readValidated('default');
    assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
    assert.deepEqual(bytes, data);
  });

  it('sends no whole-object checksum for a ranged read, and the bytes are right', async () => {
    const { got, bytes } = await readValidated('put/SHA256', { Range: 'bytes=1000-1999' });
    assert.equal(got.ChecksumSHA256, undefined);
    assert.deepEqual(bytes, data.subarray(1000, 2000));
  });

  it('refuses a wrong checksum with BadDigest and stores nothing', async () => {
    for (const algorithm of ALGORITHMS) {
      const wrong = await checksumOf(algorithm, Buffer.from('something else'));
      const key = `bad/${algorithm}`;
      await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, [field(algorithm)]: wrong })), 'BadDigest', 400);
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), 'NotFound', 404);
    }
  });

  it('keeps the previous version when an overwrite carries a wrong checksum', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep', Body: 'original' }));
    const wrong = await checksumOf('CRC32C', Buffer.from('nope'));
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep', Body: 'replacement', ChecksumCRC32C: wrong })), 'BadDigest', 400);
    // A streamed body with a wrong checksum header is refused the same way.
    await rejectsWith(
      t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep', Body: randomStream(32, 100_000), ContentLength: 100_000, ChecksumSHA256: await checksumOf('SHA256', Buffer.from('x')) })),
      'BadDigest',
      400,
    );
    const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'keep' }));
    assert.equal(await got.Body!.transformToString(), 'original');
  });

  it('refuses a wrong Content-MD5 with BadDigest', async () => {
    const md5 = Buffer.from(md5Hex('other'), 'hex').toString('base64');
    await rejectsWith(t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'md5', Body: 'body', ContentMD5: md5 })), 'BadDigest', 400);
    const good = Buffer.from(md5Hex('body'), 'hex').toString('base64');
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'md5', Body: 'body', ContentMD5: good }));
  });

  it('computes the checksum asked for on CopyObject', async () => {
    const res = await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copied-sha1', CopySource: `${BUCKET}/put/CRC32`, ChecksumAlgorithm: 'SHA1' }));
    assert.equal(res.CopyObjectResult?.ChecksumSHA1, await checksumOf('SHA1', data));
    const { got, bytes } = await readValidated('copied-sha1');
    assert.equal(got.ChecksumSHA1, res.CopyObjectResult?.ChecksumSHA1);
    assert.deepEqual(bytes, data);
    const kept = await t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copied-same', CopySource: `${BUCKET}/put/CRC64NVME` }));
    assert.equal(kept.CopyObjectResult?.ChecksumCRC64NVME, await checksumOf('CRC64NVME', data));
  });

  describe('multipart', () => {
    const parts = [bytesAt(40, 0, 5 * MiB), bytesAt(41, 0, 200_000)];
    const whole = Buffer.concat(parts);

    const uploadAll = async (key: string, algorithm: Algorithm, type: 'FULL_OBJECT' | 'COMPOSITE') => {
      const mp = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: algorithm as ChecksumAlgorithm, ChecksumType: type }));
      assert.equal(mp.ChecksumAlgorithm, algorithm);
      assert.equal(mp.ChecksumType, type);
      const completed: CompletedPart[] = [];
      for (const [i, body] of parts.entries()) {
        const res = await t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: mp.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: algorithm as ChecksumAlgorithm }));
        const value = (res as ChecksumFields)[field(algorithm)];
        assert.equal(value, await checksumOf(algorithm, body), `part ${i + 1}`);
        completed.push({ PartNumber: i + 1, ETag: res.ETag, [field(algorithm)]: value });
      }
      return { uploadId: mp.UploadId!, completed };
    };

    const cases: [Algorithm, 'FULL_OBJECT' | 'COMPOSITE'][] = [
      ['CRC32', 'FULL_OBJECT'],
      ['CRC32C', 'FULL_OBJECT'],
      ['CRC64NVME', 'FULL_OBJECT'],
      ['CRC32', 'COMPOSITE'],
      ['CRC32C', 'COMPOSITE'],
      ['SHA1', 'COMPOSITE'],
      ['SHA256', 'COMPOSITE'],
    ];
    for (const [algorithm, type] of cases) {
      it(`${type} ${algorithm}: the object's checksum, per-part checksums, validated reads`, async () => {
        const key = `mp/${type}/${algorithm}`;
        const { uploadId, completed } = await uploadAll(key, algorithm, type);
        const listed = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
        assert.equal(listed.ChecksumAlgorithm, algorithm);
        assert.equal(listed.ChecksumType, type);
        assert.deepEqual(listed.Parts?.map((p) => (p as ChecksumFields)[field(algorithm)]), completed.map((p) => (p as ChecksumFields)[field(algorithm)]));
        const done = await t.s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
        const expected = type === 'FULL_OBJECT' ? await checksumOf(algorithm, whole) : await compositeOf(algorithm, parts);
        assert.equal((done as ChecksumFields)[field(algorithm)], expected);
        assert.equal(done.ChecksumType, type);
        const { got, bytes } = await readValidated(key);
        assert.equal((got as ChecksumFields)[field(algorithm)], expected);
        assert.equal(got.ChecksumType, type);
        assert.deepEqual(bytes, whole);
        // A part read carries the part's own checksum, which the SDK validates.
        const part = await readValidated(key, { PartNumber: 2 });
        assert.equal((part.got as ChecksumFields)[field(algorithm)], await checksumOf(algorithm, parts[1]!));
        assert.deepEqual(part.bytes, parts[1]);
        const attrs = await t.s3.send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key: key, ObjectAttributes: ['Checksum', 'ObjectParts', 'ObjectSize', 'ETag'] }));
        assert.equal((attrs.Checksum as ChecksumFields | undefined)?.[field(algorithm)], expected);
        assert.equal(attrs.ObjectSize, whole.length);
        assert.equal(attrs.ObjectParts?.TotalPartsCount, 2);
      });
    }

    it('accepts the right whole-object checksum on CompleteMultipartUpload and refuses a wrong one (BadDigest)', async () => {
      const full = await uploadAll('mp/final/full', 'CRC32C', 'FULL_OBJECT');
      const wrongFull = await checksumOf('CRC32C', parts[0]!);
      await rejectsWith(
        t.s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/final/full', UploadId: full.uploadId, MultipartUpload: { Parts: full.completed }, ChecksumCRC32C: wrongFull })),
        'BadDigest',
        400,
      );
      await rejectsWith(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mp/final/full' })), 'NotFound', 404);
      const right = await checksumOf('CRC32C', whole);
      const done = await t.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/final/full', UploadId: full.uploadId, MultipartUpload: { Parts: full.completed }, ChecksumCRC32C: right, ChecksumType: 'FULL_OBJECT' }),
      );
      assert.equal(done.ChecksumCRC32C, right);

      const composite = await uploadAll('mp/final/composite', 'SHA256', 'COMPOSITE');
      const expected = await compositeOf('SHA256', parts);
      const done2 = await t.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/final/composite', UploadId: composite.uploadId, MultipartUpload: { Parts: composite.completed }, ChecksumSHA256: expected }),
      );
      assert.equal(done2.ChecksumSHA256, expected);
    });

    it('refuses checksum types an algorithm cannot have, and a part in another algorithm', async () => {
      await rejectsWith(t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/combo', ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' })), 'InvalidRequest', 400);
      await rejectsWith(t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/combo', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })), 'InvalidRequest', 400);
      const mp = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/combo', ChecksumAlgorithm: 'SHA256' }));
      assert.equal(mp.ChecksumType, 'COMPOSITE', 'COMPOSITE is the default type for SHA256');
      const mismatch = await rejectsWith(t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/combo', UploadId: mp.UploadId, PartNumber: 1, Body: parts[1], ChecksumAlgorithm: 'CRC32' })), 'InvalidRequest', 400);
      assert.match(mismatch.message, /expected checksum Type: sha256, actual checksum Type: crc32/);
      const listed = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/combo', UploadId: mp.UploadId }));
      assert.equal(listed.Parts, undefined);
      const crc64 = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/combo', ChecksumAlgorithm: 'CRC64NVME' }));
      assert.equal(crc64.ChecksumType, 'FULL_OBJECT', 'FULL_OBJECT is the only type for CRC64NVME');
    });

    it('streams a lib-storage upload with CRC64NVME, validated end to end on the way back', async () => {
      const size = 13 * MiB + 5;
      const up = new Upload({ client: t.s3, params: { Bucket: BUCKET, Key: 'mp/lib-crc64', Body: randomStream(43, size), ChecksumAlgorithm: 'CRC64NVME' }, partSize: 5 * MiB, queueSize: 2 });
      const res = await up.done();
      const expected = await checksumOf('CRC64NVME', bytesAt(43, 0, size));
      assert.equal(res.ChecksumCRC64NVME, expected);
      assert.equal(res.ChecksumType, 'FULL_OBJECT');
      const got = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/lib-crc64', ChecksumMode: 'ENABLED' }));
      assert.equal(got.ChecksumCRC64NVME, expected);
      const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
      assert.equal(read.sha256, sha256At(43, 0, size));
    });

    it('computes the checksum of a part copied with UploadPartCopy', async () => {
      const key = 'mp/part-copy';
      const mp = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32C', ChecksumType: 'FULL_OBJECT' }));
      const first = await t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: mp.UploadId, PartNumber: 1, Body: parts[0], ChecksumAlgorithm: 'CRC32C' }));
      const copied = await t.s3.send(
        new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId: mp.UploadId, PartNumber: 2, CopySource: `${BUCKET}/put/SHA256`, CopySourceRange: 'bytes=100-50099' }),
      );
      const slice = data.subarray(100, 50_100);
      assert.equal(copied.CopyPartResult?.ChecksumCRC32C, await checksumOf('CRC32C', slice));
      const done = await t.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: mp.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: first.ETag, ChecksumCRC32C: first.ChecksumCRC32C },
              { PartNumber: 2, ETag: copied.CopyPartResult?.ETag, ChecksumCRC32C: copied.CopyPartResult?.ChecksumCRC32C },
            ],
          },
        }),
      );
      const whole = Buffer.concat([parts[0]!, slice]);
      assert.equal(done.ChecksumCRC32C, await checksumOf('CRC32C', whole));
      const { bytes } = await readValidated(key);
      assert.deepEqual(bytes, whole);
    });

    it('refuses a part whose checksum is wrong (BadDigest), keeping no part', async () => {
      const mp = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/badpart', ChecksumAlgorithm: 'CRC32' }));
      const wrong = await checksumOf('CRC32', Buffer.from('other'));
      await rejectsWith(t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/badpart', UploadId: mp.UploadId, PartNumber: 1, Body: parts[1], ChecksumCRC32: wrong })), 'BadDigest', 400);
      const listed = await t.s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/badpart', UploadId: mp.UploadId }));
      assert.equal(listed.Parts, undefined);
    });

    it('refuses a part checksum in CompleteMultipartUpload that is not the uploaded one (InvalidPart)', async () => {
      const { uploadId, completed } = await uploadAll('mp/wrong-part-sum', 'CRC32', 'COMPOSITE');
      const altered = completed.map((p, i) => (i === 1 ? { ...p, ChecksumCRC32: completed[0]!.ChecksumCRC32 } : p));
      await rejectsWith(t.s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/wrong-part-sum', UploadId: uploadId, MultipartUpload: { Parts: altered } })), 'InvalidPart', 400);
    });
  });
});
