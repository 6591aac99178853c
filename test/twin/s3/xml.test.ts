/**
 * The XML builders, checked twice: parsed back with fast-xml-parser (element names and order as in
 * the S3 API reference) and fed to the AWS SDK's own deserializers through a request handler that
 * answers without a network, so what a real client reads is what the builder meant.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from '../../../src/twin/s3/s3-error.ts';
import {
  completeMultipartUploadXml,
  copyObjectResultXml,
  copyPartResultXml,
  deleteResultXml,
  errorXml,
  escapeXml,
  initiateMultipartUploadXml,
  isoTime,
  listBucketsXml,
  listMultipartUploadsXml,
  listObjectsV1Xml,
  listObjectsV2Xml,
  listPartsXml,
  listVersionsXml,
  locationConstraintXml,
  objectAttributesXml,
  objectLocation,
  probeAnswer,
  S3_XMLNS,
  urlEncodeKey,
  versioningConfigurationXml,
  type Owner,
} from '../../../src/twin/s3/xml.ts';

const OWNER: Owner = { id: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', displayName: 'hastack' };
const T = Date.parse('2024-05-01T12:00:00.750Z');

/** An S3 client whose every request is answered with `body` and `status`, no network involved. */
function answering(status: number, body: string, headers: Record<string, string> = {}): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: status,
          headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'req-1', ...headers },
          body: Readable.from([Buffer.from(body)]),
        },
      }),
    } as never,
  });
}

/** Element names of the root's children, in document order. */
function childNames(xml: string): { root: string; children: string[]; xmlns?: string } {
  const parsed = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as Record<string, unknown>[];
  const rootNode = parsed.find((n) => !Object.keys(n)[0]!.startsWith('?'))!;
  const root = Object.keys(rootNode).find((k) => k !== ':@')!;
  const attrs = rootNode[':@'] as Record<string, string> | undefined;
  const kids = rootNode[root] as Record<string, unknown>[];
  return { root, children: kids.map((k) => Object.keys(k).find((n) => n !== ':@')!), xmlns: attrs?.['@xmlns'] };
}

function assertDeclaration(xml: string): void {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), xml.slice(0, 60));
}

describe('escaping and encoding', () => {
  it('GIVEN markup characters, CR and control characters WHEN escaped THEN entities and character references', () => {
    assert.equal(escapeXml('a&b<c>"d\'e'), 'a&amp;b&lt;c&gt;&quot;d\'e');
    assert.equal(escapeXml('x\ry\u0001z\tw\n'), 'x&#xD;y&#x1;z\tw\n');
  });

  for (const [key, encoded] of [
    ['a b', 'a%20b'],
    ['a+b', 'a%2Bb'],
    ['dir/file.txt', 'dir/file.txt'],
    ['~-_.', '~-_.'],
    ["!'()*", '%21%27%28%29%2A'],
    ['café', 'caf%C3%A9'],
    ['\u0001', '%01'],
  ] as const) {
    it(`GIVEN ${JSON.stringify(key)} WHEN url-encoded as S3 does THEN ${encoded}`, () => {
      assert.equal(urlEncodeKey(key), encoded);
    });
  }

  it('GIVEN a time with milliseconds WHEN formatted THEN ISO 8601 at whole seconds', () => {
    assert.equal(isoTime(T), '2024-05-01T12:00:00.000Z');
  });

  it('GIVEN a path-style and a virtual-host request WHEN locating an object THEN the key is URL-encoded', () => {
    assert.equal(objectLocation({ protocol: 'http', host: 'localhost:9000', bucket: 'b', key: 'a b/c', style: 'path' }), 'http://localhost:9000/b/a%20b/c');
    assert.equal(objectLocation({ protocol: 'https', host: 'b.localhost', bucket: 'b', key: 'k+1', style: 'virtual-host' }), 'https://b.localhost/k%2B1');
  });
});

describe('errorXml', () => {
  const err = new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: 'a&b' });

  it('GIVEN an S3Error WHEN rendered THEN Code, Message, fields, Resource, RequestId, HostId without a namespace', () => {
    const xml = errorXml(err, { requestId: 'req-1', hostId: 'host-1', resource: '/b/a&b' });
    assertDeclaration(xml);
    assert.deepEqual(childNames(xml), { root: 'Error', children: ['Code', 'Message', 'Key', 'Resource', 'RequestId', 'HostId'], xmlns: undefined });
    assert.ok(xml.includes('<Key>a&amp;b</Key>'));
  });

  it('GIVEN the error body WHEN the SDK reads it THEN it throws the named exception with the fields', async () => {
    const xml = errorXml(err, { requestId: 'req-1', hostId: 'host-1' });
    await assert.rejects(answering(404, xml).send(new GetObjectCommand({ Bucket: 'b', Key: 'a&b' })), (e: unknown) => {
      assert.ok(e instanceof S3ServiceException);
      assert.equal(e.name, 'NoSuchKey');
      assert.equal(e.message, 'The specified key does not exist.');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
  });
});

describe('bucket documents', () => {
  it('GIVEN buckets WHEN listed THEN ListAllMyBucketsResult reads back through the SDK', async () => {
    const xml = listBucketsXml({ owner: OWNER, buckets: [{ name: 'alpha', creationDate: T }, { name: 'beta', creationDate: T, region: 'eu-west-1' }] });
    assert.deepEqual(childNames(xml), { root: 'ListAllMyBucketsResult', children: ['Owner', 'Buckets'], xmlns: S3_XMLNS });
    const out = await answering(200, xml).send(new ListBucketsCommand({}));
    assert.deepEqual(
      out.Buckets?.map((b) => [b.Name, b.CreationDate?.toISOString(), b.BucketRegion]),
      [
        ['alpha', '2024-05-01T12:00:00.000Z', undefined],
        ['beta', '2024-05-01T12:00:00.000Z', 'eu-west-1'],
      ],
    );
    assert.equal(out.Owner?.ID, OWNER.id);
  });

  it('GIVEN no buckets WHEN listed THEN an empty Buckets element', async () => {
    const out = await answering(200, listBucketsXml({ owner: OWNER, buckets: [] })).send(new ListBucketsCommand({}));
    assert.deepEqual(out.Buckets ?? [], []);
  });

  it('GIVEN us-east-1 and another region WHEN locating THEN an empty constraint and the region name', async () => {
    assert.equal(locationConstraintXml('us-east-1'), `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}"/>`);
    const east = await answering(200, locationConstraintXml('us-east-1')).send(new GetBucketLocationCommand({ Bucket: 'b' }));
    assert.ok(east.LocationConstraint === undefined || String(east.LocationConstraint) === '');
    const west = await answering(200, locationConstraintXml('eu-west-1')).send(new GetBucketLocationCommand({ Bucket: 'b' }));
    assert.equal(west.LocationConstraint, 'eu-west-1');
  });

  it('GIVEN versioning never set, enabled, suspended WHEN rendered THEN the SDK reads no status, Enabled, Suspended', async () => {
    assert.equal(versioningConfigurationXml(undefined), `<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="${S3_XMLNS}"/>`);
    for (const status of [undefined, 'Enabled', 'Suspended'] as const) {
      const out = await answering(200, versioningConfigurationXml(status)).send(new GetBucketVersioningCommand({ Bucket: 'b' }));
      assert.equal(out.Status, status);
    }
  });
});

describe('object listings', () => {
  const contents = [
    { key: 'a&b.txt', lastModified: T, etag: '"e1"', size: 3, checksumAlgorithm: 'CRC32' as const, checksumType: 'FULL_OBJECT' as const },
    { key: 'c d+e', lastModified: T, etag: '"e2-2"', size: 10 },
  ];

  it('GIVEN a truncated v1 listing with a delimiter WHEN rendered THEN elements in S3 order and NextMarker for the SDK', async () => {
    const xml = listObjectsV1Xml({
      bucket: 'b',
      prefix: '',
      marker: '',
      nextMarker: 'c d+e',
      delimiter: '/',
      maxKeys: 2,
      isTruncated: true,
      contents,
      commonPrefixes: ['dir/'],
      owner: OWNER,
    });
    assert.deepEqual(childNames(xml).children, [
      'Name', 'Prefix', 'Marker', 'NextMarker', 'MaxKeys', 'Delimiter', 'IsTruncated', 'Contents', 'Contents', 'CommonPrefixes',
    ]);
    const out = await answering(200, xml).send(new ListObjectsCommand({ Bucket: 'b' }));
    assert.equal(out.NextMarker, 'c d+e');
    assert.equal(out.IsTruncated, true);
    assert.deepEqual(out.Contents?.map((c) => [c.Key, c.ETag, c.Size, c.Owner?.ID, c.StorageClass]), [
      ['a&b.txt', '"e1"', 3, OWNER.id, 'STANDARD'],
      ['c d+e', '"e2-2"', 10, OWNER.id, 'STANDARD'],
    ]);
    assert.deepEqual(out.Contents?.[0]?.ChecksumAlgorithm, ['CRC32']);
    assert.deepEqual(out.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);
  });

  it('GIVEN a truncated v1 listing without a delimiter WHEN rendered THEN no NextMarker, as S3 (clients use the last key)', () => {
    const xml = listObjectsV1Xml({ bucket: 'b', nextMarker: 'x', maxKeys: 1, isTruncated: true, contents, commonPrefixes: [], owner: OWNER });
    assert.ok(!xml.includes('NextMarker'));
    assert.ok(xml.includes('<Prefix></Prefix><Marker></Marker>'));
  });

  it('GIVEN a v2 listing WHEN rendered THEN KeyCount counts keys and prefixes, tokens pass verbatim, no owner unless fetched', async () => {
    const xml = listObjectsV2Xml({
      bucket: 'b',
      prefix: 'p',
      continuationToken: 'tok+/=',
      nextContinuationToken: 'next+/=',
      startAfter: 'a',
      maxKeys: 3,
      isTruncated: true,
      delimiter: '/',
      contents,
      commonPrefixes: ['p/'],
    });
    assert.deepEqual(childNames(xml).children, [
      'Name', 'Prefix', 'ContinuationToken', 'NextContinuationToken', 'KeyCount', 'MaxKeys', 'Delimiter', 'IsTruncated', 'StartAfter',
      'Contents', 'Contents', 'CommonPrefixes',
    ]);
    const out = await answering(200, xml).send(new ListObjectsV2Command({ Bucket: 'b' }));
    assert.equal(out.KeyCount, 3);
    assert.equal(out.ContinuationToken, 'tok+/=');
    assert.equal(out.NextContinuationToken, 'next+/=');
    assert.equal(out.StartAfter, 'a');
    assert.equal(out.Contents?.[0]?.Owner, undefined);
    const withOwner = await answering(200, listObjectsV2Xml({ bucket: 'b', maxKeys: 1, isTruncated: false, contents, commonPrefixes: [], owner: OWNER })).send(
      new ListObjectsV2Command({ Bucket: 'b' }),
    );
    assert.equal(withOwner.Contents?.[0]?.Owner?.ID, OWNER.id);
  });

  it('GIVEN encoding-type=url WHEN rendered THEN Key, Prefix, Delimiter, StartAfter and prefixes are encoded, tokens are not', async () => {
    const xml = listObjectsV2Xml({
      bucket: 'b',
      prefix: 'a b/',
      delimiter: '/',
      startAfter: 'a b/0',
      continuationToken: 'x y',
      maxKeys: 5,
      isTruncated: false,
      encodingType: 'url',
      contents: [{ key: 'a b/c+d\u0001', lastModified: T, etag: '"e"', size: 1 }],
      commonPrefixes: ['a b/sub dir/'],
    });
    const out = await answering(200, xml).send(new ListObjectsV2Command({ Bucket: 'b', EncodingType: 'url' }));
    assert.equal(out.EncodingType, 'url');
    assert.equal(out.Prefix, 'a%20b/');
    assert.equal(out.StartAfter, 'a%20b/0');
    assert.equal(out.ContinuationToken, 'x y');
    assert.equal(out.Contents?.[0]?.Key, 'a%20b/c%2Bd%01');
    assert.equal(decodeURIComponent(out.Contents?.[0]?.Key ?? ''), 'a b/c+d\u0001');
    assert.deepEqual(out.CommonPrefixes?.map((p) => p.Prefix), ['a%20b/sub%20dir/']);
  });

  it('GIVEN an empty delimiter WHEN rendered THEN no Delimiter element, as S3 omits it', () => {
    assert.ok(!listObjectsV2Xml({ bucket: 'b', delimiter: '', maxKeys: 1, isTruncated: false, contents: [], commonPrefixes: [] }).includes('Delimiter'));
  });

  it('GIVEN a key with CR, tab and markup WHEN listed without encoding THEN the SDK reads it back exactly', async () => {
    const key = 'x\r\ny\t<&>"\'';
    const xml = listObjectsV2Xml({ bucket: 'b', maxKeys: 1, isTruncated: false, contents: [{ key, lastModified: T, etag: '"e"', size: 1 }], commonPrefixes: [] });
    const out = await answering(200, xml).send(new ListObjectsV2Command({ Bucket: 'b' }));
    assert.equal(out.Contents?.[0]?.Key, key);
  });

  it('GIVEN versions and delete markers WHEN listed THEN they interleave in order and the SDK sorts them into its lists', async () => {
    const xml = listVersionsXml({
      bucket: 'b',
      prefix: '',
      keyMarker: '',
      versionIdMarker: '',
      nextKeyMarker: 'k2',
      nextVersionIdMarker: 'v4',
      maxKeys: 3,
      isTruncated: true,
      owner: OWNER,
      commonPrefixes: [],
      entries: [
        { kind: 'deleteMarker', key: 'k1', versionId: 'v3', isLatest: true, lastModified: T },
        { kind: 'version', key: 'k1', versionId: 'v2', isLatest: false, lastModified: T, etag: '"e2"', size: 2 },
        { kind: 'version', key: 'k2', versionId: 'null', isLatest: true, lastModified: T, etag: '"e1"', size: 1, checksumAlgorithm: 'SHA256' },
      ],
    });
    assert.deepEqual(childNames(xml).children, [
      'Name', 'Prefix', 'KeyMarker', 'VersionIdMarker', 'NextKeyMarker', 'NextVersionIdMarker', 'MaxKeys', 'IsTruncated',
      'DeleteMarker', 'Version', 'Version',
    ]);
    const out = await answering(200, xml).send(new ListObjectVersionsCommand({ Bucket: 'b' }));
    assert.deepEqual(out.DeleteMarkers?.map((d) => [d.Key, d.VersionId, d.IsLatest, d.Owner?.ID]), [['k1', 'v3', true, OWNER.id]]);
    assert.deepEqual(out.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.ETag, v.Size]), [
      ['k1', 'v2', false, '"e2"', 2],
      ['k2', 'null', true, '"e1"', 1],
    ]);
    assert.equal(out.NextKeyMarker, 'k2');
    assert.equal(out.NextVersionIdMarker, 'v4');
  });
});

describe('DeleteObjects results', () => {
  const entries = [
    { kind: 'deleted' as const, key: 'a' },
    { kind: 'deleted' as const, key: 'b', deleteMarker: true, deleteMarkerVersionId: 'dm1' },
    { kind: 'deleted' as const, key: 'c', versionId: 'v1' },
    { kind: 'error' as const, key: 'd', versionId: 'v9', code: 'AccessDenied', message: 'Access Denied' },
  ];

  it('GIVEN deletions and an error WHEN rendered THEN the SDK reads Deleted and Errors', async () => {
    const xml = deleteResultXml({ entries, quiet: false });
    assert.deepEqual(childNames(xml).children, ['Deleted', 'Deleted', 'Deleted', 'Error']);
    const out = await answering(200, xml).send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'a' }] } }));
    assert.deepEqual(out.Deleted?.map((d) => [d.Key, d.VersionId, d.DeleteMarker, d.DeleteMarkerVersionId]), [
      ['a', undefined, undefined, undefined],
      ['b', undefined, true, 'dm1'],
      ['c', 'v1', undefined, undefined],
    ]);
    assert.deepEqual(out.Errors?.map((e) => [e.Key, e.VersionId, e.Code, e.Message]), [['d', 'v9', 'AccessDenied', 'Access Denied']]);
  });

  it('GIVEN quiet mode WHEN rendered THEN only errors are listed, and nothing at all when none failed', () => {
    assert.deepEqual(childNames(deleteResultXml({ entries, quiet: true })).children, ['Error']);
    assert.equal(deleteResultXml({ entries: entries.slice(0, 2), quiet: true }), `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_XMLNS}"/>`);
  });
});

describe('copy and multipart documents', () => {
  it('GIVEN a copy WHEN rendered THEN CopyObjectResult and CopyPartResult read back with their checksum', async () => {
    const input = { etag: '"abc"', lastModified: T, checksum: { algorithm: 'CRC32C' as const, value: 'AAAAAA==', type: 'FULL_OBJECT' as const } };
    const obj = await answering(200, copyObjectResultXml(input)).send(new CopyObjectCommand({ Bucket: 'b', Key: 'k', CopySource: 's/k' }));
    assert.equal(obj.CopyObjectResult?.ETag, '"abc"');
    assert.equal(obj.CopyObjectResult?.LastModified?.toISOString(), '2024-05-01T12:00:00.000Z');
    assert.equal(obj.CopyObjectResult?.ChecksumCRC32C, 'AAAAAA==');
    assert.equal(obj.CopyObjectResult?.ChecksumType, 'FULL_OBJECT');
    const part = await answering(200, copyPartResultXml(input)).send(
      new UploadPartCopyCommand({ Bucket: 'b', Key: 'k', CopySource: 's/k', PartNumber: 1, UploadId: 'u' }),
    );
    assert.equal(part.CopyPartResult?.ETag, '"abc"');
    assert.equal(part.CopyPartResult?.ChecksumCRC32C, 'AAAAAA==');
  });

  it('GIVEN a new upload WHEN rendered THEN InitiateMultipartUploadResult gives Bucket, Key, UploadId', async () => {
    const xml = initiateMultipartUploadXml({ bucket: 'b', key: 'dir/k&1', uploadId: 'up-1' });
    assert.deepEqual(childNames(xml).children, ['Bucket', 'Key', 'UploadId']);
    const out = await answering(200, xml).send(new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'dir/k&1' }));
    assert.deepEqual([out.Bucket, out.Key, out.UploadId], ['b', 'dir/k&1', 'up-1']);
  });

  it('GIVEN a completed upload WHEN rendered THEN Location, Bucket, Key, ETag and the composite checksum', async () => {
    const xml = completeMultipartUploadXml({
      location: 'http://localhost:9000/b/k',
      bucket: 'b',
      key: 'k',
      etag: '"abc-2"',
      checksum: { algorithm: 'CRC32', value: 'AAAAAA==-2', type: 'COMPOSITE' },
    });
    assert.deepEqual(childNames(xml).children, ['Location', 'Bucket', 'Key', 'ETag', 'ChecksumCRC32', 'ChecksumType']);
    const out = await answering(200, xml).send(
      new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } }),
    );
    assert.deepEqual([out.Location, out.Bucket, out.Key, out.ETag, out.ChecksumCRC32, out.ChecksumType], [
      'http://localhost:9000/b/k', 'b', 'k', '"abc-2"', 'AAAAAA==-2', 'COMPOSITE',
    ]);
  });

  it('GIVEN parts WHEN listed THEN ListPartsResult reads back with markers, parts and checksums', async () => {
    const xml = listPartsXml({
      bucket: 'b',
      key: 'k',
      uploadId: 'u',
      initiator: OWNER,
      owner: OWNER,
      partNumberMarker: 0,
      nextPartNumberMarker: 2,
      maxParts: 2,
      isTruncated: true,
      checksumAlgorithm: 'SHA256',
      checksumType: 'COMPOSITE',
      parts: [
        { partNumber: 1, lastModified: T, etag: '"p1"', size: 5 * 1024 * 1024, checksum: 'c1=' },
        { partNumber: 2, lastModified: T, etag: '"p2"', size: 7, checksum: 'c2=' },
      ],
    });
    assert.deepEqual(childNames(xml).children, [
      'Bucket', 'Key', 'UploadId', 'Initiator', 'Owner', 'StorageClass', 'PartNumberMarker', 'NextPartNumberMarker', 'MaxParts',
      'IsTruncated', 'Part', 'Part', 'ChecksumAlgorithm', 'ChecksumType',
    ]);
    const out = await answering(200, xml).send(new ListPartsCommand({ Bucket: 'b', Key: 'k', UploadId: 'u' }));
    assert.equal(out.NextPartNumberMarker, '2');
    assert.equal(out.IsTruncated, true);
    assert.equal(out.ChecksumAlgorithm, 'SHA256');
    assert.deepEqual(out.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size, p.ChecksumSHA256]), [
      [1, '"p1"', 5 * 1024 * 1024, 'c1='],
      [2, '"p2"', 7, 'c2='],
    ]);
  });

  it('GIVEN open uploads WHEN listed THEN ListMultipartUploadsResult reads back, keys url-encoded when asked', async () => {
    const xml = listMultipartUploadsXml({
      bucket: 'b',
      keyMarker: '',
      uploadIdMarker: '',
      nextKeyMarker: 'k 2',
      nextUploadIdMarker: 'u2',
      maxUploads: 2,
      isTruncated: true,
      encodingType: 'url',
      owner: OWNER,
      uploads: [
        { key: 'k 1', uploadId: 'u1', initiated: T },
        { key: 'k 2', uploadId: 'u2', initiated: T, checksumAlgorithm: 'CRC32' },
      ],
      commonPrefixes: [],
    });
    const out = await answering(200, xml).send(new ListMultipartUploadsCommand({ Bucket: 'b', EncodingType: 'url' }));
    assert.deepEqual(out.Uploads?.map((u) => [u.Key, u.UploadId, u.Initiated?.toISOString(), u.Owner?.ID, u.Initiator?.ID]), [
      ['k%201', 'u1', '2024-05-01T12:00:00.000Z', OWNER.id, OWNER.id],
      ['k%202', 'u2', '2024-05-01T12:00:00.000Z', OWNER.id, OWNER.id],
    ]);
    assert.equal(out.NextKeyMarker, 'k%202');
    assert.equal(out.NextUploadIdMarker, 'u2');
    assert.equal(out.MaxUploads, 2);
  });

  it('GIVEN object attributes WHEN rendered THEN only those asked for, ETag unquoted, parts paged', async () => {
    const xml = objectAttributesXml({
      attributes: new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']),
      etag: '"abc-2"',
      size: 12,
      checksum: { algorithm: 'CRC32', value: 'AAAAAA==-2', type: 'COMPOSITE' },
      parts: { totalPartsCount: 2, partNumberMarker: 0, nextPartNumberMarker: 1, maxParts: 1, isTruncated: true, parts: [{ partNumber: 1, size: 6, checksum: 'p1=' }] },
    });
    assert.deepEqual(childNames(xml).children, ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);
    const out = await answering(200, xml, { 'last-modified': 'Wed, 01 May 2024 12:00:00 GMT' }).send(
      new GetObjectAttributesCommand({ Bucket: 'b', Key: 'k', ObjectAttributes: ['ETag'] }),
    );
    assert.equal(out.ETag, 'abc-2');
    assert.equal(out.ObjectSize, 12);
    assert.equal(out.StorageClass, 'STANDARD');
    assert.equal(out.Checksum?.ChecksumCRC32, 'AAAAAA==-2');
    assert.equal(out.ObjectParts?.TotalPartsCount, 2);
    assert.equal(out.ObjectParts?.IsTruncated, true);
    assert.deepEqual(out.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), [[1, 6, 'p1=']]);
    const some = objectAttributesXml({ attributes: new Set(['ObjectSize']), etag: '"e"', size: 1 });
    assert.deepEqual(childNames(some).children, ['ObjectSize']);
  });
});

describe('probeAnswer', () => {
  const bucket = { bucket: 'b' };

  it('GIVEN an operation this store implements WHEN probed THEN undefined (not a probe)', () => {
    assert.equal(probeAnswer({ operation: 'GetObject', ...bucket }, OWNER), undefined);
    assert.equal(probeAnswer({ operation: 'ListObjectsV2', ...bucket }, OWNER), undefined);
  });

  for (const [operation, code] of [
    ['GetBucketLifecycleConfiguration', 'NoSuchLifecycleConfiguration'],
    ['GetBucketPolicy', 'NoSuchBucketPolicy'],
    ['GetBucketTagging', 'NoSuchTagSet'],
    ['GetBucketCors', 'NoSuchCORSConfiguration'],
  ] as const) {
    it(`GIVEN ${operation} WHEN probed THEN 404 ${code} naming the bucket, which the SDK raises by that name`, async () => {
      const answer = probeAnswer({ operation, ...bucket }, OWNER);
      assert.ok(answer?.kind === 'error');
      assert.equal(answer.error.code, code);
      assert.equal(answer.error.status, 404);
      assert.equal(answer.error.fields.BucketName, 'b');
      const client = answering(404, errorXml(answer.error, { requestId: 'r' }));
      const command =
        operation === 'GetBucketPolicy'
          ? new GetBucketPolicyCommand({ Bucket: 'b' })
          : operation === 'GetBucketTagging'
            ? new GetBucketTaggingCommand({ Bucket: 'b' })
            : operation === 'GetBucketCors'
              ? new GetBucketCorsCommand({ Bucket: 'b' })
              : new GetBucketLifecycleConfigurationCommand({ Bucket: 'b' });
      await assert.rejects(client.send(command as never), (e: unknown) => e instanceof S3ServiceException && e.name === code);
    });
  }

  function body(operation: Parameters<typeof probeAnswer>[0]['operation']): string {
    const answer = probeAnswer({ operation, ...bucket }, OWNER);
    assert.ok(answer?.kind === 'xml', `${operation} should answer with XML`);
    assertDeclaration(answer.body);
    return answer.body;
  }

  it('GIVEN GetBucketAcl and GetObjectAcl WHEN probed THEN the owner holds FULL_CONTROL', async () => {
    for (const operation of ['GetBucketAcl', 'GetObjectAcl'] as const) {
      const out = await answering(200, body(operation)).send(new GetBucketAclCommand({ Bucket: 'b' }));
      assert.equal(out.Owner?.ID, OWNER.id);
      assert.deepEqual(out.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.ID, g.Permission]), [['CanonicalUser', OWNER.id, 'FULL_CONTROL']]);
    }
  });

  it('GIVEN the defaults S3 gives new buckets WHEN probed THEN encryption, public access block and ownership read back', async () => {
    const enc = await answering(200, body('GetBucketEncryption')).send(new GetBucketEncryptionCommand({ Bucket: 'b' }));
    assert.equal(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'AES256');
    const pab = await answering(200, body('GetPublicAccessBlock')).send(new GetPublicAccessBlockCommand({ Bucket: 'b' }));
    assert.deepEqual(pab.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const own = await answering(200, body('GetBucketOwnershipControls')).send(new GetBucketOwnershipControlsCommand({ Bucket: 'b' }));
    assert.equal(own.OwnershipControls?.Rules?.[0]?.ObjectOwnership, 'BucketOwnerEnforced');
  });

  it('GIVEN GetObjectTagging WHEN probed THEN an empty tag set', async () => {
    const out = await answering(200, body('GetObjectTagging')).send(new GetObjectTaggingCommand({ Bucket: 'b', Key: 'k' }));
    assert.deepEqual(out.TagSet ?? [], []);
  });

  it('GIVEN deletes of absent configurations and ACL writes WHEN probed THEN 204 and 200 with no body', () => {
    assert.deepEqual(probeAnswer({ operation: 'DeleteBucketCors', ...bucket }, OWNER), { kind: 'empty', status: 204 });
    assert.deepEqual(probeAnswer({ operation: 'DeleteObjectTagging', ...bucket }, OWNER), { kind: 'empty', status: 204 });
    assert.deepEqual(probeAnswer({ operation: 'PutObjectAcl', ...bucket }, OWNER), { kind: 'empty', status: 200 });
  });

  it('GIVEN configuration writes this store would not honour, or an unknown sub-resource WHEN probed THEN 501 NotImplemented', () => {
    for (const operation of ['PutBucketLifecycleConfiguration', 'PutBucketPolicy', 'PutBucketCors', 'PutObjectTagging', 'DeletePublicAccessBlock'] as const) {
      const answer = probeAnswer({ operation, ...bucket }, OWNER);
      assert.ok(answer?.kind === 'error', operation);
      assert.equal(answer.error.code, 'NotImplemented');
      assert.equal(answer.error.status, 501);
    }
    const unsupported = probeAnswer({ operation: 'Unsupported', subResource: 'website', ...bucket }, OWNER);
    assert.ok(unsupported?.kind === 'error');
    assert.match(unsupported.error.message, /website/);
  });
});
