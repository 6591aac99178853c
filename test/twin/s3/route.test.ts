import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketFromHost, routeRequest, type Route } from '../../../src/twin/s3/route.ts';
import { isS3Error } from '../../../src/twin/s3/s3-error.ts';
import { s3Code } from './s3-code.ts';

const SUFFIXES = ['localhost', 's3.localhost'];

function route(method: string, rawUrl: string, options: { host?: string; headers?: Record<string, string> } = {}): Route {
  return routeRequest({
    method,
    rawUrl,
    host: options.host ?? '127.0.0.1:9000',
    virtualHostSuffixes: SUFFIXES,
    headers: options.headers ?? {},
  });
}


const COPY = { 'x-amz-copy-source': '/src/key' };

describe('routeRequest: operations', () => {
  const table: [method: string, url: string, operation: string, headers?: Record<string, string>][] = [
    ['GET', '/', 'ListBuckets'],
    ['GET', '/?x-id=ListBuckets&max-buckets=10', 'ListBuckets'],
    ['PUT', '/b', 'CreateBucket'],
    ['PUT', '/b/', 'CreateBucket'],
    ['DELETE', '/b', 'DeleteBucket'],
    ['HEAD', '/b', 'HeadBucket'],
    ['GET', '/b?location', 'GetBucketLocation'],
    ['GET', '/b?versioning', 'GetBucketVersioning'],
    ['PUT', '/b?versioning', 'PutBucketVersioning'],
    ['GET', '/b', 'ListObjects'],
    ['GET', '/b?prefix=a&marker=m&max-keys=2', 'ListObjects'],
    ['GET', '/b?list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/b?versions&prefix=a', 'ListObjectVersions'],
    ['GET', '/b?uploads', 'ListMultipartUploads'],
    ['POST', '/b?delete', 'DeleteObjects'],
    ['POST', '/b?delete=', 'DeleteObjects'],
    ['PUT', '/b/k', 'PutObject'],
    ['PUT', '/b/k', 'CopyObject', COPY],
    ['GET', '/b/k', 'GetObject'],
    ['GET', '/b/k?versionId=v1&partNumber=2&x-id=GetObject', 'GetObject'],
    ['GET', '/b/k?response-content-type=text%2Fplain', 'GetObject'],
    ['HEAD', '/b/k', 'HeadObject'],
    ['DELETE', '/b/k', 'DeleteObject'],
    ['DELETE', '/b/k?versionId=v1', 'DeleteObject'],
    ['POST', '/b/k?uploads', 'CreateMultipartUpload'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', 'UploadPart'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', 'UploadPartCopy', COPY],
    ['POST', '/b/k?uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', '/b/k?uploadId=u', 'AbortMultipartUpload'],
    ['GET', '/b/k?uploadId=u&max-parts=10', 'ListParts'],
    ['GET', '/b/k?attributes', 'GetObjectAttributes'],
    ['GET', '/b?acl', 'GetBucketAcl'],
    ['PUT', '/b?acl', 'PutBucketAcl'],
    ['GET', '/b/k?acl', 'GetObjectAcl'],
    ['PUT', '/b/k?acl', 'PutObjectAcl'],
    ['GET', '/b?lifecycle', 'GetBucketLifecycleConfiguration'],
    ['PUT', '/b?lifecycle', 'PutBucketLifecycleConfiguration'],
    ['DELETE', '/b?lifecycle', 'DeleteBucketLifecycle'],
    ['GET', '/b?policy', 'GetBucketPolicy'],
    ['GET', '/b?encryption', 'GetBucketEncryption'],
    ['GET', '/b?tagging', 'GetBucketTagging'],
    ['GET', '/b/k?tagging', 'GetObjectTagging'],
    ['DELETE', '/b/k?tagging', 'DeleteObjectTagging'],
    ['GET', '/b?cors', 'GetBucketCors'],
    ['GET', '/b?publicAccessBlock', 'GetPublicAccessBlock'],
    ['GET', '/b?ownershipControls', 'GetBucketOwnershipControls'],
    ['GET', '/b?requestPayment', 'GetBucketRequestPayment'],
  ];
  for (const [method, url, operation, headers] of table) {
    it(`GIVEN ${method} ${url}${headers === undefined ? '' : ' with x-amz-copy-source'} WHEN routed THEN it is ${operation}`, () => {
      assert.equal(route(method, url, headers === undefined ? {} : { headers }).operation, operation);
    });
  }

  it('GIVEN a lower-case method WHEN routed THEN it routes as upper case', () => {
    assert.equal(route('get', '/b/k').operation, 'GetObject');
  });

  for (const [method, url, sub] of [
    ['GET', '/b?website', 'website'],
    ['GET', '/b?replication', 'replication'],
    ['GET', '/b?object-lock', 'object-lock'],
    ['PUT', '/b/k?retention', 'retention'],
    ['POST', '/b/k?restore', 'restore'],
    ['POST', '/b/k?select&select-type=2', 'select'],
    ['GET', '/b/k?torrent', 'torrent'],
    ['POST', '/b', 'POST'],
  ] as const) {
    it(`GIVEN ${method} ${url} WHEN routed THEN it is Unsupported naming "${sub}"`, () => {
      const r = route(method, url);
      assert.equal(r.operation, 'Unsupported');
      assert.equal(r.subResource, sub);
    });
  }

  it('GIVEN unknown query parameters WHEN routed THEN they are ignored, as S3 ignores them', () => {
    assert.equal(route('GET', '/b/k?foo=bar&X-Amz-Expires=60').operation, 'GetObject');
  });

  it('GIVEN the query WHEN routed THEN it is returned decoded', () => {
    const r = route('GET', '/b?list-type=2&prefix=a%20b%2Bc&delimiter=%2F');
    assert.equal(r.query.get('prefix'), 'a b+c');
    assert.equal(r.query.get('delimiter'), '/');
  });
});

describe('routeRequest: MethodNotAllowed', () => {
  for (const [method, url, resourceType] of [
    ['PUT', '/', 'SERVICE'],
    ['DELETE', '/', 'SERVICE'],
    ['PATCH', '/b', 'BUCKET'],
    ['PATCH', '/b/k', 'OBJECT'],
    ['POST', '/b/k', 'OBJECT'],
    ['OPTIONS', '/b/k', 'OBJECT'],
  ] as const) {
    it(`GIVEN ${method} ${url} WHEN routed THEN 405 names the method and resource type, with an allow header`, () => {
      assert.throws(
        () => route(method, url),
        (e: unknown) => {
          assert.ok(isS3Error(e));
          assert.equal(e.code, 'MethodNotAllowed');
          assert.equal(e.status, 405);
          assert.equal(e.fields.Method, method);
          assert.equal(e.fields.ResourceType, resourceType);
          assert.ok(e.headers.allow !== undefined && e.headers.allow.includes('GET'));
          return true;
        },
      );
    });
  }

  it('GIVEN PUT with uploadId but no partNumber WHEN routed THEN InvalidArgument names partNumber', () => {
    assert.throws(() => route('PUT', '/b/k?uploadId=u'), s3Code('InvalidArgument', { ArgumentName: 'partNumber' }));
  });
});

describe('routeRequest: keys and path-style', () => {
  const keys: [url: string, key: string][] = [
    ['/b/a/b/c.txt', 'a/b/c.txt'],
    ['/b/a//b', 'a//b'],
    ['/b//lead', '/lead'],
    ['/b/dir/', 'dir/'],
    ['/b/a%2Fb', 'a/b'],
    ['/b/a%20b', 'a b'],
    ['/b/a+b', 'a+b'],
    ['/b/a%2Bb', 'a+b'],
    ['/b/100%25', '100%'],
    ['/b/%2525', '%25'],
    ['/b/..%2Fx', '../x'],
    ['/b/../x', '../x'],
    ['/b/caf%C3%A9', 'café'],
    ['/b/q%3Fmark?versionId=1', 'q?mark'],
  ];
  for (const [url, key] of keys) {
    it(`GIVEN ${url} WHEN routed THEN bucket b and key ${JSON.stringify(key)} (decoded once)`, () => {
      const r = route('GET', url);
      assert.equal(r.bucket, 'b');
      assert.equal(r.key, key);
      assert.equal(r.style, 'path');
    });
  }

  it('GIVEN an absolute-form request target WHEN routed THEN its path is used', () => {
    const r = route('GET', 'http://127.0.0.1:9000/b/k?versionId=1');
    assert.equal(r.bucket, 'b');
    assert.equal(r.key, 'k');
    assert.equal(r.query.get('versionId'), '1');
  });

  it('GIVEN broken percent-encoding WHEN routed THEN InvalidArgument', () => {
    assert.throws(() => route('GET', '/b/%E0%A4%A'), s3Code('InvalidArgument'));
    assert.throws(() => route('GET', '/b/%FF'), s3Code('InvalidArgument'));
  });

  it('GIVEN a key over 1024 bytes WHEN routed THEN KeyTooLongError', () => {
    assert.throws(() => route('PUT', `/b/${'k'.repeat(1025)}`), s3Code('KeyTooLongError'));
  });

  it('GIVEN a key with an encoded NUL WHEN routed THEN InvalidArgument', () => {
    assert.throws(() => route('PUT', '/b/a%00b'), s3Code('InvalidArgument'));
  });
});

describe('routeRequest: virtual-host style', () => {
  it('GIVEN Host bucket.localhost:9000 WHEN routed THEN the bucket comes from the host and the whole path is the key', () => {
    const r = route('GET', '/dir/file.txt', { host: 'my-bucket.localhost:9000' });
    assert.deepEqual([r.operation, r.bucket, r.key, r.style], ['GetObject', 'my-bucket', 'dir/file.txt', 'virtual-host']);
  });

  it('GIVEN Host bucket.localhost and path / WHEN routed THEN it is a bucket operation', () => {
    const r = route('GET', '/?list-type=2', { host: 'my-bucket.localhost' });
    assert.deepEqual([r.operation, r.bucket, r.key], ['ListObjectsV2', 'my-bucket', undefined]);
  });

  it('GIVEN a virtual-host request with path //x WHEN routed THEN the key keeps its leading slash', () => {
    assert.equal(route('GET', '//x', { host: 'b1.localhost' }).key, '/x');
  });

  it('GIVEN a dotted bucket under the longest matching suffix WHEN routed THEN the bucket keeps its dots', () => {
    assert.equal(route('GET', '/', { host: 'my.dotted.bucket.s3.localhost:9000' }).bucket, 'my.dotted.bucket');
  });

  it('GIVEN Host equal to a suffix WHEN routed THEN it is path-style', () => {
    const r = route('GET', '/b/k', { host: 's3.localhost:9000' });
    assert.deepEqual([r.bucket, r.key, r.style], ['b', 'k', 'path']);
  });

  it('GIVEN Host with upper case WHEN routed THEN the bucket is lower-cased (DNS is case-insensitive)', () => {
    assert.equal(route('GET', '/', { host: 'MyBucket.LOCALHOST' }).bucket, 'mybucket');
  });

  it('GIVEN an IP, an IPv6 literal or an unknown host WHEN routed THEN it is path-style', () => {
    for (const host of ['127.0.0.1:9000', '[::1]:9000', 'example.com', 'b.example.com']) {
      assert.equal(bucketFromHost(host, SUFFIXES), undefined, host);
    }
  });

  it('GIVEN no Host header WHEN routed THEN it is path-style', () => {
    const r = routeRequest({ method: 'GET', rawUrl: '/b/k', host: undefined, virtualHostSuffixes: SUFFIXES, headers: {} });
    assert.deepEqual([r.bucket, r.key], ['b', 'k']);
  });
});
