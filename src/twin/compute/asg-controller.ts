import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedSpec } from '../../spec/types.ts';
import { freePort, waitForPort } from '../../util/free-port.ts';
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events.ts';
import type { ProcessRegistry } from '../reaper/reaper.ts';
import { ActivityLog, type ScalingActivity } from './activity-log.ts';
import { decideAsg, type AsgAction, type InstanceView, type Lifecycle, type TargetView } from './asg-decide.ts';
import { asgError } from './errors.ts';
import { ImdsServer, twinInstanceMetadata } from './imds-server.ts';
import { newInstanceId } from './instance-id.ts';
import { InstanceProcess } from './instance-process.ts';
import { instanceVariables } from '../../spec/instance-variables.ts';

/** What the group needs from the load balancer: register, drain, and read target health. */
export interface TargetGroupPort {
  registerTarget(t: { id: string; zone: string; host: string; port: number }): void;
  deregisterTarget(id: string): Promise<void>;
  targetState(id: string): TargetView | undefined;
}

export interface AsgControllerOptions {
  readonly spec: ResolvedSpec;
  readonly stateDir: string;
  readonly targets: TargetGroupPort;
  readonly clock: Clock;
  readonly onEvent: EmitEvent;
  readonly registry?: ProcessRegistry;
  /** Extra environment for every instance (database and storage endpoints, …). */
  readonly instanceEnv?: () => Readonly<Record<string, string>>;
  /** Milliseconds between reconcile cycles when nothing marks the group dirty. @default 1000 */
  readonly loopMs?: number;
  /** Most launches and terminations per cycle. @default 10 */
  readonly burst?: number;
}

export interface InstanceRecord {
  readonly id: string;
  readonly zone: string;
  readonly port: number;
  readonly launchedAt: number;
  readonly launchCause: 'capacity' | 'rebalance';
  readonly logFile: string;
  readonly process: InstanceProcess;
  readonly imds: ImdsServer;
  lifecycle: Lifecycle;
  listening: boolean;
  inServiceAt: number | undefined;
}

/** Entered service at least the warmup ago: its metrics count towards the group's (AWS instance warmup). */
export function pastWarmup(r: InstanceRecord, warmupSec: number, now: number): boolean {
  return r.inServiceAt !== undefined && now - r.inServiceAt >= warmupSec * 1000;
}

export interface InstanceSummary {
  readonly id: string;
  readonly zone: string;
  readonly lifecycle: Lifecycle;
  readonly healthStatus: 'Healthy' | 'Unhealthy';
  readonly target: TargetView | undefined;
  readonly pid: number | undefined;
  readonly port: number;
  readonly launchedAt: number;
  readonly paused: boolean;
  readonly logFile: string;
}

/**
 * The Auto Scaling group as a level-triggered controller: events only mark it dirty; each cycle
 * reads the actual state, asks decideAsg what to do, and carries out bounded actions. One failed
 * action is logged and retried by a later cycle; the loop never dies of it.
 */
export class AsgController {
  readonly name: string;
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly zones: Map<string, boolean>;
  private readonly activities = new ActivityLog(200);
  private desired: number;
  private timer: unknown;
  private running = false;
  private dirty = false;
  private stopped = false;
  private lastSummary = '';
  /** Terminations under way; shutdown waits for them. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly loopMs: number;
  private readonly burst: number;
  private cycle: Promise<string> | undefined;
  /** Instances in a row that died soon after launch; launches back off while it grows. */
  private quickFailures = 0;
  private launchNotBefore: number | undefined;

  constructor(private readonly o: AsgControllerOptions) {
    this.name = `${o.spec.name}-asg`;
    this.desired = o.spec.capacity.desired;
    this.zones = new Map(o.spec.twin.zones.map((z) => [z, true]));
    this.loopMs = o.loopMs ?? 1000;
    this.burst = o.burst ?? 10;
    mkdirSync(path.join(o.stateDir, 'logs'), { recursive: true });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something changed (a process exited, a target's health flipped): reconcile soon. */
  markDirty(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.schedule(0);
  }

  get desiredCapacity(): number {
    return this.desired;
  }

  get capacity(): { min: number; desired: number; max: number } {
    return { min: this.o.spec.capacity.min, desired: this.desired, max: this.o.spec.capacity.max };
  }

  setDesiredCapacity(n: number, cause: string): void {
    const { min, max } = this.o.spec.capacity;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw asgError('HASTACK_ASG_DESIRED_OUT_OF_RANGE', `desired capacity ${String(n)} is outside min ${min} .. max ${max}`, {
        details: { received: n, min, max },
      });
    }
    if (n === this.desired) return;
    const from = this.desired;
    this.desired = n;
    this.activities.record({
      description: `Setting desired capacity from ${from} to ${n}`,
      cause,
      startTime: this.o.clock.now(),
      status: 'Successful',
    });
    this.o.onEvent({ source: 'asg', type: 'desired-changed', message: `desired capacity ${from} → ${n}: ${cause}`, data: { from, to: n } });
    this.markDirty();
  }

  setZoneAvailable(zone: string, available: boolean): void {
    if (!this.zones.has(zone)) {
      throw asgError('HASTACK_ASG_UNKNOWN_ZONE', `unknown zone ${JSON.stringify(zone)}; expected one of ${[...this.zones.keys()].join(', ')}`, {
        details: { received: zone },
      });
    }
    this.zones.set(zone, available);
    this.markDirty();
  }

  isZoneAvailable(zone: string): boolean {
    return this.zones.get(zone) ?? false;
  }

  zoneNames(): string[] {
    return [...this.zones.keys()];
  }

  instance(id: string): InstanceRecord | undefined {
    return this.instances.get(id);
  }

  instanceRecords(): InstanceRecord[] {
    return [...this.instances.values()];
  }

  summaries(): InstanceSummary[] {
    return [...this.instances.values()].map((r) => {
      const target = this.o.targets.targetState(r.id);
      return {
        id: r.id,
        zone: r.zone,
        lifecycle: r.lifecycle,
        healthStatus: r.process.exited || (target === 'unhealthy' && this.o.spec.autoScaling.healthCheckType === 'ELB') ? 'Unhealthy' : 'Healthy',
        target,
        pid: r.process.pid,
        port: r.port,
        launchedAt: r.launchedAt,
        paused: r.process.paused,
        logFile: r.logFile,
      };
    });
  }

  activityHistory(): readonly ScalingActivity[] {
    return this.activities.list();
  }

  get summary(): string {
    return this.lastSummary;
  }

  /** Stops reconciling; instances keep running until terminateAll. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Drains and stops every instance (in parallel), as deleting the group does. */
  async terminateAll(cause: string): Promise<void> {
    this.stop();
    await this.cycle?.catch(() => undefined); // a launch in progress finishes (or backs out) first
    const all = [...this.instances.values()].filter((r) => r.lifecycle !== 'Terminating');
    // The rest drain side by side with terminations already under way.
    await Promise.allSettled([...all.map((r) => this.terminate(r, cause)), ...this.inflight]);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.reconcile();
    }, ms);
  }

  /** One cycle. Public so tests and the CLI can force one. */
  reconcile(): Promise<string> {
    if (this.running || this.stopped) {
      if (this.running) this.dirty = true;
      return Promise.resolve(this.lastSummary);
    }
    this.cycle = this.runCycle();
    return this.cycle;
  }

  private async runCycle(): Promise<string> {
    this.running = true;
    try {
      const decision = decideAsg({
        now: this.o.clock.now(),
        desired: this.desired,
        max: this.o.spec.capacity.max,
        zones: [...this.zones].map(([name, available]) => ({ name, available })),
        instances: [...this.instances.values()].map((r) => this.view(r)),
        healthCheckType: this.o.spec.autoScaling.healthCheckType,
        gracePeriodMs: this.o.spec.autoScaling.healthCheckGracePeriod * 1000,
        startupTimeoutMs: Math.max(this.o.spec.autoScaling.healthCheckGracePeriod, 30) * 1000,
        burst: this.burst,
        ...(this.launchNotBefore === undefined ? {} : { launchNotBefore: this.launchNotBefore }),
      });
      for (const a of decision.actions) {
        if (this.stopped) break;
        try {
          await this.execute(a);
        } catch (err) {
          this.o.onEvent({ source: 'asg', type: 'action-failed', message: `${a.kind} failed: ${(err as Error).message}`, data: { action: a.kind } });
        }
      }
      if (decision.summary !== this.lastSummary) {
        this.lastSummary = decision.summary;
        this.o.onEvent({ source: 'asg', type: 'reconciled', message: decision.summary });
      }
      return decision.summary;
    } catch (err) {
      this.o.onEvent({ source: 'asg', type: 'reconcile-failed', message: `reconcile failed: ${(err as Error).message}` });
      return this.lastSummary;
    } finally {
      this.running = false;
      const again = this.dirty;
      this.dirty = false;
      this.schedule(again ? 0 : this.loopMs);
    }
  }

  private view(r: InstanceRecord): InstanceView {
    const p = r.process;
    const exitDescription = p.exitSignal !== null ? `exited with signal ${p.exitSignal}` : p.exitCode !== null ? `exited with code ${p.exitCode}` : undefined;
    return {
      id: r.id,
      zone: r.zone,
      lifecycle: r.lifecycle,
      launchedAt: r.launchedAt,
      alive: !p.exited,
      ...(exitDescription === undefined ? {} : { exitDescription }),
      listening: r.listening,
      target: this.o.targets.targetState(r.id),
      launchCause: r.launchCause,
    };
  }

  private async execute(a: AsgAction): Promise<void> {
    if (a.kind === 'launch') return this.launch(a.zone, a.cause, a.reason);
    const r = this.instances.get(a.id);
    if (r === undefined) return;
    if (a.kind === 'put-in-service') {
      r.lifecycle = 'InService';
      r.inServiceAt = this.o.clock.now();
      this.quickFailures = 0;
      this.launchNotBefore = undefined;
      this.o.targets.registerTarget({ id: r.id, zone: r.zone, host: '127.0.0.1', port: r.port });
      this.o.onEvent({ source: 'asg', type: 'instance-in-service', message: `instance ${r.id} in ${r.zone} is InService and registered with the target group`, data: { id: r.id, zone: r.zone } });
      return;
    }
    const p = this.terminate(r, a.reason);
    this.track(p);
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async launch(zone: string, cause: 'capacity' | 'rebalance', reason: string): Promise<void> {
    const id = newInstanceId();
    const now = this.o.clock.now();
    const port = await freePort();
    const imds = new ImdsServer(twinInstanceMetadata(id, zone, this.o.spec.twin.region, now));
    const imdsEndpoint = await imds.start();
    if (this.stopped) {
      await imds.close(); // the group was deleted while this launch was getting ready
      return;
    }
    const logFile = path.join(this.o.stateDir, 'logs', `${id}.log`);
    const env: Record<string, string> = {
      ...instanceVariables(this.o.spec, { port, host: '127.0.0.1', region: this.o.spec.twin.region, provided: this.o.instanceEnv?.() ?? {} }),
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsEndpoint,
    };
    const proc = new InstanceProcess({ command: this.o.spec.app.start, env, logFile, ...(this.o.registry ? { registry: this.o.registry } : {}) });
    const record: InstanceRecord = { id, zone, port, launchedAt: now, launchCause: cause, logFile, process: proc, imds, lifecycle: 'Pending', listening: false, inServiceAt: undefined };
    this.instances.set(id, record);
    proc.start();
    this.activities.record({ description: `Launching a new EC2 instance: ${id}`, cause: reason, startTime: now, status: 'Successful', instanceId: id, zone });
    this.o.onEvent({ source: 'asg', type: 'instance-launched', message: `launched ${id} in ${zone} (pid ${proc.pid ?? '?'}, port ${port})`, data: { id, zone, pid: proc.pid, port } });
    void proc.exited$.then(() => {
      this.o.onEvent({ source: 'instance', type: 'instance-exited', message: `instance ${id} ${this.view(record).exitDescription ?? 'exited'}`, data: { id, zone } });
      if (record.lifecycle === 'Pending') this.noteQuickFailure(record);
      this.markDirty();
    });
    const startupMs = Math.max(this.o.spec.autoScaling.healthCheckGracePeriod, 30) * 1000;
    void waitForPort(port, startupMs, '127.0.0.1', () => !proc.exited && record.lifecycle !== 'Terminating').then((ok) => {
      if (ok) {
        record.listening = true;
        this.markDirty();
      }
    });
  }

  /**
   * An instance that dies before it ever serves (a crash at start, a wrong command) would be
   * relaunched at once, forever; instead launches back off: 1 s, 2 s, 4 s, … up to a minute,
   * until an instance makes it into service.
   */
  private noteQuickFailure(r: InstanceRecord): void {
    this.quickFailures++;
    const delayMs = Math.min(1000 * 2 ** (this.quickFailures - 1), 60_000);
    this.launchNotBefore = this.o.clock.now() + delayMs;
    this.o.onEvent({
      source: 'asg',
      type: 'launch-backoff',
      message: `instance ${r.id} stopped before it entered service (${this.quickFailures} in a row; see \`hastack logs ${r.id}\`); next launch in ${Math.round(delayMs / 1000)} s`,
      data: { id: r.id, failures: this.quickFailures, delayMs },
    });
  }

  private async terminate(r: InstanceRecord, cause: string): Promise<void> {
    if (r.lifecycle === 'Terminating') return;
    const wasInService = r.lifecycle === 'InService';
    r.lifecycle = 'Terminating';
    const start = this.o.clock.now();
    this.o.onEvent({ source: 'asg', type: 'instance-terminating', message: `terminating ${r.id} in ${r.zone}: ${cause}`, data: { id: r.id, zone: r.zone } });
    if (wasInService) await this.o.targets.deregisterTarget(r.id);
    const how = await r.process.stop(this.o.spec.app.stopTimeout * 1000);
    await r.imds.close();
    this.instances.delete(r.id);
    this.activities.record({
      description: `Terminating EC2 instance: ${r.id}`,
      cause,
      startTime: start,
      endTime: this.o.clock.now(),
      status: 'Successful',
      instanceId: r.id,
      zone: r.zone,
      details: how === 'killed' ? 'did not stop within the stop timeout; killed' : how === 'graceful' ? 'stopped gracefully' : 'had already stopped',
    });
    this.o.onEvent({ source: 'asg', type: 'instance-terminated', message: `terminated ${r.id} in ${r.zone} (${how})`, data: { id: r.id, zone: r.zone } });
    this.markDirty();
  }
}
