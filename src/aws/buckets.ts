/**
 * The spec's S3 buckets and the log bucket beside them. Physical names are left to CloudFormation
 * (S3 names are global); the app reads each one from BUCKET_<NAME>.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedBucket, ResolvedSpec } from '../spec/types.ts';

export interface HaBucketsProps {
  readonly spec: ResolvedSpec;
}

/** Oldest TLS version the buckets accept. */
export const MINIMUM_TLS_VERSION = 1.2;

/** Prefix of a bucket's server access logs in the log bucket. */
export function accessLogPrefix(bucketName: string): string {
  return `s3/${bucketName}/`;
}

/** A bucket's lifecycle rules in the CDK's terms; a rule sets only the actions the spec gives it. */
export function lifecycleRules(bucket: ResolvedBucket): s3.LifecycleRule[] {
  return bucket.lifecycle.map((r) => ({
    id: r.id,
    enabled: true,
    ...(r.prefix === '' ? {} : { prefix: r.prefix }),
    ...(r.expireAfterDays === undefined ? {} : { expiration: Duration.days(r.expireAfterDays) }),
    ...(r.noncurrentExpireAfterDays === undefined ? {} : { noncurrentVersionExpiration: Duration.days(r.noncurrentExpireAfterDays) }),
    ...(r.abortIncompleteUploadsAfterDays === undefined ? {} : { abortIncompleteMultipartUploadAfter: Duration.days(r.abortIncompleteUploadsAfterDays) }),
  }));
}

/**
 * The spec's buckets (versioning, encryption, block public access, TLS-only policy, server access
 * logs, lifecycle rules) and a separate log bucket that receives their access logs and the load
 * balancer's.
 */
export class HaBuckets extends Construct {
  /** The app's buckets by spec name. */
  readonly appBuckets: ReadonlyMap<string, s3.Bucket>;
  /** Server access logs and ALB access logs (prefixes `s3/<bucket>/` and `alb/`). */
  readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: HaBucketsProps) {
    super(scope, id);
    // Log delivery is granted by a bucket policy to logging.s3.amazonaws.com, not by the legacy
    // LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { spec } = props;

    this.logBucket = new s3.Bucket(this, 'Logs', {
      // ALB access logs can only be written to a bucket encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: MINIMUM_TLS_VERSION,
      // Older regions deliver ALB logs from an ELB account that writes with an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: false,
      lifecycleRules: [{ id: 'expire-logs', enabled: true, expiration: Duration.days(spec.aws.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'this is the log bucket: it receives the other buckets\' server access logs and the load balancer\'s; logging it into itself would loop',
    });

    const buckets = new Map<string, s3.Bucket>();
    for (const b of spec.storage.buckets) {
      buckets.set(
        b.name,
        new s3.Bucket(this, b.name, {
          versioned: b.versioned,
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          enforceSSL: true,
          minimumTLSVersion: MINIMUM_TLS_VERSION,
          serverAccessLogsBucket: this.logBucket,
          serverAccessLogsPrefix: accessLogPrefix(b.name),
          lifecycleRules: lifecycleRules(b),
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      );
    }
    this.appBuckets = buckets;
  }
}
