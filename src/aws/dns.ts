/**
 * spec.dns in Route 53: DNS failover between the load balancer and a static maintenance page.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover.html
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ResolvedDns, ResolvedSpec } from '../spec/types.ts';
import { awsError } from './errors.ts';

export interface HaDnsProps {
  readonly spec: ResolvedSpec;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The maintenance page's HTML. @default - a page saying the app is down for maintenance */
  readonly maintenancePageHtml?: string;
}

/** The maintenance page's object key: the website's index and error document alike. */
export const MAINTENANCE_PAGE_KEY = 'index.html';

/** The primary record's SetIdentifier: one region's load balancer (a multi-region setup adds others). */
export function primarySetIdentifier(spec: ResolvedSpec): string {
  return `${spec.region}-primary`;
}

/** The secondary record's SetIdentifier. */
export function secondarySetIdentifier(spec: ResolvedSpec): string {
  return `${spec.region}-maintenance`;
}

/** A plain maintenance page naming the app. */
export function defaultMaintenancePage(spec: ResolvedSpec, dns: ResolvedDns): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${dns.domain}: down for maintenance</title></head>`,
    `<body><h1>${dns.domain} is down for maintenance</h1><p>${spec.name} will be back shortly. Please try again in a few minutes.</p></body></html>`,
    '',
  ].join('\n');
}

/**
 * spec.dns in Route 53: a health check on the app's health path through the domain, a primary
 * failover alias to the ALB (evaluate target health) and a secondary failover alias to a static
 * maintenance page in S3. The seam for multi-region failover is the primary record set.
 */
export class HaDns extends Construct {
  /** The Route 53 health check's id (HealthCheckId dimension of AWS/Route53 HealthCheckStatus). */
  readonly healthCheckId: string;
  readonly healthCheck: route53.HealthCheck;
  /** The PRIMARY failover alias to the load balancer (SetIdentifier `<region>-primary`). */
  readonly primaryRecord: route53.ARecord;
  /** The SECONDARY failover alias to the maintenance page. */
  readonly secondaryRecord: route53.ARecord;
  /** The S3 website bucket named exactly as the domain, holding the maintenance page. */
  readonly maintenanceBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: HaDnsProps) {
    super(scope, id);
    const { spec } = props;
    const dns = spec.dns;
    if (dns?.hostedZoneId === undefined) {
      const message = dns === undefined
        ? 'dns is not set; expected dns with a domain and a hostedZoneId (the DNS part is built only with dns)'
        : `dns.hostedZoneId is missing, but dns.domain is ${JSON.stringify(dns.domain)}; expected the id of the Route 53 public hosted zone that holds it, such as "Z0123456789ABCDEFGHIJ"`;
      throw awsError('HASTACK_AWS_SPEC_INVALID', message, { details: { problems: [{ path: 'dns.hostedZoneId', message: 'is missing' }] } });
    }
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: dns.hostedZoneId, zoneName: dns.hostedZoneName });
    const https = spec.loadBalancer.https;

    // The check goes to the load balancer's own name, not to dns.domain: once the domain has failed
    // over, it resolves to the maintenance page, and a check through it would never see the app
    // recover. Route 53 does not verify the certificate, so HTTPS works against the ALB's name.
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: https ? route53.HealthCheckType.HTTPS : route53.HealthCheckType.HTTP,
      fqdn: props.loadBalancer.loadBalancerDnsName,
      port: https ? 443 : 80,
      resourcePath: dns.healthCheck.path,
      requestInterval: Duration.seconds(dns.healthCheck.interval),
      failureThreshold: dns.healthCheck.failureThreshold,
    });
    this.healthCheckId = this.healthCheck.healthCheckId;

    this.primaryRecord = new route53.ARecord(this, 'Primary', {
      zone,
      recordName: dns.domain,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: true })),
      failover: route53.Failover.PRIMARY,
      setIdentifier: primarySetIdentifier(spec),
      healthCheck: this.healthCheck,
    });

    // An S3 website alias needs a bucket named exactly as the record. S3 website endpoints serve
    // HTTP only: an HTTPS maintenance page needs CloudFront in front of this bucket (left for later).
    this.maintenanceBucket = new s3.Bucket(this, 'MaintenancePage', {
      bucketName: dns.domain,
      websiteIndexDocument: MAINTENANCE_PAGE_KEY,
      websiteErrorDocument: MAINTENANCE_PAGE_KEY,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false }),
      // The page object is removed with the stack (below), so the emptied bucket can go too and
      // the domain's bucket name is free for the next deployment.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.maintenanceBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PublicReadOfTheMaintenancePage',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [this.maintenanceBucket.arnForObjects(MAINTENANCE_PAGE_KEY)],
      }),
    );
    const why = 'the maintenance page is served by the S3 website endpoint, which needs public read of index.html only; the bucket holds nothing else';
    Validations.of(this.maintenanceBucket).acknowledge({ id: 'AwsSolutions-S2', reason: `public access is not blocked: ${why}` });
    Validations.of(this.maintenanceBucket).acknowledge({ id: 'AwsSolutions-S5', reason: `no CloudFront origin access: ${why}` });
    Validations.of(this.maintenanceBucket).acknowledge({ id: 'AwsSolutions-S10', reason: `website endpoints speak HTTP only, so a TLS-only policy would refuse every visitor: ${why}` });
    Validations.of(this.maintenanceBucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'one static public page with no data; its traffic is not worth a log trail' });

    const page = props.maintenancePageHtml ?? defaultMaintenancePage(spec, dns);
    const put: cr.AwsSdkCall = {
      service: 'S3',
      action: 'putObject',
      parameters: { Bucket: this.maintenanceBucket.bucketName, Key: MAINTENANCE_PAGE_KEY, Body: page, ContentType: 'text/html; charset=utf-8', CacheControl: 'no-cache' },
      physicalResourceId: cr.PhysicalResourceId.of(`${dns.domain}/${MAINTENANCE_PAGE_KEY}`),
    };
    new cr.AwsCustomResource(this, 'MaintenancePageObject', {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'S3', action: 'deleteObject', parameters: { Bucket: this.maintenanceBucket.bucketName, Key: MAINTENANCE_PAGE_KEY } },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [this.maintenanceBucket.arnForObjects(MAINTENANCE_PAGE_KEY)] }),
      ]),
      installLatestAwsSdk: false,
    });
    // The SDK calls run in the CDK's one provider function per stack, a sibling of this construct.
    const provider = Stack.of(this).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider !== undefined) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'the CDK\'s AwsCustomResource provider writes its own logs with Lambda\'s basic execution policy; its S3 rights are the inline policy scoped to the maintenance page object',
      });
    }

    this.secondaryRecord = new route53.ARecord(this, 'Secondary', {
      zone,
      recordName: dns.domain,
      // Failover aliases must evaluate target health; for an S3 website that is S3's own availability.
      target: route53.RecordTarget.fromAlias(new targets.BucketWebsiteTarget(this.maintenanceBucket, { evaluateTargetHealth: true })),
      failover: route53.Failover.SECONDARY,
      setIdentifier: secondarySetIdentifier(spec),
    });
  }
}
