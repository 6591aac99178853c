/**
 * The variables hastack gives every instance of the app, on the twin and on EC2 alike, so the app
 * reads one contract wherever it runs.
 */
import type { ResolvedSpec } from './types.ts';

export interface InstanceVariablesInput {
  /** The port the app listens on (the twin gives each instance its own). */
  readonly port: number;
  /** The address it binds: loopback on the twin, every interface on EC2. */
  readonly host: string;
  /** AWS_REGION: the twin's region name, or the AWS region. */
  readonly region: string;
  /** What the target connects the app to (database, S3); over spec.app.env, under hastack's own. */
  readonly provided?: Readonly<Record<string, string>>;
}

/** spec.app.env, then `provided`, then PORT, HOST, AWS_REGION and SHUTDOWN_TIMEOUT_SECONDS, which win. */
export function instanceVariables(spec: ResolvedSpec, i: InstanceVariablesInput): Record<string, string> {
  return {
    ...spec.app.env,
    ...(i.provided ?? {}),
    PORT: String(i.port),
    HOST: i.host,
    AWS_REGION: i.region,
    // A second less than the stop timeout (the supervisor's SIGKILL, systemd's TimeoutStopSec), so the app's own deadline comes first.
    SHUTDOWN_TIMEOUT_SECONDS: String(Math.max(1, spec.app.stopTimeout - 1)),
  };
}
