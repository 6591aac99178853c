import { z } from 'zod';

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

export const stackConfigSchema = object({
  name: text('a stack name').regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: (iss) =>
      `received ${describeValue(iss.input)}, expected lowercase letters, digits and hyphens, starting with a letter, at most 32`,
  }),
  region: text('an AWS region such as "us-east-1"')
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (iss) => `received ${describeValue(iss.input)}, expected an AWS region such as "us-east-1"` })
    .optional(),
  zones: intIn(2, 6, 'zones').optional(),
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
  }).optional(),
  database: databaseSchema.optional(),
  storage: storageSchema.optional(),
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
