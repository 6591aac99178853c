/**
 * Which S3 operation a request is, and on which bucket and key: path-style (`/bucket/key`) or
 * virtual-host style (`bucket.<suffix>/key`), then method + sub-resource (`?uploads`, `?versioning`,
 * …) + the copy header, as S3 dispatches them. Pure: no I/O, no bucket lookups.
 *
 * Sub-resources clients probe but this store keeps no configuration for (ACLs, lifecycle, policy,
 * CORS, tagging, encryption, …) route to their S3 operation names; `probeAnswer` in xml.ts says
 * what S3 answers for each. Note that several of those answers are errors in S3 itself (e.g.
 * GetBucketPolicy on a bucket without a policy is 404 NoSuchBucketPolicy). Any other sub-resource
 * routes to `Unsupported`, naming it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkObjectKey } from './names.ts';
import { S3Error } from './s3-error.ts';

/** S3's operation names, plus `Unsupported` for sub-resources this store does not implement. */
export const S3_OPERATIONS = [
  'ListBuckets',
  'CreateBucket',
  'DeleteBucket',
  'HeadBucket',
  'GetBucketLocation',
  'GetBucketVersioning',
  'PutBucketVersioning',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListMultipartUploads',
  'DeleteObjects',
  'PutObject',
  'CopyObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'GetObjectAttributes',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
  // Probed configuration sub-resources: answered by probeAnswer (xml.ts).
  'GetBucketAcl',
  'PutBucketAcl',
  'GetObjectAcl',
  'PutObjectAcl',
  'GetBucketLifecycleConfiguration',
  'PutBucketLifecycleConfiguration',
  'DeleteBucketLifecycle',
  'GetBucketPolicy',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'GetBucketEncryption',
  'PutBucketEncryption',
  'DeleteBucketEncryption',
  'GetBucketTagging',
  'PutBucketTagging',
  'DeleteBucketTagging',
  'GetObjectTagging',
  'PutObjectTagging',
  'DeleteObjectTagging',
  'GetBucketCors',
  'PutBucketCors',
  'DeleteBucketCors',
  'GetPublicAccessBlock',
  'PutPublicAccessBlock',
  'DeletePublicAccessBlock',
  'GetBucketOwnershipControls',
  'PutBucketOwnershipControls',
  'DeleteBucketOwnershipControls',
  'GetBucketRequestPayment',
  'GetBucketAccelerateConfiguration',
  'GetBucketLogging',
  'GetBucketNotificationConfiguration',
  'Unsupported',
] as const;
export type S3Operation = (typeof S3_OPERATIONS)[number];

export interface Route {
  readonly operation: S3Operation;
  readonly bucket?: string;
  /** Percent-decoded once; may hold `//`, `/`-prefixes, `+`, `..`. */
  readonly key?: string;
  readonly query: URLSearchParams;
  /** For `Unsupported`: the sub-resource asked for (`website`, `replication`, …) or `POST` for browser form uploads. */
  readonly subResource?: string;
  /** How the bucket was named; `path` also for service-level requests. */
  readonly style: 'path' | 'virtual-host';
}

export interface RouteRequest {
  readonly method: string;
  /** The request target as received: `/bucket/key?query` (absolute-form is accepted too). */
  readonly rawUrl: string;
  /** The Host header; undefined for HTTP/1.0 requests without one. */
  readonly host: string | undefined;
  /** Host names under which `<bucket>.<suffix>` names a bucket, e.g. `localhost`, `s3.localhost`. */
  readonly virtualHostSuffixes: readonly string[];
  /** Needed to tell CopyObject/UploadPartCopy (`x-amz-copy-source`) from PutObject/UploadPart. */
  readonly headers: IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Query keys S3 treats as sub-resources (they select another operation). Keys not in this list
 * (`prefix`, `max-keys`, `versionId`, `partNumber`, `x-id`, presign parameters, unknown ones) are
 * parameters and never make a request Unsupported.
 */
const SUB_RESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'delete',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'location',
  'logging',
  'metadataConfiguration',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'renameObject',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'session',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versioning',
  'versions',
  'website',
] as const;

type Table = readonly (readonly [string, S3Operation])[];

const BUCKET_GET: Table = [
  ['location', 'GetBucketLocation'],
  ['versioning', 'GetBucketVersioning'],
  ['versions', 'ListObjectVersions'],
  ['uploads', 'ListMultipartUploads'],
  ['acl', 'GetBucketAcl'],
  ['lifecycle', 'GetBucketLifecycleConfiguration'],
  ['policy', 'GetBucketPolicy'],
  ['encryption', 'GetBucketEncryption'],
  ['tagging', 'GetBucketTagging'],
  ['cors', 'GetBucketCors'],
  ['publicAccessBlock', 'GetPublicAccessBlock'],
  ['ownershipControls', 'GetBucketOwnershipControls'],
  ['requestPayment', 'GetBucketRequestPayment'],
  ['accelerate', 'GetBucketAccelerateConfiguration'],
  ['logging', 'GetBucketLogging'],
  ['notification', 'GetBucketNotificationConfiguration'],
];
const BUCKET_PUT: Table = [
  ['versioning', 'PutBucketVersioning'],
  ['acl', 'PutBucketAcl'],
  ['lifecycle', 'PutBucketLifecycleConfiguration'],
  ['policy', 'PutBucketPolicy'],
  ['encryption', 'PutBucketEncryption'],
  ['tagging', 'PutBucketTagging'],
  ['cors', 'PutBucketCors'],
  ['publicAccessBlock', 'PutPublicAccessBlock'],
  ['ownershipControls', 'PutBucketOwnershipControls'],
];
const BUCKET_DELETE: Table = [
  ['lifecycle', 'DeleteBucketLifecycle'],
  ['policy', 'DeleteBucketPolicy'],
  ['encryption', 'DeleteBucketEncryption'],
  ['tagging', 'DeleteBucketTagging'],
  ['cors', 'DeleteBucketCors'],
  ['publicAccessBlock', 'DeletePublicAccessBlock'],
  ['ownershipControls', 'DeleteBucketOwnershipControls'],
];
const BUCKET_POST: Table = [['delete', 'DeleteObjects']];
const OBJECT_GET: Table = [
  ['uploadId', 'ListParts'],
  ['acl', 'GetObjectAcl'],
  ['tagging', 'GetObjectTagging'],
  ['attributes', 'GetObjectAttributes'],
];
const OBJECT_PUT: Table = [
  ['acl', 'PutObjectAcl'],
  ['tagging', 'PutObjectTagging'],
];
const OBJECT_DELETE: Table = [
  ['uploadId', 'AbortMultipartUpload'],
  ['tagging', 'DeleteObjectTagging'],
];
const OBJECT_POST: Table = [
  ['uploads', 'CreateMultipartUpload'],
  ['uploadId', 'CompleteMultipartUpload'],
];

/**
 * Routes one request.
 *
 * @throws S3Error MethodNotAllowed (405, with `Method`, `ResourceType` and an `allow` header) for a
 *   method the resource does not take; InvalidArgument for a path that is not valid percent-encoded
 *   UTF-8, or a PUT with `uploadId` but no `partNumber`; the errors of `checkObjectKey` for the key.
 */
export function routeRequest(request: RouteRequest): Route {
  const method = request.method.toUpperCase();
  const { path, query, authority } = splitTarget(request.rawUrl);
  const hostBucket = bucketFromHost(authority ?? request.host, request.virtualHostSuffixes);

  let bucket: string | undefined;
  let rawKey: string | undefined;
  if (hostBucket !== undefined) {
    bucket = hostBucket;
    rawKey = path.length > 1 ? path.slice(1) : undefined;
  } else {
    const rest = path.slice(1);
    const slash = rest.indexOf('/');
    const rawBucket = slash === -1 ? rest : rest.slice(0, slash);
    if (rawBucket !== '') bucket = decode(rawBucket, request.rawUrl);
    const afterSlash = slash === -1 ? '' : rest.slice(slash + 1);
    rawKey = afterSlash === '' ? undefined : afterSlash;
  }
  const style = hostBucket !== undefined ? 'virtual-host' : 'path';

  if (bucket === undefined) {
    if (method === 'GET') return { operation: 'ListBuckets', query, style };
    throw methodNotAllowed(method, 'SERVICE', 'GET');
  }
  if (rawKey === undefined) return { ...bucketRoute(method, query), bucket, query, style };

  const key = decode(rawKey, request.rawUrl);
  checkObjectKey(key);
  return { ...objectRoute(method, query, request.headers), bucket, key, query, style };
}

function bucketRoute(method: string, query: URLSearchParams): Pick<Route, 'operation' | 'subResource'> {
  switch (method) {
    case 'GET':
      return pick(query, BUCKET_GET) ?? { operation: query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects' };
    case 'HEAD':
      return { operation: 'HeadBucket' };
    case 'PUT':
      return pick(query, BUCKET_PUT) ?? { operation: 'CreateBucket' };
    case 'DELETE':
      return pick(query, BUCKET_DELETE) ?? { operation: 'DeleteBucket' };
    case 'POST':
      return pick(query, BUCKET_POST) ?? { operation: 'Unsupported', subResource: 'POST' };
    default:
      throw methodNotAllowed(method, 'BUCKET', 'GET, HEAD, PUT, DELETE, POST');
  }
}

function objectRoute(method: string, query: URLSearchParams, headers: RouteRequest['headers']): Pick<Route, 'operation' | 'subResource'> {
  const copy = headers['x-amz-copy-source'] !== undefined && headers['x-amz-copy-source'] !== '';
  switch (method) {
    case 'GET':
      return pick(query, OBJECT_GET) ?? { operation: 'GetObject' };
    case 'HEAD':
      return { operation: 'HeadObject' };
    case 'PUT': {
      if (query.has('uploadId')) {
        if (!query.has('partNumber')) {
          throw new S3Error('InvalidArgument', 'Upload part requests need both uploadId and partNumber; partNumber is missing.', {
            ArgumentName: 'partNumber',
            ArgumentValue: '',
          });
        }
        return { operation: copy ? 'UploadPartCopy' : 'UploadPart' };
      }
      return pick(query, OBJECT_PUT) ?? { operation: copy ? 'CopyObject' : 'PutObject' };
    }
    case 'DELETE':
      return pick(query, OBJECT_DELETE) ?? { operation: 'DeleteObject' };
    case 'POST': {
      const picked = pick(query, OBJECT_POST);
      if (picked !== undefined) return picked;
      throw methodNotAllowed(method, 'OBJECT', 'GET, HEAD, PUT, DELETE');
    }
    default:
      throw methodNotAllowed(method, 'OBJECT', 'GET, HEAD, PUT, DELETE, POST');
  }
}

/** The first sub-resource of `table` present; else Unsupported for any other sub-resource present. */
function pick(query: URLSearchParams, table: Table): Pick<Route, 'operation' | 'subResource'> | undefined {
  for (const [sub, operation] of table) if (query.has(sub)) return { operation };
  for (const sub of SUB_RESOURCES) if (query.has(sub)) return { operation: 'Unsupported', subResource: sub };
  return undefined;
}

function methodNotAllowed(method: string, resourceType: string, allow: string): S3Error {
  return new S3Error(
    'MethodNotAllowed',
    'The specified method is not allowed against this resource.',
    { Method: method, ResourceType: resourceType },
    { headers: { allow } },
  );
}

function splitTarget(rawUrl: string): { path: string; query: URLSearchParams; authority?: string } {
  let target = rawUrl;
  let authority: string | undefined;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (absolute !== null) {
    authority = absolute[1];
    target = target.slice(absolute[0].length);
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  return authority === undefined ? { path, query } : { path, query, authority };
}

/**
 * The bucket a Host header names (`<bucket>.<suffix>[:port]`, case-insensitive), or undefined for a
 * host that is one of the suffixes itself or matches none. The longest matching suffix wins.
 */
export function bucketFromHost(host: string | undefined, suffixes: readonly string[]): string | undefined {
  if (host === undefined || host === '' || host.startsWith('[')) return undefined;
  const name = host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  let best: string | undefined;
  for (const raw of suffixes) {
    const suffix = raw.toLowerCase().replace(/^\./, '');
    if (name === suffix) return undefined;
    if (name.endsWith(`.${suffix}`) && (best === undefined || suffix.length > best.length)) best = suffix;
  }
  if (best === undefined) return undefined;
  const bucket = name.slice(0, name.length - best.length - 1);
  return bucket === '' ? undefined : bucket;
}

function decode(raw: string, rawUrl: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', "Couldn't parse the specified URI.", { ArgumentName: 'uri', ArgumentValue: rawUrl });
  }
}
