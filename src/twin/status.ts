import type { ScalingActivity } from './compute/activity-log.ts';
import type { InstanceSummary } from './compute/asg-controller.ts';

/** What `hastack status` shows; also the control API's GET /status. */
export interface TwinStatus {
  readonly name: string;
  readonly region: string;
  readonly endpoint: string;
  readonly httpsEndpoint: string | undefined;
  readonly controlApi: string;
  readonly stateDir: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly now: number;
  readonly capacity: { readonly min: number; readonly desired: number; readonly max: number };
  readonly zones: readonly {
    readonly name: string;
    readonly available: boolean;
    readonly instances: readonly InstanceSummary[];
  }[];
  readonly targets: readonly {
    readonly id: string;
    readonly zone: string;
    readonly port: number;
    readonly state: string;
    readonly reason?: string | undefined;
    readonly inFlight: number;
  }[];
  readonly database: DatabaseStatus | undefined;
  readonly activities: readonly ScalingActivity[];
  readonly asgSummary: string;
}

/** Desired capacity is InService and every target healthy: what `up` waits for. */
export function allInServiceAndHealthy(instances: readonly InstanceSummary[], desired: number): boolean {
  const active = instances.filter((i) => i.lifecycle !== 'Terminating');
  return active.length === desired && active.every((i) => i.lifecycle === 'InService' && i.target === 'healthy');
}

export interface DatabaseStatus {
  readonly engine: 'postgres';
  readonly version: string;
  readonly binaries: string;
  readonly nodes: readonly {
    readonly name: string;
    readonly zone: string;
    readonly role: 'primary';
    readonly state: 'running' | 'stopped';
    readonly pid: number | undefined;
    readonly port: number;
    readonly dataDir: string;
  }[];
  readonly endpoint: string;
}
