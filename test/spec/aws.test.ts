import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsWarnings, checkAwsSpec, checkSpec, formatProblem, resolveSpec } from '../../src/spec/index.ts';

const minimal = { name: 'shop', app: { start: { command: 'node', args: ['server.js'] } } };
/** A stack AWS deploys without a warning: HTTPS through a domain in a hosted zone. */
const safe = { ...minimal, dns: { domain: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } };
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123';

function problems(config: unknown): string[] {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function accepted(config: Record<string, unknown>) {
  const r = checkSpec(config, { configDir: '/srv/shop' });
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  return r.spec;
}

describe('aws section', () => {
  it('GIVEN a config without aws WHEN resolved THEN the safe defaults apply', () => {
    assert.deepEqual(resolveSpec(minimal).aws, {
      account: undefined,
      instanceType: 't4g.small',
      rootVolumeGiB: 16,
      natGateways: 'per-zone',
      vpcCidr: '10.0.0.0/16',
      allowSingleInstance: false,
      deletionProtection: true,
      logRetentionDays: 30,
    });
    assert.equal(resolveSpec(minimal).autoScaling.instanceRefreshMinHealthyPercentage, 90);
    assert.equal(resolveSpec(minimal).dns, undefined);
  });

  it('GIVEN every aws field WHEN resolved THEN each is kept as given', () => {
    const aws = { account: '123456789012', instanceType: 'm7i-flex.large', rootVolumeGiB: 8, natGateways: 'single', vpcCidr: '172.16.0.0/20', allowSingleInstance: true, deletionProtection: false, logRetentionDays: 3653 };
    assert.deepEqual(accepted({ ...minimal, aws }).aws, aws);
    assert.equal(accepted({ ...minimal, autoScaling: { instanceRefreshMinHealthyPercentage: 0 } }).autoScaling.instanceRefreshMinHealthyPercentage, 0);
  });

  it('GIVEN a value outside a field\'s range WHEN checked THEN the problem names the path, the value and what is allowed', () => {
    const cases: { config: Record<string, unknown>; problem: string }[] = [
      { config: { aws: { account: '12345' } }, problem: 'aws.account: received "12345", expected a 12-digit AWS account id' },
      { config: { aws: { instanceType: 'large' } }, problem: 'aws.instanceType: received "large", expected an EC2 instance type such as "t4g.small"' },
      { config: { aws: { rootVolumeGiB: 7 } }, problem: 'aws.rootVolumeGiB: 7 is below the minimum 8 (GiB)' },
      { config: { aws: { rootVolumeGiB: 16385 } }, problem: 'aws.rootVolumeGiB: 16385 is above the maximum 16384 (GiB)' },
      { config: { aws: { natGateways: 'none' } }, problem: 'aws.natGateways: received "none", expected one of per-zone, single' },
      { config: { aws: { vpcCidr: '10.0.0.0/15' } }, problem: 'aws.vpcCidr: received "10.0.0.0/15", expected an IPv4 CIDR block from /16 to /20 such as "10.0.0.0/16"' },
      { config: { aws: { vpcCidr: '10.0.0.0/24' } }, problem: 'aws.vpcCidr: received "10.0.0.0/24", expected an IPv4 CIDR block from /16 to /20 such as "10.0.0.0/16"' },
      { config: { aws: { vpcCidr: '10.1.2.0/16' } }, problem: 'aws.vpcCidr: received "10.1.2.0/16", expected the block\'s first address, "10.1.0.0/16"' },
      { config: { aws: { vpcCidr: '10.0.17.0/20' } }, problem: 'aws.vpcCidr: received "10.0.17.0/20", expected the block\'s first address, "10.0.16.0/20"' },
      { config: { aws: { allowSingleInstance: 'yes' } }, problem: 'aws.allowSingleInstance: received "yes", expected true or false' },
      { config: { aws: { deletionProtection: 'no' } }, problem: 'aws.deletionProtection: received "no", expected true or false' },
      {
        config: { aws: { logRetentionDays: 2 } },
        problem: 'aws.logRetentionDays: received 2, expected a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 (days)',
      },
      { config: { aws: { region: 'us-east-1' } }, problem: 'aws.region: unknown field' },
      { config: { autoScaling: { instanceRefreshMinHealthyPercentage: 101 } }, problem: 'autoScaling.instanceRefreshMinHealthyPercentage: 101 is above the maximum 100 (percent)' },
      { config: { autoScaling: { instanceRefreshMinHealthyPercentage: -1 } }, problem: 'autoScaling.instanceRefreshMinHealthyPercentage: -1 is below the minimum 0 (percent)' },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, ...c.config }), [c.problem], JSON.stringify(c.config));
  });
});

describe('dns section', () => {
  it('GIVEN a domain alone WHEN resolved THEN the zone, TTL and health check get their defaults', () => {
    assert.deepEqual(accepted({ ...minimal, loadBalancer: { healthCheck: { path: '/healthz' } }, dns: { domain: 'shop.example.com' } }).dns, {
      domain: 'shop.example.com',
      hostedZoneId: undefined,
      hostedZoneName: 'example.com',
      ttl: 60,
      healthCheck: { interval: 10, failureThreshold: 3, path: '/healthz' },
    });
  });

  it('GIVEN domains of each shape WHEN resolved THEN the hosted zone is the parent, or the domain itself at the apex', () => {
    const cases: { dns: Record<string, unknown>; domain: string; zone: string }[] = [
      { dns: { domain: 'shop.example.com' }, domain: 'shop.example.com', zone: 'example.com' },
      { dns: { domain: 'a.b.example.com' }, domain: 'a.b.example.com', zone: 'b.example.com' },
      { dns: { domain: 'example.com' }, domain: 'example.com', zone: 'example.com' },
      { dns: { domain: 'shop.example.com.' }, domain: 'shop.example.com', zone: 'example.com' },
      { dns: { domain: 'a.b.example.com', hostedZoneName: 'example.com.' }, domain: 'a.b.example.com', zone: 'example.com' },
      { dns: { domain: 'shop.example.co.uk', hostedZoneName: 'example.co.uk' }, domain: 'shop.example.co.uk', zone: 'example.co.uk' },
      { dns: { domain: 'shop.xn--p1ai' }, domain: 'shop.xn--p1ai', zone: 'shop.xn--p1ai' },
    ];
    for (const c of cases) {
      const d = accepted({ ...minimal, dns: c.dns }).dns;
      assert.deepEqual([d?.domain, d?.hostedZoneName], [c.domain, c.zone], JSON.stringify(c.dns));
    }
  });

  it('GIVEN dns WHEN https is not set THEN the load balancer serves HTTPS; an explicit false is kept', () => {
    assert.equal(accepted({ ...minimal, dns: { domain: 'shop.example.com' } }).loadBalancer.https, true);
    assert.equal(accepted({ ...minimal, dns: { domain: 'shop.example.com' }, loadBalancer: { https: false } }).loadBalancer.https, false);
    assert.equal(accepted(minimal).loadBalancer.https, false);
  });

  it('GIVEN every dns field WHEN resolved THEN each is kept as given', () => {
    const dns = { domain: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'shop.example.com', ttl: 0, healthCheck: { interval: 30, failureThreshold: 1, path: '/deep' } };
    assert.deepEqual(accepted({ ...minimal, dns }).dns, dns);
  });

  it('GIVEN a value outside a field\'s range WHEN checked THEN the problem names the path, the value and what is allowed', () => {
    const cases: { dns: unknown; problem: string }[] = [
      { dns: {}, problem: 'dns.domain: received nothing, expected a domain name such as "app.example.com"' },
      { dns: { domain: 'Shop.Example.com' }, problem: 'dns.domain: received "Shop.Example.com", expected a lowercase domain name with at least two labels, such as "app.example.com"' },
      { dns: { domain: 'localhost' }, problem: 'dns.domain: received "localhost", expected a lowercase domain name with at least two labels, such as "app.example.com"' },
      { dns: { domain: '*.example.com' }, problem: 'dns.domain: received "*.example.com", expected a lowercase domain name with at least two labels, such as "app.example.com"' },
      { dns: { domain: 'shop.example.com', hostedZoneId: '/hostedzone/Z123' }, problem: 'dns.hostedZoneId: received "/hostedzone/Z123", expected a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"' },
      { dns: { domain: 'shop.example.com', hostedZoneName: 'com' }, problem: 'dns.hostedZoneName: received "com", expected a lowercase domain name such as "example.com"' },
      { dns: { domain: 'shop.example.com', ttl: -1 }, problem: 'dns.ttl: -1 is below the minimum 0 (seconds)' },
      { dns: { domain: 'shop.example.com', ttl: 86401 }, problem: 'dns.ttl: 86401 is above the maximum 86400 (seconds)' },
      { dns: { domain: 'shop.example.com', healthCheck: { interval: 20 } }, problem: 'dns.healthCheck.interval: received 20, expected 10 (fast) or 30 (seconds)' },
      { dns: { domain: 'shop.example.com', healthCheck: { failureThreshold: 0 } }, problem: 'dns.healthCheck.failureThreshold: 0 is below the minimum 1 (checks)' },
      { dns: { domain: 'shop.example.com', healthCheck: { failureThreshold: 11 } }, problem: 'dns.healthCheck.failureThreshold: 11 is above the maximum 10 (checks)' },
      { dns: { domain: 'shop.example.com', healthCheck: { path: 'readyz' } }, problem: 'dns.healthCheck.path: received "readyz", expected a path starting with / and without spaces' },
      { dns: { domain: 'shop.example.com', healthCheck: { path: `/${'x'.repeat(255)}` } }, problem: 'dns.healthCheck.path: is longer than 255 characters' },
      { dns: { domain: 'shop.example.com', weight: 1 }, problem: 'dns.weight: unknown field' },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, dns: c.dns }), [c.problem], JSON.stringify(c.dns));
  });

  it('GIVEN a hosted zone that does not hold the domain WHEN checked THEN it is refused with both names', () => {
    const cases: { dns: Record<string, unknown>; problem: string }[] = [
      { dns: { domain: 'shop.example.com', hostedZoneName: 'example.org' }, problem: 'dns.hostedZoneName: "example.org" does not hold dns.domain "shop.example.com"; expected the domain itself or one of its parents' },
      { dns: { domain: 'shop.example.com', hostedZoneName: 'ample.com' }, problem: 'dns.hostedZoneName: "ample.com" does not hold dns.domain "shop.example.com"; expected the domain itself or one of its parents' },
      { dns: { domain: 'example.com', hostedZoneName: 'shop.example.com' }, problem: 'dns.hostedZoneName: "shop.example.com" does not hold dns.domain "example.com"; expected the domain itself or one of its parents' },
    ];
    for (const c of cases) assert.deepEqual(problems({ ...minimal, dns: c.dns }), [c.problem], JSON.stringify(c.dns));
  });

  it('GIVEN a load balancer health path too long for Route 53 WHEN dns takes it by default THEN dns.healthCheck.path is asked for', () => {
    const long = `/${'x'.repeat(300)}`;
    assert.deepEqual(problems({ ...minimal, loadBalancer: { healthCheck: { path: long } }, dns: { domain: 'shop.example.com' } }), [
      'dns.healthCheck.path: is missing, and loadBalancer.healthCheck.path is 301 characters, more than a Route 53 health check takes; expected a path of at most 255 characters',
    ]);
    accepted({ ...minimal, loadBalancer: { healthCheck: { path: long } }, dns: { domain: 'shop.example.com', healthCheck: { path: '/readyz' } } });
  });
});

describe('checkAwsSpec', () => {
  it('GIVEN specs the twin runs WHEN checked for AWS THEN what AWS would refuse is reported with its path', () => {
    const cases: { name: string; config: Record<string, unknown>; problems: string[] }[] = [
      { name: 'the defaults', config: {}, problems: [] },
      { name: 'zones listed in the region', config: { region: 'ap-northeast-1', zones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] }, problems: [] },
      {
        name: 'a zone of another region',
        config: { zones: ['us-east-1a', 'us-west-2b'] },
        problems: ['zones[1]: "us-west-2b" is not an Availability Zone of us-east-1; expected one of us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f'],
      },
      {
        name: 'a zone letter the region does not have',
        config: { region: 'ap-northeast-1', zones: ['ap-northeast-1a', 'ap-northeast-1b'] },
        problems: ['zones[1]: "ap-northeast-1b" is not an Availability Zone of ap-northeast-1; expected one of ap-northeast-1a, ap-northeast-1c, ap-northeast-1d'],
      },
      {
        name: 'more zones than the region has',
        config: { region: 'eu-west-1', zones: 4 },
        problems: ['zones: 4 zones, but eu-west-1 has 3 (eu-west-1a, eu-west-1b, eu-west-1c); expected 3 or fewer'],
      },
      {
        name: 'three zones where an account gets two',
        config: { region: 'us-west-1' },
        problems: ["zones: 3 zones, but an account can use 2 of us-west-1's (us-west-1a, us-west-1b, us-west-1c); expected 2 or fewer"],
      },
      {
        name: 'a 20 s scaling metric period',
        config: { autoScaling: { metricPeriod: 20 } },
        problems: ['autoScaling.metricPeriod: 20 is not a period target tracking accepts on AWS; expected 10, 30 or 60 (seconds)'],
      },
      { name: 'an unknown region', config: { region: 'xx-nowhere-1' }, problems: ['region: "xx-nowhere-1" is not a region hastack knows the Availability Zones of; expected one of '] },
      {
        name: 'a domain without a hosted zone id',
        config: { dns: { domain: 'shop.example.com' } },
        problems: ['dns.hostedZoneId: is missing, but dns.domain is "shop.example.com"; expected the id of the Route 53 public hosted zone "example.com" (Route 53 → Hosted zones), such as "Z0123456789ABCDEFGHIJ"'],
      },
      {
        name: 'one instance',
        config: { capacity: { min: 1 } },
        problems: ['capacity.min: 1 leaves the app on one instance or none, a single point of failure; expected 2 or more, or aws.allowSingleInstance: true'],
      },
      {
        name: 'no instance',
        config: { capacity: { min: 0, max: 2 } },
        problems: ['capacity.min: 0 leaves the app on one instance or none, a single point of failure; expected 2 or more, or aws.allowSingleInstance: true'],
      },
      { name: 'one instance, allowed', config: { capacity: { min: 1 }, aws: { allowSingleInstance: true } }, problems: [] },
      {
        name: 'HTTPS without a certificate or a domain',
        config: { loadBalancer: { https: true } },
        problems: ['loadBalancer.https: true, but the load balancer has no certificate on AWS; expected loadBalancer.certificateArn, or dns with a hosted zone (a certificate is then issued by ACM)'],
      },
      { name: 'HTTPS with a certificate', config: { loadBalancer: { https: true, certificateArn: CERT } }, problems: [] },
      {
        name: 'a certificate of another region',
        config: { loadBalancer: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' } },
        problems: ['loadBalancer.certificateArn: is a certificate of region eu-west-1; expected one of us-east-1 (a load balancer uses certificates of its own region)'],
      },
      {
        name: 'a certificate of another account',
        config: { loadBalancer: { certificateArn: CERT }, aws: { account: '210987654321' } },
        problems: ['loadBalancer.certificateArn: is a certificate of account 123456789012; expected one of aws.account (210987654321)'],
      },
      { name: 'a certificate of the account', config: { loadBalancer: { certificateArn: CERT }, aws: { account: '123456789012' } }, problems: [] },
    ];
    for (const c of cases) {
      const got = checkAwsSpec(accepted({ ...minimal, ...c.config })).map(formatProblem);
      if (c.name === 'an unknown region') {
        assert.equal(got.length, 1, c.name);
        assert.ok(got[0]!.startsWith(c.problems[0]!), got[0]);
        assert.match(got[0]!, /us-east-1, .*eu-west-1/);
      } else {
        assert.deepEqual(got, c.problems, c.name);
      }
    }
  });

  it('GIVEN several AWS problems WHEN checked THEN all are reported together', () => {
    const s = accepted({ ...minimal, region: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1d'], capacity: { min: 1 }, dns: { domain: 'shop.example.com' } });
    assert.deepEqual(
      checkAwsSpec(s).map((p) => p.path),
      ['zones[1]', 'dns.hostedZoneId', 'capacity.min'],
    );
  });
});

describe('awsWarnings', () => {
  it('GIVEN choices AWS accepts WHEN checked THEN each single point of failure or weakened safeguard is a warning', () => {
    const cases: { name: string; config: Record<string, unknown>; warnings: string[] }[] = [
      { name: 'a safe stack', config: {}, warnings: [] },
      { name: 'one NAT gateway', config: { aws: { natGateways: 'single' } }, warnings: ['aws.natGateways: "single": one NAT gateway carries every zone\'s outbound traffic; losing its zone cuts the others off'] },
      {
        name: 'one instance, allowed',
        config: { capacity: { min: 1 }, aws: { allowSingleInstance: true } },
        warnings: ['capacity.min: 1: one instance or none is a single point of failure (allowed by aws.allowSingleInstance)'],
      },
      { name: 'allowed but not used', config: { aws: { allowSingleInstance: true } }, warnings: [] },
      {
        name: 'HTTP only',
        config: { loadBalancer: { https: false } },
        warnings: ['loadBalancer.https: false: the load balancer serves plain HTTP only; set dns (with a hosted zone) or loadBalancer.certificateArn for HTTPS'],
      },
      { name: 'EC2 health checks', config: { autoScaling: { healthCheckType: 'EC2' } }, warnings: ['autoScaling.healthCheckType: "EC2": instances the load balancer finds unhealthy are kept; expected "ELB"'] },
      { name: 'a single-AZ database', config: { database: { deployment: 'single-az' } }, warnings: ['database.deployment: "single-az": the database has no standby; losing its zone stops the app'] },
      {
        name: 'strict synchronous commits',
        config: { database: { strictSync: true } },
        warnings: ['database.strictSync: true holds on the twin only: RDS carries on committing without a standby; expect the twin to refuse writes where AWS accepts them'],
      },
      {
        name: 'a cooldown',
        config: { autoScaling: { cooldown: 120 } },
        warnings: ['autoScaling.cooldown: 120: target tracking on AWS has no cooldown (instanceWarmup paces it); the twin honours the value, AWS does not'],
      },
      { name: 'no deletion protection', config: { database: { deletionProtection: false } }, warnings: ['database.deletionProtection: false: the database can be deleted with the stack'] },
      {
        name: 'no load balancer or stack protection',
        config: { aws: { deletionProtection: false } },
        warnings: ['aws.deletionProtection: false: the load balancer and the data stack can be deleted by a stray destroy'],
      },
      { name: 'no backups', config: { database: { backupRetentionDays: 0 } }, warnings: ['database.backupRetentionDays: 0: no automated backups and no point-in-time restore'] },
      {
        name: 'a long TTL',
        config: { dns: { ...safe.dns, ttl: 300 } },
        warnings: ['dns.ttl: 300: resolvers may keep a failed answer that long after a failover; 60 or less is advised'],
      },
      {
        name: 'a sub-minute alarm period',
        config: { alarms: { cpu: { period: 10 }, http5xxRate: { period: 30 } } },
        warnings: [
          'alarms.http5xxRate.period: 30: AWS/ApplicationELB RequestCount is published once a minute on AWS, so most 30 s periods have no data; 60 or a multiple of it is advised',
          'alarms.cpu.period: 10: AWS/EC2 CPUUtilization is published once a minute on AWS, so most 10 s periods have no data; 60 or a multiple of it is advised',
        ],
      },
    ];
    for (const c of cases) {
      const got = awsWarnings(accepted({ ...safe, ...c.config })).map(formatProblem);
      assert.deepEqual(got, c.warnings, c.name);
    }
  });

  it('GIVEN the defaults without a domain WHEN checked THEN the only warning is plain HTTP', () => {
    assert.deepEqual(awsWarnings(resolveSpec(minimal)).map((w) => w.path), ['loadBalancer.https']);
  });

  it('GIVEN a warning WHEN the spec is checked THEN it is no problem: the spec is valid and checkAwsSpec is clean', () => {
    const s = accepted({ ...safe, aws: { natGateways: 'single' }, database: { deletionProtection: false } });
    assert.deepEqual(checkAwsSpec(s), []);
    assert.equal(awsWarnings(s).length, 2);
  });
});
