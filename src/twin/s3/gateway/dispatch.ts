/**
 * Which handler answers which S3 operation.
 */
import type { S3Operation } from '../route.ts';
import { S3Error } from '../s3-error.ts';
import * as buckets from './bucket-ops.ts';
import type { RequestContext } from './context.ts';
import { getObjectAttributes } from './object-attributes.ts';
import { copyObject } from './object-copy.ts';
import { deleteObject, deleteObjects } from './object-delete.ts';
import { getObject } from './object-read.ts';
import { putObject } from './object-write.ts';
import * as listing from './listing.ts';
import * as multipart from './multipart.ts';

type Handler = (ctx: RequestContext) => Promise<void>;

const HANDLERS: Partial<Record<S3Operation, Handler>> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetBucketVersioning: buckets.getBucketVersioning,
  PutBucketVersioning: buckets.putBucketVersioning,
  ListObjects: listing.listObjectsV1,
  ListObjectsV2: listing.listObjectsV2,
  ListObjectVersions: listing.listObjectVersions,
  ListMultipartUploads: multipart.listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: getObject,
  DeleteObject: deleteObject,
  GetObjectAttributes: getObjectAttributes,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
};

export function handlerFor(operation: S3Operation): Handler {
  const handler = HANDLERS[operation];
  if (handler !== undefined) return handler;
  if (operation === 'Unsupported') {
    return async (ctx) => {
      throw new S3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented${ctx.route.subResource === undefined ? '' : ` (${ctx.route.subResource})`}.`);
    };
  }
  return buckets.probe;
}
