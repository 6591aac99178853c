import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseCopySource,
  parseCopySourceRange,
  parseMetadataDirective,
  parseObjectAttributes,
  parseStorageClass,
  readObjectHeaders,
  writeObjectHeaders,
} from '../../../src/twin/s3/object-headers.ts';
import type { VersionRecord } from '../../../src/twin/storage/records.ts';
import { s3Code } from './s3-code.ts';


describe('readObjectHeaders', () => {
  it('GIVEN no Content-Type WHEN read THEN binary/octet-stream, as S3 stores', () => {
    assert.deepEqual(readObjectHeaders({}), { contentType: 'binary/octet-stream', userMetadata: {} });
  });

  it('GIVEN every stored header WHEN read THEN each is kept as sent', () => {
    const h = readObjectHeaders({
      'content-type': 'text/plain; charset=utf-8',
      'content-encoding': 'gzip',
      'content-disposition': 'attachment; filename="a.txt"',
      'content-language': 'en',
      'cache-control': 'max-age=60',
      expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
      'x-amz-meta-color': 'Blue',
      'x-amz-meta-my-key': 'v',
      authorization: 'ignored',
      'x-amz-content-sha256': 'ignored',
    });
    assert.deepEqual(h, {
      contentType: 'text/plain; charset=utf-8',
      contentEncoding: 'gzip',
      contentDisposition: 'attachment; filename="a.txt"',
      contentLanguage: 'en',
      cacheControl: 'max-age=60',
      expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
      userMetadata: { color: 'Blue', 'my-key': 'v' },
    });
  });

  it('GIVEN metadata names in mixed case (not from Node) WHEN read THEN they are lower-cased', () => {
    assert.deepEqual(readObjectHeaders({ 'X-Amz-Meta-Author': 'Ann' }).userMetadata, { author: 'Ann' });
  });

  for (const [sent, stored] of [
    ['aws-chunked', undefined],
    ['aws-chunked, gzip', 'gzip'],
    ['gzip,aws-chunked', 'gzip'],
    ['AWS-CHUNKED', undefined],
    ['br', 'br'],
  ] as const) {
    it(`GIVEN Content-Encoding "${sent}" WHEN read THEN ${stored === undefined ? 'none is stored' : `"${stored}" is stored`}`, () => {
      assert.equal(readObjectHeaders({ 'content-encoding': sent }).contentEncoding, stored);
    });
  }

  it('GIVEN 2 KB of metadata WHEN read THEN it fits; one byte more THEN MetadataTooLarge', () => {
    const name = 'k'; // 1 byte
    assert.doesNotThrow(() => readObjectHeaders({ [`x-amz-meta-${name}`]: 'v'.repeat(2047) }));
    assert.throws(
      () => readObjectHeaders({ [`x-amz-meta-${name}`]: 'v'.repeat(2048) }),
      s3Code('MetadataTooLarge', { Size: 2049, MaxSizeAllowed: 2048 }),
    );
  });

  it('GIVEN metadata spread over several headers WHEN read THEN names and values all count', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 30; i++) headers[`x-amz-meta-field${String(i).padStart(2, '0')}`] = 'x'.repeat(62); // 7 + 62 = 69 each
    assert.throws(() => readObjectHeaders(headers), s3Code('MetadataTooLarge', { Size: 30 * 69 }));
  });
});

describe('writeObjectHeaders', () => {
  const base: VersionRecord = {
    type: 'version',
    bucket: 'b',
    key: 'k',
    versionId: 'null',
    seq: '000000000001000000',
    kind: 'object',
    lastModified: Date.parse('2024-05-01T12:00:00.750Z'),
    size: 12,
    etag: '"abc"',
    headers: { contentType: 'text/plain', cacheControl: 'no-cache', userMetadata: { color: 'blue' } },
  };

  it('GIVEN an unversioned object WHEN written THEN S3 headers, RFC 7231 date, no version id', () => {
    assert.deepEqual(writeObjectHeaders(base), {
      etag: '"abc"',
      'last-modified': 'Wed, 01 May 2024 12:00:00 GMT',
      'accept-ranges': 'bytes',
      'content-type': 'text/plain',
      'cache-control': 'no-cache',
      'x-amz-meta-color': 'blue',
      'x-amz-server-side-encryption': 'AES256',
    });
  });

  it('GIVEN a versioned object, or the null version of a versioned bucket WHEN written THEN x-amz-version-id', () => {
    assert.equal(writeObjectHeaders({ ...base, versionId: 'v123' })['x-amz-version-id'], 'v123');
    assert.equal(writeObjectHeaders(base, { versioningConfigured: true })['x-amz-version-id'], 'null');
  });

  it('GIVEN a record without Content-Type WHEN written THEN binary/octet-stream', () => {
    assert.equal(writeObjectHeaders({ ...base, headers: { userMetadata: {} } })['content-type'], 'binary/octet-stream');
  });

  const withChecksum: VersionRecord = {
    ...base,
    etag: '"abc-2"',
    checksum: { algorithm: 'CRC32C', type: 'COMPOSITE', value: 'AAAAAA==-2' },
    parts: [
      { partNumber: 1, size: 6, etag: '"p1"', checksum: 'p1sum==' },
      { partNumber: 2, size: 6, etag: '"p2"', checksum: 'p2sum==' },
    ],
  };

  it('GIVEN a checksum but no checksum mode WHEN written THEN no checksum headers', () => {
    const h = writeObjectHeaders(withChecksum);
    assert.equal(h['x-amz-checksum-crc32c'], undefined);
    assert.equal(h['x-amz-checksum-type'], undefined);
    assert.equal(h['x-amz-mp-parts-count'], undefined);
  });

  it('GIVEN checksum mode WHEN written THEN x-amz-checksum-<alg> and its type', () => {
    const h = writeObjectHeaders(withChecksum, { checksumMode: true });
    assert.equal(h['x-amz-checksum-crc32c'], 'AAAAAA==-2');
    assert.equal(h['x-amz-checksum-type'], 'COMPOSITE');
  });

  it('GIVEN a part read of a multipart object WHEN written THEN the parts count, and the part checksum in checksum mode', () => {
    const h = writeObjectHeaders(withChecksum, { checksumMode: true, partNumber: 2 });
    assert.equal(h['x-amz-mp-parts-count'], '2');
    assert.equal(h['x-amz-checksum-crc32c'], 'p2sum==');
    assert.equal(writeObjectHeaders(base, { partNumber: 1 })['x-amz-mp-parts-count'], undefined);
  });
});

describe('copy headers', () => {
  const sources: [value: string, bucket: string, key: string, versionId?: string][] = [
    ['src/key', 'src', 'key'],
    ['/src/key', 'src', 'key'],
    ['src/dir/a%20b.txt', 'src', 'dir/a b.txt'],
    ['src/a+b', 'src', 'a+b'],
    ['src/a%2Bb', 'src', 'a+b'],
    ['src/q%3Fmark', 'src', 'q?mark'],
    ['src//lead', 'src', '/lead'],
    ['src/caf%C3%A9', 'src', 'café'],
    ['src/key?versionId=v1', 'src', 'key', 'v1'],
    ['/src/a%2Fb?versionId=3%2B4', 'src', 'a/b', '3+4'],
  ];
  for (const [value, bucket, key, versionId] of sources) {
    it(`GIVEN x-amz-copy-source "${value}" WHEN parsed THEN ${bucket} / ${JSON.stringify(key)}${versionId ? ` @ ${versionId}` : ''}`, () => {
      assert.deepEqual(parseCopySource(value), versionId === undefined ? { bucket, key } : { bucket, key, versionId });
    });
  }

  for (const value of ['', 'bucketonly', '/bucketonly', 'bucket/', '/key-without-bucket', 'src/%E0%A4%A', 'src/key?versionId=']) {
    it(`GIVEN x-amz-copy-source "${value}" WHEN parsed THEN InvalidArgument names the header`, () => {
      assert.throws(() => parseCopySource(value), s3Code('InvalidArgument', { ArgumentName: 'x-amz-copy-source' }));
    });
  }

  it('GIVEN a copy-source range within the source WHEN parsed THEN its offsets', () => {
    assert.deepEqual(parseCopySourceRange('bytes=0-9', 10), { start: 0, end: 9 });
    assert.deepEqual(parseCopySourceRange('bytes=3-3', 10), { start: 3, end: 3 });
  });

  for (const value of ['bytes=0-', 'bytes=-5', 'bytes=5-3', 'items=0-1', 'bytes=0-10', 'bytes=0-1,2-3']) {
    it(`GIVEN x-amz-copy-source-range "${value}" on 10 bytes WHEN parsed THEN InvalidArgument names the header`, () => {
      assert.throws(() => parseCopySourceRange(value, 10), s3Code('InvalidArgument', { ArgumentName: 'x-amz-copy-source-range' }));
    });
  }

  it('GIVEN x-amz-metadata-directive WHEN parsed THEN COPY by default, REPLACE when asked, else InvalidArgument', () => {
    assert.equal(parseMetadataDirective(undefined), 'COPY');
    assert.equal(parseMetadataDirective('COPY'), 'COPY');
    assert.equal(parseMetadataDirective('REPLACE'), 'REPLACE');
    assert.throws(() => parseMetadataDirective('MERGE'), s3Code('InvalidArgument', { ArgumentName: 'x-amz-metadata-directive' }));
  });

  it('GIVEN x-amz-storage-class WHEN parsed THEN known classes pass and others are InvalidStorageClass', () => {
    assert.equal(parseStorageClass(undefined), undefined);
    for (const c of ['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'INTELLIGENT_TIERING', 'REDUCED_REDUNDANCY']) assert.equal(parseStorageClass(c), c);
    assert.throws(() => parseStorageClass('standard'), s3Code('InvalidStorageClass', { StorageClassRequested: 'standard' }));
    assert.throws(() => parseStorageClass('COLD'), s3Code('InvalidStorageClass'));
  });

  it('GIVEN x-amz-object-attributes WHEN parsed THEN the set, and InvalidArgument for empty or unknown names', () => {
    assert.deepEqual([...parseObjectAttributes('ETag, ObjectSize')], ['ETag', 'ObjectSize']);
    assert.deepEqual([...parseObjectAttributes(['Checksum', 'ObjectParts'])], ['Checksum', 'ObjectParts']);
    assert.throws(() => parseObjectAttributes(undefined), s3Code('InvalidArgument', { ArgumentName: 'x-amz-object-attributes' }));
    assert.throws(() => parseObjectAttributes('ETag,Colour'), s3Code('InvalidArgument', { ArgumentValue: 'Colour' }));
  });
});
