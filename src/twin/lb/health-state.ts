/**
 * How one health-check result moves a target between ALB's states. Pure: the checker feeds it
 * results and applies what it returns.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */

/** ALB's reason codes for a target that is not healthy. */
export type HealthReason =
  | 'Elb.RegistrationInProgress'
  | 'Elb.InitialHealthChecking'
  | 'Target.FailedHealthChecks'
  | 'Target.Timeout'
  | 'Target.ResponseCodeMismatch'
  | 'Target.DeregistrationInProgress'
  | 'Target.NotInUse';

export type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'Target.FailedHealthChecks' | 'Target.Timeout' | 'Target.ResponseCodeMismatch'; readonly description: string };

/** The part of a target's record the health decision reads. */
export interface HealthRecord {
  readonly state: 'initial' | 'healthy' | 'unhealthy';
  readonly okStreak: number;
  readonly failStreak: number;
}

export interface HealthThresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface HealthStep extends HealthRecord {
  readonly reason: HealthReason | undefined;
  readonly description: string | undefined;
  /** True when `state` differs from the record's. */
  readonly changed: boolean;
}

export const REASON_DESCRIPTION: Readonly<Record<HealthReason, string>> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.Timeout': 'Request timed out',
  'Target.ResponseCodeMismatch': 'Health checks failed',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
};

/**
 * A new target needs one passing check to be healthy (ALB's rule for registration); after that,
 * `healthyThreshold` consecutive passes bring an unhealthy target back and `unhealthyThreshold`
 * consecutive failures take a healthy (or still initial) one out.
 */
export function nextHealth(rec: HealthRecord, probe: ProbeResult, t: HealthThresholds): HealthStep {
  if (probe.ok) {
    const okStreak = rec.okStreak + 1;
    const becomesHealthy = rec.state === 'healthy' || rec.state === 'initial' || okStreak >= t.healthyThreshold;
    if (becomesHealthy) {
      return { state: 'healthy', okStreak, failStreak: 0, reason: undefined, description: undefined, changed: rec.state !== 'healthy' };
    }
    return { state: 'unhealthy', okStreak, failStreak: 0, reason: 'Target.FailedHealthChecks', description: `Health checks passed ${okStreak} of ${t.healthyThreshold} times needed`, changed: false };
  }
  const failStreak = rec.failStreak + 1;
  if (failStreak >= t.unhealthyThreshold || rec.state === 'unhealthy') {
    return { state: 'unhealthy', okStreak: 0, failStreak, reason: probe.reason, description: probe.description, changed: rec.state !== 'unhealthy' };
  }
  const reason: HealthReason = rec.state === 'initial' ? 'Elb.InitialHealthChecking' : probe.reason;
  return { state: rec.state, okStreak: 0, failStreak, reason: rec.state === 'healthy' ? undefined : reason, description: rec.state === 'healthy' ? undefined : REASON_DESCRIPTION[reason], changed: false };
}
