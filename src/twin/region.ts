import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/types.ts';
import { realClock, type Clock } from './clock.ts';
import { AsgController } from './compute/asg-controller.ts';
import { asgError } from './compute/errors.ts';
import { ImdsServer, twinInstanceMetadata } from './compute/imds-server.ts';
import { INSTANCE_ID_PATTERN, newInstanceId } from './compute/instance-id.ts';
import { ControlServer } from './control/control-server.ts';
import { twinError } from './control/errors.ts';
import { controlRoutes } from './control/routes.ts';
import type { TwinEvent } from './events.ts';
import { EventLog } from './event-log.ts';
import { LoadBalancer } from './lb/index.ts';
import { MetricCollector } from './compute/metric-collector.ts';
import { AlarmManager, MetricStore, specAlarmDefinitions } from './monitor/index.ts';
import { Reaper } from './reaper/reaper.ts';
import { startRegionDatabase, type RegionDatabase } from './region-database.ts';
import { startRegionStorage, type RegionStorage } from './region-storage.ts';
import { ScalingLoop, type ScalingOverrides } from './compute/scaling-loop.ts';
import { ensureStateDir, readLiveCard, readOrCreateSecret, removeCard, stateDirFor, writeCard } from './state-dir.ts';
import { allInServiceAndHealthy, type TwinStatus } from './status.ts';

export interface TwinOptions {
  /** A config file to load; or pass `spec`. @default 'hastack.config.ts' */
  readonly configFile?: string;
  readonly spec?: ResolvedSpec;
  /** @default - `.hastack/` next to the config */
  readonly stateDir?: string;
  /** Overrides spec.twin.httpPort (tests use 0). */
  readonly httpPort?: number;
  readonly httpsPort?: number;
  /** Every event the twin reports; the library never prints. */
  readonly onEvent?: (e: TwinEvent) => void;
  /** Start the database for the app. @default true */
  readonly database?: boolean;
  /** Start the S3 endpoint and storage nodes. @default - when the spec declares a bucket */
  readonly storage?: boolean;
  /** 'aws' makes database failovers take as long as RDS's. @default spec.twin.fidelity */
  readonly fidelity?: 'fast' | 'aws';
  /** Shorter target-tracking alarms for tests (AWS's are 3 and 15 datapoints). */
  readonly scaling?: ScalingOverrides;
  readonly clock?: Clock;
}

/**
 * A running local region: the app's instances in an Auto Scaling group across zones, a load
 * balancer in front, a database, metrics, and a control API. Start with startTwin; always close().
 */
export class Twin {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  readonly startedAt: number;
  /** Settles once close() has finished, whoever called it (a signal, the control API, a test). */
  readonly closed: Promise<void> = new Promise((resolve) => (this.markClosed = resolve));

  constructor(
    readonly spec: ResolvedSpec,
    readonly stateDir: string,
    readonly lb: LoadBalancer,
    readonly asg: AsgController,
    readonly metrics: MetricStore,
    readonly events: EventLog,
    private readonly parts: {
      readonly reaper: Reaper;
      readonly control: ControlServer;
      readonly collector: MetricCollector;
      readonly scaling: ScalingLoop;
      /** The spec's alarms, evaluated on the twin's metrics as CloudWatch evaluates them on AWS. */
      readonly alarms: AlarmManager;
      readonly database: RegionDatabase | undefined;
      readonly storage: RegionStorage | undefined;
      readonly endpoints: { http: string; https: string | undefined };
      /** A metadata endpoint for code run from the user's shell (`hastack env`): a stand-in instance in the first zone. */
      readonly shellImds: ImdsServer;
    },
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  get endpoint(): string {
    return this.parts.endpoints.http;
  }

  get httpsEndpoint(): string | undefined {
    return this.parts.endpoints.https;
  }

  get controlApi(): string {
    return this.parts.control.url;
  }

  get database(): RegionDatabase | undefined {
    return this.parts.database;
  }

  get storage(): RegionStorage | undefined {
    return this.parts.storage;
  }

  /** The variables an instance gets, for code run from the user's shell (`hastack env`). */
  env(): Record<string, string> {
    return {
      AWS_REGION: this.spec.twin.region,
      // awscli before 2.13 and s3cmd-style tools read only this one.
      AWS_DEFAULT_REGION: this.spec.twin.region,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: this.parts.shellImds.endpoint,
      ...(this.parts.database?.env() ?? {}),
      ...(this.parts.storage?.env() ?? {}),
    };
  }

  status(): TwinStatus {
    const summaries = this.asg.summaries();
    return {
      name: this.spec.name,
      region: this.spec.twin.region,
      endpoint: this.endpoint,
      httpsEndpoint: this.httpsEndpoint,
      controlApi: this.controlApi,
      stateDir: this.stateDir,
      pid: process.pid,
      startedAt: this.startedAt,
      now: this.clock.now(),
      capacity: this.asg.capacity,
      zones: this.asg.zoneNames().map((name) => ({
        name,
        available: this.asg.isZoneAvailable(name),
        instances: summaries.filter((s) => s.zone === name),
      })),
      targets: this.lb.targetHealth().map((t) => ({ id: t.id, zone: t.zone, port: t.port, state: t.state, reason: t.reason, inFlight: t.inFlight })),
      database: this.parts.database?.status(),
      storage: this.parts.storage?.status(),
      activities: this.asg.activityHistory().slice(0, 20),
      asgSummary: this.asg.summary,
      alarms: this.parts.alarms.describeAlarms().map((a) => ({ name: a.definition.name, state: a.state, reason: a.reason, since: a.stateUpdatedAt })),
    };
  }

  /** Resolves once desired capacity is InService and every target is healthy. */
  async waitUntilHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closing !== undefined) throw twinError('HASTACK_TWIN_NOT_RUNNING', 'the twin was stopped before every target became healthy');
      const s = this.asg.summaries();
      if (allInServiceAndHealthy(s, this.asg.desiredCapacity)) {
        await this.parts.database?.waitUntilReplicated(Math.max(1_000, deadline - Date.now()));
        await this.parts.storage?.waitUntilReplicated(Math.max(1_000, deadline - Date.now()));
        return;
      }
      if (Date.now() > deadline) {
        const healthy = s.filter((i) => i.lifecycle === 'InService' && i.target === 'healthy');
        throw twinError('HASTACK_TWIN_NOT_HEALTHY', `after ${Math.round(timeoutMs / 1000)} s, ${healthy.length} of ${this.asg.desiredCapacity} instances are InService with healthy targets (${this.asg.summary}); see \`hastack logs <instance>\``);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private instanceOrThrow(id: string) {
    const r = this.asg.instance(id);
    if (r === undefined || r.lifecycle === 'Terminating') {
      throw asgError('HASTACK_ASG_UNKNOWN_INSTANCE', `no running instance ${JSON.stringify(id)}; running: ${this.asg.instanceRecords().filter((i) => i.lifecycle !== 'Terminating').map((i) => i.id).join(', ') || 'none'}`, { details: { received: id } });
    }
    return r;
  }

  private later(seconds: number | undefined, fn: () => void): void {
    if (seconds === undefined) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, seconds * 1000);
    t.unref();
    this.timers.add(t);
  }

  /** SIGKILL one instance: its process dies at once, as a crashed or terminated VM. */
  killInstance(id: string): string {
    const r = this.instanceOrThrow(id);
    r.process.signal('SIGKILL');
    return this.fault(`killed instance ${id} in ${r.zone} (SIGKILL to pid ${r.process.pid ?? '?'})`);
  }

  /** SIGSTOP one instance: it keeps its sockets but answers nothing, as a hung VM. */
  hangInstance(id: string, seconds?: number): string {
    const r = this.instanceOrThrow(id);
    r.process.signal('SIGSTOP');
    this.later(seconds, () => {
      if (r.process.signal('SIGCONT')) this.fault(`resumed instance ${id} (SIGCONT)`);
    });
    return this.fault(`hung instance ${id} in ${r.zone} (SIGSTOP)${seconds === undefined ? '' : `; SIGCONT in ${seconds} s`}`);
  }

  resumeInstance(id: string): string {
    const r = this.instanceOrThrow(id);
    r.process.signal('SIGCONT');
    return this.fault(`resumed instance ${id} (SIGCONT)`);
  }

  /**
   * A zone goes dark: every zonal part in it stops at once (instances, and the database node
   * if it lives there) and nothing new can start there until it returns.
   */
  zoneOutage(zone: string, seconds?: number): string {
    this.asg.setZoneAvailable(zone, false);
    const killed: string[] = [];
    for (const r of this.asg.instanceRecords()) {
      if (r.zone === zone && r.process.signal('SIGKILL')) killed.push(r.id);
    }
    const dbNode = this.parts.database?.zoneOut(zone);
    const storageNode = this.parts.storage?.zoneOut(zone);
    this.later(seconds, () => this.zoneRestore(zone));
    return this.fault(
      `zone ${zone} is out: killed ${killed.length} instance${killed.length === 1 ? '' : 's'} (${killed.join(', ') || 'none'})${dbNode === undefined ? '' : `, database node ${dbNode}`}${storageNode === undefined ? '' : `, ${storageNode}`}${seconds === undefined ? '' : `; back in ${seconds} s`}`,
    );
  }

  zoneRestore(zone: string): string {
    this.asg.setZoneAvailable(zone, true);
    this.parts.database?.zoneBack(zone);
    this.parts.storage?.zoneBack(zone).catch((e: unknown) => this.events.emit({ source: 'storage', type: 'storage-node-failed', message: `storage node in ${zone} failed to start: ${(e as Error).message}` }));
    return this.fault(`zone ${zone} is back`);
  }

  /** The database, or a coded error when the twin runs without one. */
  db(): RegionDatabase {
    const db = this.parts.database;
    if (db === undefined) throw twinError('HASTACK_TWIN_NO_DATABASE', 'this twin runs without a database');
    return db;
  }

  /** SIGKILL of the database primary's process group: RDS sees a crashed host and fails over. */
  dbKillPrimary(): string {
    return this.fault(this.db().faults.killPrimary());
  }

  /** SIGSTOP of the primary's process group (a hung host); SIGCONT after `seconds`, if it still runs. */
  dbHangPrimary(seconds?: number): string {
    return this.fault(this.db().faults.hangPrimary(seconds));
  }

  dbKillStandby(): string {
    return this.fault(this.db().faults.killStandby());
  }

  /** The object store, or a coded error when the twin runs without one. */
  s3(): RegionStorage {
    const s = this.parts.storage;
    if (s === undefined) throw twinError('HASTACK_TWIN_NO_STORAGE', 'this twin runs without object storage: declare a bucket in the spec (storage.buckets) or start it with `hastack up --storage`');
    return s;
  }

  /** SIGKILL of one zone's storage node (any running one when no zone is given); it is restarted a second later. */
  storageKillNode(zone?: string): string {
    return this.fault(this.s3().killNode(zone));
  }

  scale(desired: number): number {
    this.asg.setDesiredCapacity(desired, `At ${new Date(this.clock.now()).toISOString()} a user request set the desired capacity to ${desired}.`);
    return this.asg.desiredCapacity;
  }

  logs(id: string | undefined, lines: number): string[] {
    if (id === undefined) return this.events.list().slice(-lines).map((e) => `${new Date(e.at).toISOString()} ${e.source} ${e.message}`);
    const r = this.asg.instance(id);
    const file = r?.logFile ?? path.join(this.stateDir, 'logs', `${id}.log`);
    if (!INSTANCE_ID_PATTERN.test(id) || !existsSync(file)) {
      throw asgError('HASTACK_ASG_UNKNOWN_INSTANCE', `no log for instance ${JSON.stringify(id)}; expected an id such as i-0123456789abcdef0 from \`hastack status\``, { details: { received: id } });
    }
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1, -1);
  }

  private fault(message: string): string {
    this.events.emit({ source: 'fault', type: 'fault', message });
    return message;
  }

  /**
   * Stops the region in the order that loses no request: stop scaling, stop accepting new
   * connections, drain and stop every instance, then the load balancer, the database, the API.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.events.emit({ source: 'region', type: 'stopping', message: 'stopping the region' });
    for (const t of this.timers) clearTimeout(t);
    // Every step runs even if one before it failed: a half-stopped region is worse than a noisy one.
    const step = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        this.events.emit({ source: 'region', type: 'stop-failed', message: `stopping ${what} failed: ${(err as Error).message}` });
      }
    };
    await step('target tracking', () => this.parts.scaling.stop());
    await step('alarms', () => this.parts.alarms.stop());
    await step('metric collection', () => this.parts.collector.stop());
    await step('the listener', () => this.lb.stopAccepting());
    await step('the instances', () => this.asg.terminateAll('At shutdown the group was deleted.'));
    await step('the load balancer', () => this.lb.close());
    await step('the database', () => this.parts.database?.stop());
    await step('the object store', () => this.parts.storage?.stop());
    await step('the control API', () => this.parts.control.close());
    await step('the metadata endpoint', () => this.parts.shellImds.close());
    await step('the state card', () => removeCard(this.stateDir));
    await step('the reaper', () => this.parts.reaper.close());
    this.events.emit({ source: 'region', type: 'stopped', message: 'region stopped' });
    this.markClosed();
  }
}

/** Brings up a region for a config: everything started, not yet necessarily healthy. */
export async function startTwin(opts: TwinOptions = {}): Promise<Twin> {
  const spec = opts.spec ?? (await loadSpec(opts.configFile ?? 'hastack.config.ts'));
  const stateDir = opts.stateDir ?? stateDirFor(spec.configDir);
  const clock = opts.clock ?? realClock;
  ensureStateDir(stateDir);
  const live = readLiveCard(stateDir);
  if (live !== undefined && live.pid !== process.pid) {
    throw twinError('HASTACK_TWIN_ALREADY_RUNNING', `a twin of ${live.name} is already running (pid ${live.pid}, ${live.endpoint}); run \`hastack down\` first`);
  }
  const events = new EventLog(2000, clock, opts.onEvent);
  const emit = events.emit.bind(events);
  const reaper = new Reaper();
  reaper.start();
  const cleanup: (() => Promise<void> | void)[] = [() => reaper.close()];
  try {
    const metrics = new MetricStore();
    let database: RegionDatabase | undefined;
    if (opts.database ?? true) {
      database = await startRegionDatabase({ spec, stateDir, registry: reaper, onEvent: emit, metrics, clock, ...(opts.fidelity === undefined ? {} : { fidelity: opts.fidelity }) });
      const db = database;
      cleanup.unshift(() => db.stop());
    }
    let storage: RegionStorage | undefined;
    if (opts.storage ?? spec.storage.buckets.length > 0) {
      storage = await startRegionStorage({ spec, stateDir, registry: reaper, onEvent: emit, metrics });
      const st = storage;
      cleanup.unshift(() => st.stop());
    }
    const lb = new LoadBalancer({
      name: spec.name,
      config: spec.loadBalancer,
      httpPort: opts.httpPort ?? spec.twin.httpPort,
      ...(spec.loadBalancer.https ? { httpsPort: opts.httpsPort ?? spec.twin.httpsPort } : {}),
      clock,
      metrics,
      onEvent: emit,
    });
    const ports = await lb.start();
    cleanup.unshift(() => lb.close());
    const asg = new AsgController({
      spec,
      stateDir,
      clock,
      onEvent: emit,
      registry: reaper,
      instanceEnv: () => ({ ...(database?.env() ?? {}), ...(storage?.env() ?? {}) }),
      targets: {
        registerTarget: (t) => lb.registerTarget(t),
        deregisterTarget: (id) => lb.deregisterTarget(id),
        targetState: (id) => lb.targetState(id),
      },
    });
    cleanup.unshift(() => asg.terminateAll('At startup failure the group was deleted.'));
    // Target health changes are what the group reacts to; they only mark it dirty.
    events.subscribe((e) => {
      if (e.source === 'lb') asg.markDirty();
    });
    asg.start();
    const collector = new MetricCollector({ spec, asg, metrics, clock });
    collector.start();
    const scaling = new ScalingLoop({ spec, asg, metrics, clock, onEvent: emit, ...(opts.scaling ? { overrides: opts.scaling } : {}) });
    scaling.start();
    const specAlarms = new AlarmManager({ source: metrics, clock, onEvent: emit });
    for (const def of specAlarmDefinitions(spec, { loadBalancer: spec.name, targetGroup: spec.name, autoScalingGroup: asg.name, database: spec.name })) specAlarms.putAlarm(def);
    specAlarms.start();
    cleanup.unshift(() => specAlarms.stop());
    const shellImds = new ImdsServer(twinInstanceMetadata(newInstanceId(), spec.twin.zones[0]!, spec.twin.region, clock.now()));
    await shellImds.start();
    cleanup.unshift(() => shellImds.close());
    const token = readOrCreateSecret(stateDir, 'control.token');
    let twinRef: Twin | undefined;
    const control = new ControlServer(token, controlRoutes(() => twinRef!));
    await control.listen();
    cleanup.unshift(() => control.close());
    const endpoints = { http: ports.url, https: ports.httpsPort === undefined ? undefined : `https://localhost:${ports.httpsPort}` };
    const twin = new Twin(spec, stateDir, lb, asg, metrics, events, { reaper, control, collector, scaling, alarms: specAlarms, database, storage, endpoints, shellImds }, clock);
    twinRef = twin;
    writeCard(stateDir, {
      pid: process.pid,
      reaperPid: reaper.pid,
      name: spec.name,
      endpoint: endpoints.http,
      httpsEndpoint: endpoints.https,
      controlApi: control.url,
      stateDir,
      startedAt: twin.startedAt,
    });
    emit({ source: 'region', type: 'started', message: `region ${spec.twin.region} of ${spec.name} is up at ${endpoints.http}` });
    return twin;
  } catch (err) {
    for (const c of cleanup) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}
