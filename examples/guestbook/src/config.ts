/** Everything the app reads from its environment, checked once at startup. */
export interface Config {
  /** PORT; 0 lets the OS pick (the bound port is logged). @default 8080 */
  readonly port: number;
  /** HOST; EC2 sets 0.0.0.0 so the load balancer can reach it. @default '127.0.0.1' */
  readonly host: string;
  /** DATABASE_URL, a postgresql:// connection string. Required. */
  readonly databaseUrl: string;
  /** SHUTDOWN_TIMEOUT_SECONDS, the hard deadline after SIGTERM, in ms here. @default 30 s */
  readonly shutdownTimeoutMs: number;
  /** AWS_EC2_METADATA_SERVICE_ENDPOINT, as the AWS SDKs read it. @default 'http://169.254.169.254' */
  readonly metadataEndpoint: string;
  /** AWS_EC2_METADATA_DISABLED=true skips the metadata service, as in the AWS SDKs. @default false */
  readonly metadataDisabled: boolean;
  /**
   * READINESS_DB_GRACE_MS: how long the database may be unreachable before /readyz reports not
   * ready; longer than a failover takes, so one blip does not fail every instance at once. 0 reports
   * not ready at the first failed check. @default 15000
   */
  readonly readinessDbGraceMs: number;
  /**
   * BUCKET_GUESTBOOK_ATTACHMENTS: the bucket that holds entries' images (hastack passes
   * `BUCKET_<NAME>` for each bucket of the spec). Unset: image attachments are off.
   */
  readonly attachmentsBucket: string | undefined;
  /**
   * AWS_ENDPOINT_URL_S3: an S3 endpoint of its own (the twin's). The SDK reads it by itself; the app
   * only needs to know it is set, to address buckets by path. Unset on AWS.
   */
  readonly s3Endpoint: string | undefined;
  /** AWS_REGION, as the SDK reads it; unset, the region is taken from the instance's zone. */
  readonly awsRegion: string | undefined;
}

/** Every problem with the environment, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
  }
}

/** Reads and checks the environment; throws a ConfigError naming each bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (received ${JSON.stringify(raw)})`);
      return def;
    }
    return n;
  };
  const port = int('PORT', 8080, 0, 65535);
  const shutdownSeconds = int('SHUTDOWN_TIMEOUT_SECONDS', 30, 1, 3600);
  const readinessDbGraceMs = int('READINESS_DB_GRACE_MS', 15_000, 0, 600_000);
  const databaseUrl = env['DATABASE_URL'] ?? '';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be a postgresql:// connection string (received ${databaseUrl === '' ? 'nothing' : 'another scheme'})`);
  }
  const metadataEndpoint = (env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] ?? 'http://169.254.169.254').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(metadataEndpoint)) {
    problems.push(`AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http(s) URL (received ${JSON.stringify(metadataEndpoint)})`);
  }
  const attachmentsBucket = nonEmpty(env['BUCKET_GUESTBOOK_ATTACHMENTS']);
  if (attachmentsBucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(attachmentsBucket)) {
    problems.push(`BUCKET_GUESTBOOK_ATTACHMENTS must be a bucket name: 3–63 of a-z 0-9 . - (received ${JSON.stringify(attachmentsBucket)})`);
  }
  const s3Endpoint = nonEmpty(env['AWS_ENDPOINT_URL_S3']);
  if (s3Endpoint !== undefined && !/^https?:\/\//.test(s3Endpoint)) {
    problems.push(`AWS_ENDPOINT_URL_S3 must be an http(s) URL (received ${JSON.stringify(s3Endpoint)})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: env['HOST'] ?? '127.0.0.1',
    databaseUrl,
    shutdownTimeoutMs: shutdownSeconds * 1000,
    metadataEndpoint,
    metadataDisabled: (env['AWS_EC2_METADATA_DISABLED'] ?? '').toLowerCase() === 'true',
    readinessDbGraceMs,
    attachmentsBucket,
    s3Endpoint,
    awsRegion: nonEmpty(env['AWS_REGION']),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
