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
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: env['HOST'] ?? '127.0.0.1',
    databaseUrl,
    shutdownTimeoutMs: shutdownSeconds * 1000,
    metadataEndpoint,
    metadataDisabled: (env['AWS_EC2_METADATA_DISABLED'] ?? '').toLowerCase() === 'true',
    readinessDbGraceMs,
  };
}
