import { z } from 'zod';
import { wordList } from '../util/word-list.ts';
import { parseSuccessCodes } from './success-codes.ts';

/**
 * The shape and per-field ranges of a stack config. Defaults and cross-field rules live in
 * resolve.ts; here each field only says what it accepts, in words a user can act on.
 */

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return 'a list';
  const t = typeof v;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function intIn(min: number, max: number, unit: string) {
  const u = unit ? ` (${unit})` : '';
  return z
    .number({ error: (iss) => `received ${describeValue(iss.input)}, expected a whole number${u} from ${min} to ${max}` })
    .int({ error: (iss) => `${describeValue(iss.input)} is not a whole number${u}` })
    .min(min, { error: (iss) => `${describeValue(iss.input)} is below the minimum ${min}${u}` })
    .max(max, { error: (iss) => `${describeValue(iss.input)} is above the maximum ${max}${u}` });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => `received ${describeValue(iss.input)}, expected one of ${values.join(', ')}`,
  });
}

function text(what: string) {
  return z.string({ error: (iss) => `received ${describeValue(iss.input)}, expected ${what}` });
}

function flag() {
  return z.boolean({ error: (iss) => `received ${describeValue(iss.input)}, expected true or false` });
}

function object<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? undefined : `received ${describeValue(iss.input)}, expected an object`,
  });
}

const commandSchema = object({
  command: text('a command name').min(1, { error: 'must not be empty' }),
  args: z.array(text('a string argument'), { error: (iss) => `received ${describeValue(iss.input)}, expected a list of strings` }).optional(),
  cwd: text('a folder path').optional(),
});

const healthCheckSchema = object({
  path: text('a path starting with /')
    .regex(/^\/[\x21-\x7e]*$/, { error: (iss) => `received ${describeValue(iss.input)}, expected a path starting with / and without spaces` })
    .max(1024, { error: 'is longer than 1024 characters' })
    .optional(),
  interval: intIn(5, 300, 'seconds').optional(),
  timeout: intIn(2, 120, 'seconds').optional(),
  healthyThreshold: intIn(2, 10, '').optional(),
  unhealthyThreshold: intIn(2, 10, '').optional(),
  successCodes: text('HTTP codes such as "200", "200,202" or "200-299"')
    .regex(/^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected HTTP codes such as "200", "200,202" or "200-299"`,
      abort: true,
    })
    .refine((codes) => parseSuccessCodes(codes).ok, {
      error: (iss) => {
        const parsed = parseSuccessCodes(String(iss.input));
        return `received ${describeValue(iss.input)}, expected HTTP codes from 200 to 499${parsed.ok ? '' : ` (${parsed.problem})`}`;
      },
    })
    .optional(),
});

const targetTrackingSchema = z.union(
  [
    z.literal(false),
    object({
      target: z
        .number({ error: (iss) => `received ${describeValue(iss.input)}, expected a positive number` })
        .positive({ error: (iss) => `${describeValue(iss.input)} is not above 0` }),
      disableScaleIn: flag().optional(),
    }),
  ],
  { error: (iss) => `received ${describeValue(iss.input)}, expected false or { target: number }` },
);

const databaseSchema = object({
  engine: z
    .literal('postgres', { error: (iss) => `received ${describeValue(iss.input)}, expected "postgres" (the only engine)` })
    .optional(),
  version: text('a PostgreSQL version such as "16" or "16.4"')
    .regex(/^(1[4-7])(\.\d+)?$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected a PostgreSQL major version 14 to 17, optionally with a minor, such as "16" or "16.4"`,
    })
    .optional(),
  deployment: oneOf(['multi-az-instance', 'multi-az-cluster', 'single-az']).optional(),
  backupRetentionDays: intIn(0, 35, 'days').optional(),
  backupWindow: text('a UTC window such as "03:00-03:30"')
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected a UTC window "hh:mm-hh:mm" such as "03:00-03:30"`,
    })
    .optional(),
  deletionProtection: flag().optional(),
  storageGiB: intIn(20, 65536, 'GiB').optional(),
  instanceClass: text('an RDS instance class such as "db.t4g.medium"')
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected an RDS instance class such as "db.t4g.medium"`,
    })
    .optional(),
  parameters: z
    .record(
      text('a parameter name').regex(/^[a-z_][a-z0-9_.]*$/, {
        error: (iss) =>
          `received ${describeValue(iss.input)}, expected a PostgreSQL parameter name: lowercase letters, digits, _ and ., not starting with a digit or .`,
      }),
      z.union(
        [
          z.string().regex(/^[^\x00-\x1f\x7f]*$/, {
            error: (iss) => `received ${describeValue(iss.input)}, expected a value without line breaks or control characters`,
          }),
          z.number(),
          z.boolean(),
        ],
        { error: (iss) => `received ${describeValue(iss.input)}, expected a string, a finite number or true/false` },
      ),
      { error: (iss) => `received ${describeValue(iss.input)}, expected an object of parameter name → value` },
    )
    .optional(),
  strictSync: flag().optional(),
});

const lifecycleRuleSchema = object({
  id: text('a rule id').min(1, { error: 'must not be empty' }).max(255, { error: 'is longer than 255 characters' }).optional(),
  prefix: text('a key prefix').max(1024, { error: 'is longer than 1024 characters' }).optional(),
  expireAfterDays: intIn(1, 36500, 'days').optional(),
  noncurrentExpireAfterDays: intIn(1, 36500, 'days').optional(),
  abortIncompleteUploadsAfterDays: intIn(1, 36500, 'days').optional(),
});

const bucketSchema = object({
  name: text('a bucket name'),
  versioned: flag().optional(),
  lifecycle: z
    .array(lifecycleRuleSchema, { error: (iss) => `received ${describeValue(iss.input)}, expected a list of lifecycle rules` })
    .max(100, { error: 'has more than 100 rules' })
    .optional(),
  publicAccess: z
    .literal('blocked', { error: (iss) => `received ${describeValue(iss.input)}, expected "blocked" (public buckets are not offered)` })
    .optional(),
});

const storageSchema = object({
  buckets: z
    .array(bucketSchema, { error: (iss) => `received ${describeValue(iss.input)}, expected a list of buckets` })
    .max(100, { error: 'has more than 100 buckets' })
    .optional(),
  replicas: intIn(2, 6, 'zones').optional(),
});

const twinStorageSchema = object({
  port: intIn(0, 65535, 'port').optional(),
  scrubIntervalSeconds: intIn(1, 86400, 'seconds').optional(),
  repairIntervalSeconds: intIn(1, 3600, 'seconds').optional(),
});

const twinDatabaseSchema = object({
  probeIntervalMs: intIn(100, 60000, 'milliseconds').optional(),
  probeTimeoutMs: intIn(100, 60000, 'milliseconds').optional(),
  failureThreshold: intIn(1, 10, 'probes').optional(),
});

/**
 * Parses with the schema `pick` chooses by the value's shape, so problems inside it keep their own
 * paths and messages (a plain union reports many of them as one "expected …" at its root).
 * `expected` describes every accepted shape, for a value of none of them.
 */
function byShape<T extends z.ZodType>(pick: (v: unknown) => T | undefined, expected: string) {
  return z.unknown().transform((v, ctx): z.output<T> => {
    const schema = pick(v);
    if (schema === undefined) {
      ctx.addIssue({ code: 'custom', message: `received ${describeValue(v)}, expected ${expected}`, input: v });
      return z.NEVER;
    }
    const r = schema.safeParse(v, { reportInput: true });
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

const isPlainObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `false` (off) or an object of the given schema. */
function falseOr<T extends z.ZodType>(schema: T, what: string) {
  const off = z.literal(false);
  return byShape<T | typeof off>((v) => (v === false ? off : isPlainObject(v) ? schema : undefined), `false or ${what}`);
}

const alarmRuleSchema = falseOr(
  object({
    threshold: z
      // z.number() refuses NaN and ±Infinity as well.
      .number({ error: (iss) => `received ${describeValue(iss.input)}, expected a finite number` })
      .optional(),
    period: intIn(10, 86400, 'seconds').optional(),
    evaluationPeriods: intIn(1, 100, 'datapoints').optional(),
    datapointsToAlarm: intIn(1, 100, 'datapoints').optional(),
    critical: flag().optional(),
  }),
  'an object of threshold, period, evaluationPeriods, datapointsToAlarm, critical',
);

const alarmsSchema = object({
  email: text('an email address')
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: (iss) => `received ${describeValue(iss.input)}, expected an email address such as "ops@example.com"` })
    .optional(),
  http5xxRate: alarmRuleSchema.optional(),
  latencyP99: alarmRuleSchema.optional(),
  unhealthyHosts: alarmRuleSchema.optional(),
  inServiceBelowMin: alarmRuleSchema.optional(),
  cpu: alarmRuleSchema.optional(),
  dbCpu: alarmRuleSchema.optional(),
  dbFreeStorage: alarmRuleSchema.optional(),
  dbConnections: alarmRuleSchema.optional(),
  dbReplicaLag: alarmRuleSchema.optional(),
  dnsHealthCheck: alarmRuleSchema.optional(),
});

/** A lowercase DNS name of two or more labels (a trailing dot allowed); the last label may be an IDN (`xn--…`). */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})\.?$/;

const dnsSchema = object({
  domain: text('a domain name such as "app.example.com"').regex(DOMAIN, {
    error: (iss) => `received ${describeValue(iss.input)}, expected a lowercase domain name with at least two labels, such as "app.example.com"`,
  }),
  hostedZoneId: text('a Route 53 hosted zone id')
    .regex(/^Z[A-Z0-9]{1,31}$/, { error: (iss) => `received ${describeValue(iss.input)}, expected a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"` })
    .optional(),
  hostedZoneName: text('a domain name such as "example.com"')
    .regex(DOMAIN, { error: (iss) => `received ${describeValue(iss.input)}, expected a lowercase domain name such as "example.com"` })
    .optional(),
  ttl: intIn(0, 86400, 'seconds').optional(),
  healthCheck: object({
    interval: z
      .union([z.literal(10), z.literal(30)], { error: (iss) => `received ${describeValue(iss.input)}, expected 10 (fast) or 30 (seconds)` })
      .optional(),
    failureThreshold: intIn(1, 10, 'checks').optional(),
    path: text('a path starting with /')
      .regex(/^\/[\x21-\x7e]*$/, { error: (iss) => `received ${describeValue(iss.input)}, expected a path starting with / and without spaces` })
      .max(255, { error: 'is longer than 255 characters' })
      .optional(),
  }).optional(),
});

/** Retention periods CloudWatch Logs offers, days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const LOG_RETENTION_WORDS = `a CloudWatch Logs retention: ${wordList(LOG_RETENTION_DAYS, 'or')} (days)`;

/** `a.b.c.d/n` with the host bits cleared (the form EC2 gives a VPC's block). */
function networkAddress(cidr: string): string {
  const [ip = '', bits = '32'] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  const value = ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  const net = (value & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}

const awsSchema = object({
  account: text('a 12-digit AWS account id')
    .regex(/^\d{12}$/, { error: (iss) => `received ${describeValue(iss.input)}, expected a 12-digit AWS account id` })
    .optional(),
  instanceType: text('an EC2 instance type such as "t4g.small"')
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: (iss) => `received ${describeValue(iss.input)}, expected an EC2 instance type such as "t4g.small"` })
    .optional(),
  rootVolumeGiB: intIn(8, 16384, 'GiB').optional(),
  natGateways: oneOf(['per-zone', 'single']).optional(),
  vpcCidr: text('an IPv4 CIDR block such as "10.0.0.0/16"')
    .regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(1[6-9]|20)$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected an IPv4 CIDR block from /16 to /20 such as "10.0.0.0/16"`,
    })
    .refine((c) => networkAddress(c) === c, {
      error: (iss) => `received ${describeValue(iss.input)}, expected the block's first address, ${JSON.stringify(networkAddress(String(iss.input)))}`,
    })
    .optional(),
  allowSingleInstance: flag().optional(),
  deletionProtection: flag().optional(),
  logRetentionDays: z
    .number({ error: (iss) => `received ${describeValue(iss.input)}, expected ${LOG_RETENTION_WORDS}` })
    .refine((n) => LOG_RETENTION_DAYS.includes(n), { error: (iss) => `received ${describeValue(iss.input)}, expected ${LOG_RETENTION_WORDS}` })
    .optional(),
});

/** An Availability Zone name: the region's name and a letter, such as `us-east-1a`. */
const ZONE_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

function zoneCount(v: unknown): string {
  const n = Array.isArray(v) ? v.length : 0;
  return `a list of ${n} zone${n === 1 ? '' : 's'}`;
}

const zoneCountSchema = intIn(2, 6, 'zones');

const zoneListSchema = z
  .array(
    text('a zone name such as "us-east-1a"').regex(ZONE_NAME, { error: (iss) => `received ${describeValue(iss.input)}, expected a zone name such as "us-east-1a"` }),
    { error: (iss) => `received ${describeValue(iss.input)}, expected a list of zone names` },
  )
  .min(2, { error: (iss) => `received ${zoneCount(iss.input)}, expected 2 to 6 zone names` })
  .max(6, { error: (iss) => `received ${zoneCount(iss.input)}, expected 2 to 6 zone names` });

export const stackConfigSchema = object({
  name: text('a stack name').regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: (iss) =>
      `received ${describeValue(iss.input)}, expected lowercase letters, digits and hyphens, starting with a letter, at most 32`,
  }),
  region: text('an AWS region such as "us-east-1"')
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (iss) => `received ${describeValue(iss.input)}, expected an AWS region such as "us-east-1"` })
    .optional(),
  zones: byShape<z.ZodType<number | string[]>>(
    (v) => (typeof v === 'number' ? zoneCountSchema : Array.isArray(v) ? zoneListSchema : undefined),
    'a whole number of zones from 2 to 6, or a list of 2 to 6 zone names such as ["us-east-1a", "us-east-1b"]',
  ).optional(),
  app: object({
    start: commandSchema,
    build: commandSchema.optional(),
    port: intIn(1, 65535, 'port').optional(),
    env: z
      .record(
        text('an environment variable name').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
          error: (iss) => `received ${describeValue(iss.input)}, expected an environment variable name`,
        }),
        text('a string value'),
        { error: (iss) => `received ${describeValue(iss.input)}, expected an object of strings` },
      )
      .optional(),
    stopTimeout: intIn(1, 3600, 'seconds').optional(),
  }),
  capacity: object({
    min: intIn(0, 1000, 'instances').optional(),
    desired: intIn(0, 1000, 'instances').optional(),
    max: intIn(1, 1000, 'instances').optional(),
  }).optional(),
  loadBalancer: object({
    https: flag().optional(),
    certificateArn: text('an ACM certificate ARN')
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, {
        error: (iss) => `received ${describeValue(iss.input)}, expected an ACM certificate ARN`,
      })
      .optional(),
    algorithm: oneOf(['round_robin', 'least_outstanding_requests']).optional(),
    deregistrationDelay: intIn(0, 3600, 'seconds').optional(),
    slowStart: intIn(0, 900, 'seconds').optional(),
    idleTimeout: intIn(1, 4000, 'seconds').optional(),
    healthCheck: healthCheckSchema.optional(),
  }).optional(),
  autoScaling: object({
    healthCheckType: oneOf(['EC2', 'ELB']).optional(),
    healthCheckGracePeriod: intIn(0, 7200, 'seconds').optional(),
    cooldown: intIn(0, 86400, 'seconds').optional(),
    instanceWarmup: intIn(0, 86400, 'seconds').optional(),
    metricPeriod: z
      .union([z.literal(10), z.literal(20), z.literal(30), z.literal(60)], {
        error: (iss) => `received ${describeValue(iss.input)}, expected one of 10, 20, 30, 60 (seconds)`,
      })
      .optional(),
    cpu: targetTrackingSchema.optional(),
    requestCountPerTarget: targetTrackingSchema.optional(),
    instanceRefreshMinHealthyPercentage: intIn(0, 100, 'percent').optional(),
  }).optional(),
  database: databaseSchema.optional(),
  storage: storageSchema.optional(),
  alarms: alarmsSchema.optional(),
  dns: dnsSchema.optional(),
  aws: awsSchema.optional(),
  twin: object({
    region: text('a region name').regex(/^[a-z][a-z0-9-]{0,20}\d$/, {
      error: (iss) => `received ${describeValue(iss.input)}, expected a name such as "local-1"`,
    }).optional(),
    httpPort: intIn(0, 65535, 'port').optional(),
    httpsPort: intIn(0, 65535, 'port').optional(),
    fidelity: oneOf(['fast', 'aws']).optional(),
    database: twinDatabaseSchema.optional(),
    storage: twinStorageSchema.optional(),
  }).optional(),
});

export type ParsedStackConfig = z.infer<typeof stackConfigSchema>;
