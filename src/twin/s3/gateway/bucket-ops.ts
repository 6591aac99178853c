/**
 * Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
 * Get/PutBucketVersioning, and S3's answers for configuration sub-resources this store does not
 * keep (an ACL, default encryption, no lifecycle…), so clients that probe them carry on.
 */
import { mergedList } from '../../storage/merged-list.ts';
import { checkBucketName } from '../names.ts';
import { MAX_CONFIG_BODY_BYTES, parseCreateBucketConfiguration, parseVersioningConfiguration } from '../request-xml.ts';
import { S3Error } from '../s3-error.ts';
import { listBucketsXml, locationConstraintXml, probeAnswer, versioningConfigurationXml } from '../xml.ts';
import { bucketOf, type RequestContext } from './context.ts';
import { sendEmpty, sendXml } from './respond.ts';
import { readSmallBody } from './small-body.ts';

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const prefix = ctx.route.query.get('prefix') ?? '';
  const buckets = ctx.parts.buckets
    .list()
    .filter((b) => b.bucket.startsWith(prefix))
    .map((b) => ({ name: b.bucket, creationDate: b.createdAt, region: ctx.parts.region }));
  sendXml(ctx.req, ctx.res, listBucketsXml({ owner: ctx.parts.owner, buckets, ...(prefix === '' ? {} : { prefix }) }));
}

export async function createBucket(ctx: RequestContext): Promise<void> {
  const name = bucketOf(ctx);
  checkBucketName(name);
  const body = await readSmallBody(ctx, MAX_CONFIG_BODY_BYTES);
  const config = parseCreateBucketConfiguration(body);
  if (config.locationConstraint !== undefined && config.locationConstraint !== ctx.parts.region) {
    // S3's answer for a constraint naming another region than the endpoint's.
    throw new S3Error(
      'IllegalLocationConstraintException',
      `The ${config.locationConstraint} location constraint is incompatible for the region specific endpoint this request was sent to (this endpoint's region is ${ctx.parts.region}).`,
    );
  }
  const { created } = await ctx.parts.buckets.create(name);
  if (!created) throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
  sendEmpty(ctx.req, ctx.res, 200, { location: `/${name}` });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  const name = bucketOf(ctx);
  ctx.parts.buckets.require(name);
  for await (const entry of mergedList(ctx.parts.cluster, { bucket: name, all: true, pageSize: 10 })) {
    if (entry.records.some((r) => r.kind !== 'tombstone')) {
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: name });
    }
  }
  await ctx.parts.buckets.remove(name);
  sendEmpty(ctx.req, ctx.res, 204);
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  ctx.parts.buckets.require(bucketOf(ctx));
  sendEmpty(ctx.req, ctx.res, 200, { 'x-amz-bucket-region': ctx.parts.region });
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  ctx.parts.buckets.require(bucketOf(ctx));
  sendXml(ctx.req, ctx.res, locationConstraintXml(ctx.parts.region));
}

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = ctx.parts.buckets.require(bucketOf(ctx));
  sendXml(ctx.req, ctx.res, versioningConfigurationXml(b.versioning));
}

export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const name = bucketOf(ctx);
  ctx.parts.buckets.require(name);
  const status = parseVersioningConfiguration(await readSmallBody(ctx, MAX_CONFIG_BODY_BYTES));
  await ctx.parts.buckets.setVersioning(name, status);
  sendEmpty(ctx.req, ctx.res, 200);
}

/** A configuration sub-resource: S3's answer for a bucket that has none of it. */
export async function probe(ctx: RequestContext): Promise<void> {
  if (ctx.route.bucket !== undefined) ctx.parts.buckets.require(ctx.route.bucket);
  const answer = probeAnswer(ctx.route, ctx.parts.owner);
  if (answer === undefined || answer.kind === 'error') {
    throw answer?.error ?? new S3Error('NotImplemented', `${ctx.route.operation} is not implemented by this store.`);
  }
  if (answer.kind === 'xml') sendXml(ctx.req, ctx.res, answer.body, answer.status);
  else sendEmpty(ctx.req, ctx.res, answer.status);
}
