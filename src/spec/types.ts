/**
 * The stack config a user writes (`hastack.config.ts`) and the resolved form every target reads.
 * Times are in seconds, as AWS states them. Later sections (database, storage, dns, alarms) join
 * `StackConfig` beside the ones here; the schema is strict so a misspelt field is an error, not a no-op.
 */

/** A command to run, as argv (no shell). */
export interface CommandConfig {
  /** The executable, looked up on PATH. `node` means the Node.js running hastack. */
  readonly command: string;
  /** Arguments. @default [] */
  readonly args?: readonly string[];
  /** Working folder, relative to the config file. @default - the config file's folder */
  readonly cwd?: string;
}

export interface AppConfig {
  /** How to start one instance of the app. The app must listen on `$PORT`. */
  readonly start: CommandConfig;
  /** An optional build step run once before instances start (and before the AWS bundle is made). */
  readonly build?: CommandConfig;
  /**
   * The port the app listens on in production (EC2). On the twin each instance gets its own port
   * through `PORT`. @default 8080
   */
  readonly port?: number;
  /** Extra environment for every instance. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Seconds between SIGTERM and SIGKILL when an instance stops (systemd's TimeoutStopSec).
   * @default 10
   */
  readonly stopTimeout?: number;
}

export interface CapacityConfig {
  /** Fewest instances. @default - the zone count (one per zone) */
  readonly min?: number;
  /** Instances wanted now. @default - min */
  readonly desired?: number;
  /** Most instances. @default - three per zone */
  readonly max?: number;
}

/** @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html */
export interface HealthCheckConfig {
  /** Path the load balancer probes. @default '/readyz' */
  readonly path?: string;
  /** Seconds between probes, 5–300. @default 5 (ALB's is 30; 5 detects failures fast) */
  readonly interval?: number;
  /** Seconds before a probe counts as failed, 2–120, below interval. @default - 5, or interval − 1 when that is less */
  readonly timeout?: number;
  /** Consecutive successes before an unhealthy target is healthy, 2–10. @default 2 (ALB's is 5) */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a healthy target is unhealthy, 2–10. @default 2 */
  readonly unhealthyThreshold?: number;
  /** HTTP codes that count as success: `200`, `200,202` or `200-299`. @default '200' */
  readonly successCodes?: string;
}

/** @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html */
export interface LoadBalancerConfig {
  /** Serve HTTPS and redirect HTTP to it. @default - true when certificateArn is set, else false */
  readonly https?: boolean;
  /** ACM certificate for the HTTPS listener on AWS. The twin uses a self-signed one. @default - none */
  readonly certificateArn?: string;
  /** How the target group picks a target. @default 'round_robin' */
  readonly algorithm?: 'round_robin' | 'least_outstanding_requests';
  /** Seconds a deregistering target keeps its in-flight requests, 0–3600. @default 30 (ALB's is 300) */
  readonly deregistrationDelay?: number;
  /** Seconds a new target's share of traffic ramps up, 0 (off) or 30–900. @default 0 */
  readonly slowStart?: number;
  /** Seconds a connection may sit idle, 1–4000. @default 60 */
  readonly idleTimeout?: number;
  readonly healthCheck?: HealthCheckConfig;
}

/** One target-tracking policy: keep the metric near the target by changing desired capacity. */
export interface TargetTrackingConfig {
  /** The value to hold the metric at. */
  readonly target: number;
  /** Never remove instances on this policy's account. @default false */
  readonly disableScaleIn?: boolean;
}

/** @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html */
export interface AutoScalingConfig {
  /** Replace instances the load balancer finds unhealthy (ELB) or only dead ones (EC2). @default 'ELB' */
  readonly healthCheckType?: 'EC2' | 'ELB';
  /** Seconds after launch before health checks can mark an instance unhealthy. @default 60 (console's is 300) */
  readonly healthCheckGracePeriod?: number;
  /** Seconds after a scaling activity before a scale-in may follow. @default 300 */
  readonly cooldown?: number;
  /** Seconds before a new instance's metrics count towards the group's. @default 300 */
  readonly instanceWarmup?: number;
  /** Period of the metrics target tracking reads: 10, 20, 30 (high resolution) or 60. @default 60 */
  readonly metricPeriod?: 10 | 20 | 30 | 60;
  /** Average CPU utilization (percent) per instance. @default { target: 50 } */
  readonly cpu?: TargetTrackingConfig | false;
  /** ALBRequestCountPerTarget: requests per target per metric period. @default - off */
  readonly requestCountPerTarget?: TargetTrackingConfig | false;
}

/** Settings of the local twin only; AWS ignores them. */
export interface TwinConfig {
  /** Name of the local region. @default 'local-1' */
  readonly region?: string;
  /** Load balancer HTTP listener port on loopback (0 picks a free one). @default 8080 */
  readonly httpPort?: number;
  /** Load balancer HTTPS listener port on loopback, when HTTPS is on. @default 8443 */
  readonly httpsPort?: number;
}

export interface StackConfig {
  /** Stack name: lowercase letters, digits and hyphens, starting with a letter, at most 32. */
  readonly name: string;
  /** AWS region to deploy to. @default 'us-east-1' */
  readonly region?: string;
  /** Availability Zones to spread over, 2–6. @default 3 */
  readonly zones?: number;
  readonly app: AppConfig;
  readonly capacity?: CapacityConfig;
  readonly loadBalancer?: LoadBalancerConfig;
  readonly autoScaling?: AutoScalingConfig;
  readonly twin?: TwinConfig;
}

export interface ResolvedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Absolute. */
  readonly cwd: string;
}

export type TrackedMetric = 'CPUUtilization' | 'ALBRequestCountPerTarget';

export interface ResolvedTargetTracking {
  readonly metric: TrackedMetric;
  readonly target: number;
  readonly disableScaleIn: boolean;
}

/** Every default applied, every invariant checked. Both targets read only this. */
export interface ResolvedSpec {
  readonly name: string;
  readonly region: string;
  /** AWS zone names, e.g. us-east-1a, us-east-1b, us-east-1c. */
  readonly zones: readonly string[];
  /** Folder of the config file; relative paths are resolved against it. */
  readonly configDir: string;
  readonly app: {
    readonly start: ResolvedCommand;
    readonly build: ResolvedCommand | undefined;
    readonly port: number;
    readonly env: Readonly<Record<string, string>>;
    readonly stopTimeout: number;
  };
  readonly capacity: { readonly min: number; readonly desired: number; readonly max: number };
  readonly loadBalancer: {
    readonly https: boolean;
    readonly certificateArn: string | undefined;
    readonly algorithm: 'round_robin' | 'least_outstanding_requests';
    readonly deregistrationDelay: number;
    readonly slowStart: number;
    readonly idleTimeout: number;
    readonly healthCheck: {
      readonly path: string;
      readonly interval: number;
      readonly timeout: number;
      readonly healthyThreshold: number;
      readonly unhealthyThreshold: number;
      readonly successCodes: string;
    };
  };
  readonly autoScaling: {
    readonly healthCheckType: 'EC2' | 'ELB';
    readonly healthCheckGracePeriod: number;
    readonly cooldown: number;
    readonly instanceWarmup: number;
    readonly metricPeriod: 10 | 20 | 30 | 60;
    readonly targetTracking: readonly ResolvedTargetTracking[];
  };
  readonly twin: {
    readonly region: string;
    /** Twin zone names, e.g. local-1a, local-1b, local-1c (same order as `zones`). */
    readonly zones: readonly string[];
    readonly httpPort: number;
    readonly httpsPort: number;
  };
}
