import type { ResolvedSpec } from '../../spec/types.ts';
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events.ts';
import type { MetricSink } from '../monitor/types.ts';

/** One instance behind the load balancer, as the Auto Scaling group registers it. */
export interface TargetRef {
  /** The instance id, e.g. i-0123456789abcdef0. */
  readonly id: string;
  /** The instance's zone, e.g. local-1a; used for per-zone host counts. */
  readonly zone: string;
  /** Loopback address the instance listens on. */
  readonly host: string;
  readonly port: number;
}

/**
 * ALB's target states.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

export interface TargetHealth {
  readonly id: string;
  readonly zone: string;
  readonly port: number;
  readonly state: TargetState;
  /** ALB's reason code, e.g. Target.Timeout; absent when healthy. */
  readonly reason?: string;
  readonly description?: string;
  /** Requests sent to the target and not yet answered in full. */
  readonly inFlight: number;
  /** Epoch ms of the last state change. */
  readonly since: number;
}

export interface LoadBalancerOptions {
  /** Stack name, used in metric dimensions (app/<name>/local). */
  readonly name: string;
  /** As resolved in the spec: seconds, as AWS states them. */
  readonly config: ResolvedSpec['loadBalancer'];
  /** Loopback address to listen on; anything else is refused. @default '127.0.0.1' */
  readonly host?: string;
  /** HTTP listener port; 0 picks a free one. */
  readonly httpPort: number;
  /** HTTPS listener port when config.https; 0 picks a free one. @default 0 */
  readonly httpsPort?: number;
  /** Certificate for HTTPS. @default - a self-signed one for localhost and 127.0.0.1 */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Drives health-check rounds, deregistration delay, slow start and metric flushes. @default realClock */
  readonly clock?: Clock;
  readonly metrics?: MetricSink;
  /** Target state changes, fail-open and listener start/stop, as source 'lb' events. */
  readonly onEvent?: EmitEvent;
}

export interface ListenerPorts {
  readonly httpPort: number;
  readonly httpsPort?: number;
  /** Where clients should go: the HTTPS listener when HTTPS is on, else the HTTP one. */
  readonly url: string;
}
