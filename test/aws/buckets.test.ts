import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { accessLogPrefix, HaBuckets, lifecycleRules } from '../../src/aws/buckets.ts';
import type { ResolvedSpec } from '../../src/spec/types.ts';
import { constructStack, findingsUnder } from './construct-fixtures.ts';
import { exampleSpec, nagFindings, synth } from './synth.ts';

function build(spec: ResolvedSpec) {
  const f = constructStack(spec);
  const buckets = new HaBuckets(f.stack, 'Buckets', { spec });
  return { ...f, buckets, template: Template.fromStack(f.stack) };
}

const TWO_BUCKETS = {
  buckets: [
    {
      name: 'guestbook-attachments',
      lifecycle: [
        { id: 'tmp', prefix: 'tmp/', expireAfterDays: 1, abortIncompleteUploadsAfterDays: 2 },
        { noncurrentExpireAfterDays: 30 },
      ],
    },
    { name: 'guestbook.exports', versioned: false },
  ],
};

describe('bucket settings (pure)', () => {
  it('GIVEN a bucket name WHEN its access logs are placed THEN they go under s3/<name>/', () => {
    assert.equal(accessLogPrefix('guestbook.exports'), 's3/guestbook.exports/');
  });

  it('GIVEN lifecycle rules WHEN mapped THEN each rule carries only the actions the spec gives it', () => {
    const spec = exampleSpec({ storage: TWO_BUCKETS });
    const rules = lifecycleRules(spec.storage.buckets[0]!);
    assert.deepEqual(rules, [
      { id: 'tmp', enabled: true, prefix: 'tmp/', expiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(2) },
      { id: 'rule-2', enabled: true, noncurrentVersionExpiration: Duration.days(30) },
    ]);
  });
});

describe('HaBuckets', () => {
  it('GIVEN two buckets WHEN synthesized THEN each is private, TLS-only, access-logged, retained and named by CloudFormation', () => {
    const { template, buckets, stack } = build(exampleSpec({ storage: TWO_BUCKETS }));
    template.resourceCountIs('AWS::S3::Bucket', 3);
    assert.deepEqual([...buckets.appBuckets.keys()], ['guestbook-attachments', 'guestbook.exports']);
    const logBucket = stack.getLogicalId(buckets.logBucket.node.defaultChild as CfnElement);
    for (const [name, bucket] of buckets.appBuckets) {
      const id = stack.getLogicalId(bucket.node.defaultChild as CfnElement);
      const resource = template.toJSON().Resources[id];
      assert.equal(resource.DeletionPolicy, 'Retain', name);
      assert.equal(resource.Properties.BucketName, undefined, `${name} is named by CloudFormation`);
      assert.deepEqual(resource.Properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      assert.deepEqual(resource.Properties.BucketEncryption, { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
      assert.deepEqual(resource.Properties.LoggingConfiguration, { DestinationBucketName: { Ref: logBucket }, LogFilePrefix: `s3/${name}/` });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        }),
      });
    }
  });

  it('GIVEN a versioned and an unversioned bucket with lifecycle rules WHEN synthesized THEN versioning and rules follow the spec', () => {
    const { template, buckets, stack } = build(exampleSpec({ storage: TWO_BUCKETS }));
    const id = (name: string) => stack.getLogicalId(buckets.appBuckets.get(name)!.node.defaultChild as CfnElement);
    const resources = template.toJSON().Resources;
    assert.deepEqual(resources[id('guestbook-attachments')].Properties.VersioningConfiguration, { Status: 'Enabled' });
    assert.equal(resources[id('guestbook.exports')].Properties.VersioningConfiguration, undefined);
    assert.deepEqual(resources[id('guestbook-attachments')].Properties.LifecycleConfiguration, {
      Rules: [
        { Id: 'tmp', Status: 'Enabled', Prefix: 'tmp/', ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
        { Id: 'rule-2', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
      ],
    });
    assert.equal(resources[id('guestbook.exports')].Properties.LifecycleConfiguration, undefined);
  });

  it('GIVEN logs kept 60 days WHEN synthesized THEN the log bucket is S3-encrypted, private, TLS-only, ACL-capable for ALB logs and expires logs after 60 days', () => {
    const { template, buckets, stack } = build(exampleSpec({ aws: { logRetentionDays: 60 } }));
    const id = stack.getLogicalId(buckets.logBucket.node.defaultChild as CfnElement);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 60, Status: 'Enabled' })] },
        LoggingConfiguration: Match.absent(),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/s3/guestbook-attachments/*']] },
          }),
        ]),
      }),
    });
  });

  it('GIVEN a spec with no buckets WHEN synthesized THEN only the log bucket exists', () => {
    const { template, buckets } = build(exampleSpec({ storage: { buckets: [] } }));
    template.resourceCountIs('AWS::S3::Bucket', 1);
    assert.equal(buckets.appBuckets.size, 0);
  });

  it('GIVEN the buckets WHEN checked with AwsSolutions THEN nothing under them is left unacknowledged', () => {
    const { app } = build(exampleSpec({ storage: TWO_BUCKETS }));
    assert.deepEqual(findingsUnder(app, 'T/Buckets/'), []);
  });
});

describe('HaBuckets in the full app', () => {
  it('GIVEN the example WHEN the four stacks are synthesized THEN the data stack holds the buckets and nag finds nothing under them', () => {
    const s = synth(exampleSpec({ storage: TWO_BUCKETS }));
    s.templates.data.resourceCountIs('AWS::S3::Bucket', 3);
    s.templates.data.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/guestbook.exports/' }) });
    assert.deepEqual(nagFindings(s).filter((l) => l.includes('-data/Buckets/')), []);
  });
});
