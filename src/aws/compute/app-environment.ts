/**
 * The environment an app instance runs with on EC2, and the file that carries it: the variables of
 * every instance on both targets (instanceVariables), BUCKET_<NAME>, and where start-app.sh finds
 * the app and the database secret it turns into DATABASE_URL. Pure.
 */
import { instanceVariables } from '../../spec/instance-variables.ts';
import type { ResolvedSpec } from '../../spec/types.ts';
import { shellQuote } from './shell.ts';

/** Where the instance reaches its database: the secret to read and the writer endpoint. */
export interface DatabaseEnvironment {
  readonly secretArn: string;
  readonly host: string;
  readonly port: string;
  readonly name: string;
  /** PEM file of the CA that signs the database's certificate (verify-full). */
  readonly caFile: string;
}

export interface AppEnvironmentInput {
  readonly spec: ResolvedSpec;
  /** Real bucket name by spec bucket name. */
  readonly bucketNames: ReadonlyMap<string, string>;
  /** Absolute folder the app starts in on the instance. */
  readonly appDir: string;
  readonly database: DatabaseEnvironment;
}

/** The app's variables in the order they are written; later ones win over spec.app.env. */
export function appEnvironment(i: AppEnvironmentInput): Record<string, string> {
  const { spec } = i;
  const buckets: Record<string, string> = {};
  for (const b of spec.storage.buckets) {
    const name = i.bucketNames.get(b.name);
    if (name !== undefined) buckets[b.envName] = name;
  }
  return {
    // HOST: the load balancer reaches the app on the instance's private address.
    ...instanceVariables(spec, { port: spec.app.port, host: '0.0.0.0', region: spec.region }),
    ...buckets,
    HASTACK_APP_DIR: i.appDir,
    HASTACK_DB_SECRET_ARN: i.database.secretArn,
    HASTACK_DB_HOST: i.database.host,
    HASTACK_DB_PORT: i.database.port,
    HASTACK_DB_NAME: i.database.name,
    HASTACK_DB_CA_FILE: i.database.caFile,
  };
}

/** The variables as a file start-app.sh sources: one `NAME=value` line each, values shell-quoted. */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
    .join('');
}
