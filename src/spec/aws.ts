/**
 * The AWS-only sections (aws, dns) and the rules that only matter when the spec is deployed to
 * AWS: the twin runs such a spec, `hastack validate` and `hastack synth` refuse it. Warnings are
 * choices AWS accepts that leave a single point of failure or weaken safety.
 */
import { ALARM_METRICS } from './alarms.ts';
import { REGION_ZONE_LETTERS, regionZones, usableZoneCount } from './regions.ts';
import type { SpecProblem } from './resolve.ts';
import type { ParsedStackConfig } from './schema.ts';
import type { ResolvedDns, ResolvedSpec } from './types.ts';

/** Applies the aws section's defaults (present even when the config has none). */
export function resolveAws(c: ParsedStackConfig['aws']): ResolvedSpec['aws'] {
  return {
    account: c?.account,
    instanceType: c?.instanceType ?? 't4g.small',
    rootVolumeGiB: c?.rootVolumeGiB ?? 16,
    natGateways: c?.natGateways ?? 'per-zone',
    vpcCidr: c?.vpcCidr ?? '10.0.0.0/16',
    allowSingleInstance: c?.allowSingleInstance ?? false,
    deletionProtection: c?.deletionProtection ?? true,
    logRetentionDays: c?.logRetentionDays ?? 30,
  };
}

const withoutDot = (name: string): string => name.replace(/\.$/, '');

/**
 * The hosted zone a domain is assumed to live in: its parent (`app.example.com` → `example.com`),
 * or the domain itself when it has only two labels (a zone is never a top-level domain).
 */
export function defaultHostedZoneName(domain: string): string {
  const name = withoutDot(domain);
  const parent = name.slice(name.indexOf('.') + 1);
  return parent.includes('.') ? parent : name;
}

/** Applies the dns section's defaults; names lose a trailing dot. Undefined without a dns section. */
export function resolveDns(c: ParsedStackConfig['dns'], healthCheckPath: string): ResolvedDns | undefined {
  if (c === undefined) return undefined;
  return {
    domain: withoutDot(c.domain),
    hostedZoneId: c.hostedZoneId,
    hostedZoneName: withoutDot(c.hostedZoneName ?? defaultHostedZoneName(c.domain)),
    ttl: c.ttl ?? 60,
    healthCheck: {
      interval: c.healthCheck?.interval ?? 10,
      failureThreshold: c.healthCheck?.failureThreshold ?? 3,
      path: c.healthCheck?.path ?? healthCheckPath,
    },
  };
}

/** Route 53 health checks take a resource path of at most this many characters. */
const MAX_DNS_CHECK_PATH = 255;

/** Rules across the dns fields that hold on both targets. */
export function checkDns(spec: ResolvedSpec): SpecProblem[] {
  const d = spec.dns;
  if (d === undefined) return [];
  const problems: SpecProblem[] = [];
  if (d.domain !== d.hostedZoneName && !d.domain.endsWith(`.${d.hostedZoneName}`)) {
    problems.push({
      path: 'dns.hostedZoneName',
      message: `${JSON.stringify(d.hostedZoneName)} does not hold dns.domain ${JSON.stringify(d.domain)}; expected the domain itself or one of its parents`,
    });
  }
  // A path given in dns.healthCheck is held to this by the schema; a longer one came from the load balancer's.
  if (d.healthCheck.path.length > MAX_DNS_CHECK_PATH) {
    problems.push({
      path: 'dns.healthCheck.path',
      message: `is missing, and loadBalancer.healthCheck.path is ${d.healthCheck.path.length} characters, more than a Route 53 health check takes; expected a path of at most ${MAX_DNS_CHECK_PATH} characters`,
    });
  }
  return problems;
}

/** `arn:aws:acm:<region>:<account>:certificate/<id>` → its region and account. */
function certificateParts(arn: string): { region: string; account: string } | undefined {
  const parts = arn.split(':');
  return parts.length < 6 ? undefined : { region: parts[3]!, account: parts[4]! };
}

/** Problems that stop a deployment to AWS (the twin does not mind them). */
export function checkAwsSpec(spec: ResolvedSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const known = regionZones(spec.region);
  if (known === undefined) {
    problems.push({
      path: 'region',
      message: `${JSON.stringify(spec.region)} is not a region hastack knows the Availability Zones of; expected one of ${Object.keys(REGION_ZONE_LETTERS).join(', ')}`,
    });
  } else if (spec.zones.length > usableZoneCount(spec.region)!) {
    const usable = usableZoneCount(spec.region)!;
    const which = usable < known.length ? `an account can use ${usable} of ${spec.region}'s (${known.join(', ')})` : `${spec.region} has ${known.length} (${known.join(', ')})`;
    problems.push({ path: 'zones', message: `${spec.zones.length} zones, but ${which}; expected ${usable} or fewer` });
  } else {
    spec.zones.forEach((z, i) => {
      if (!known.includes(z)) {
        problems.push({ path: `zones[${i}]`, message: `${JSON.stringify(z)} is not an Availability Zone of ${spec.region}; expected one of ${known.join(', ')}` });
      }
    });
  }
  if (spec.dns !== undefined && spec.dns.hostedZoneId === undefined) {
    problems.push({
      path: 'dns.hostedZoneId',
      message: `is missing, but dns.domain is ${JSON.stringify(spec.dns.domain)}; expected the id of the Route 53 public hosted zone ${JSON.stringify(spec.dns.hostedZoneName)} (Route 53 → Hosted zones), such as "Z0123456789ABCDEFGHIJ"`,
    });
  }
  const lb = spec.loadBalancer;
  if (lb.https && lb.certificateArn === undefined && spec.dns === undefined) {
    problems.push({
      path: 'loadBalancer.https',
      message: 'true, but the load balancer has no certificate on AWS; expected loadBalancer.certificateArn, or dns with a hosted zone (a certificate is then issued by ACM)',
    });
  }
  const cert = lb.certificateArn === undefined ? undefined : certificateParts(lb.certificateArn);
  if (cert !== undefined && cert.region !== spec.region) {
    problems.push({
      path: 'loadBalancer.certificateArn',
      message: `is a certificate of region ${cert.region}; expected one of ${spec.region} (a load balancer uses certificates of its own region)`,
    });
  }
  if (cert !== undefined && spec.aws.account !== undefined && cert.account !== spec.aws.account) {
    problems.push({
      path: 'loadBalancer.certificateArn',
      message: `is a certificate of account ${cert.account}; expected one of aws.account (${spec.aws.account})`,
    });
  }
  if (spec.autoScaling.metricPeriod === 20) {
    problems.push({
      path: 'autoScaling.metricPeriod',
      message: '20 is not a period target tracking accepts on AWS; expected 10, 30 or 60 (seconds)',
    });
  }
  if (spec.capacity.min < 2 && !spec.aws.allowSingleInstance) {
    problems.push({
      path: 'capacity.min',
      message: `${spec.capacity.min} leaves the app on one instance or none, a single point of failure; expected 2 or more, or aws.allowSingleInstance: true`,
    });
  }
  return problems;
}

/** Choices AWS accepts that weaken availability or safety; shown by validate and synth. */
export function awsWarnings(spec: ResolvedSpec): SpecProblem[] {
  const warnings: SpecProblem[] = [];
  if (spec.aws.natGateways === 'single') {
    warnings.push({ path: 'aws.natGateways', message: '"single": one NAT gateway carries every zone\'s outbound traffic; losing its zone cuts the others off' });
  }
  if (spec.capacity.min < 2 && spec.aws.allowSingleInstance) {
    warnings.push({ path: 'capacity.min', message: `${spec.capacity.min}: one instance or none is a single point of failure (allowed by aws.allowSingleInstance)` });
  }
  if (!spec.loadBalancer.https) {
    warnings.push({ path: 'loadBalancer.https', message: 'false: the load balancer serves plain HTTP only; set dns (with a hosted zone) or loadBalancer.certificateArn for HTTPS' });
  }
  if (spec.autoScaling.healthCheckType === 'EC2') {
    warnings.push({ path: 'autoScaling.healthCheckType', message: '"EC2": instances the load balancer finds unhealthy are kept; expected "ELB"' });
  }
  if (spec.database.deployment === 'single-az') {
    warnings.push({ path: 'database.deployment', message: '"single-az": the database has no standby; losing its zone stops the app' });
  }
  if (!spec.aws.deletionProtection) {
    warnings.push({ path: 'aws.deletionProtection', message: 'false: the load balancer and the data stack can be deleted by a stray destroy' });
  }
  if (spec.database.strictSync) {
    warnings.push({ path: 'database.strictSync', message: 'true holds on the twin only: RDS carries on committing without a standby; expect the twin to refuse writes where AWS accepts them' });
  }
  if (spec.autoScaling.cooldown !== 300) {
    warnings.push({ path: 'autoScaling.cooldown', message: `${spec.autoScaling.cooldown}: target tracking on AWS has no cooldown (instanceWarmup paces it); the twin honours the value, AWS does not` });
  }
  if (!spec.database.deletionProtection) {
    warnings.push({ path: 'database.deletionProtection', message: 'false: the database can be deleted with the stack' });
  }
  if (spec.database.backupRetentionDays === 0) {
    warnings.push({ path: 'database.backupRetentionDays', message: '0: no automated backups and no point-in-time restore' });
  }
  if (spec.dns !== undefined && spec.dns.ttl > 60) {
    warnings.push({ path: 'dns.ttl', message: `${spec.dns.ttl}: resolvers may keep a failed answer that long after a failover; 60 or less is advised` });
  }
  for (const r of spec.alarms.rules) {
    if (r.period < 60) {
      const m = ALARM_METRICS[r.id];
      const metric = m.kind === 'metric' ? `${m.namespace} ${m.metricName}` : `${m.denominator.namespace} ${m.denominator.metricName}`;
      warnings.push({
        path: `alarms.${r.id}.period`,
        message: `${r.period}: ${metric} is published once a minute on AWS, so most ${r.period} s periods have no data; 60 or a multiple of it is advised`,
      });
    }
  }
  return warnings;
}
