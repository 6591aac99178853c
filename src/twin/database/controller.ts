/**
 * The database controller: a level-triggered loop over the twin's PostgreSQL nodes. Each tick it
 * reads what the probes and processes say, asks the pure decision core (decide.ts) what to do, and
 * carries the actions out one by one — fencing, promotion, rebuilding standbys, the synchronous
 * set, the endpoints. A node process that exits wakes it at once; otherwise it ticks every probe
 * interval. Every decision goes to the event log in RDS's words.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EmitEvent } from '../events.ts';
import type { Clock } from '../clock.ts';
import {
  PostgresNode,
  applyCommitPolicy,
  lsnToBigInt,
  configureStandby,
  ensureReplicationRole,
  promote,
  readPrimaryReplication,
  repointStandby,
  takeBaseBackup,
  type PostgresBinaries,
  type ServerSetting,
} from '../db/index.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { decideDatabase, promotionCandidates, type ClusterMemory, type DbAction, type Deployment, type NodeView } from './decide.ts';
import { rdsError } from './errors.ts';
import { writeMemory } from './memory-file.ts';
import { NodeProbe } from './node-probe.ts';

export interface ManagedNode {
  readonly node: PostgresNode;
  readonly probe: NodeProbe;
  /** Why the process last stopped, for messages. */
  exit: string | undefined;
  /** A fault paused it (SIGSTOP); resumed at the given time, if any. */
  paused: boolean;
}

export interface ControllerOptions {
  readonly deployment: Deployment;
  readonly strict: boolean;
  readonly zones: readonly string[];
  readonly stateDir: string;
  readonly binaries: PostgresBinaries;
  readonly settings: Readonly<Record<string, ServerSetting>>;
  readonly superuserPassword: string;
  readonly replication: { readonly user: string; readonly password: string };
  readonly restoreCommand: string | undefined;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly failureThreshold: number;
  /** Extra time before promotion, sampled per failover (`--fidelity aws`); 0 by default. */
  readonly failoverDelayMs: () => number;
  readonly writer: DbEndpoint;
  readonly reader: DbEndpoint | undefined;
  readonly clock: Clock;
  readonly registry?: { add(pgid: number): void; remove(pgid: number): void };
  readonly onEvent: EmitEvent;
  /** Runs once, on the first primary: the app's database and role. */
  readonly onBootstrap: (primary: PostgresNode) => Promise<void>;
  readonly memory: ClusterMemory;
}

export interface FailoverRecord {
  readonly from: string;
  readonly to: string;
  readonly planned: boolean;
  readonly reason: string;
  readonly startedAt: number;
  readonly ms: number;
}

export class DatabaseController {
  readonly nodes = new Map<string, ManagedNode>();
  #memory: ClusterMemory;
  readonly #zonesOut = new Set<string>();
  #plannedFailover: { resolve: (r: FailoverRecord) => void; reject: (e: Error) => void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #waiting: string | undefined;
  /** Whether the primary refuses commits now (strict mode, no synchronous standby): set once a policy is in force, not when it is decided. */
  #commitsRefused: boolean;
  readonly failovers: FailoverRecord[] = [];
  readonly #probeTimers = new Map<string, NodeJS.Timeout>();
  readonly #building = new Map<string, Promise<void>>();

  constructor(private readonly o: ControllerOptions) {
    this.#memory = o.memory;
    // After a restart the last policy applied is still in the primary's configuration.
    this.#commitsRefused = o.memory.sync.readOnly;
  }

  /** Whether commits are refused now: true only once the primary enforces it, false only once it accepts them again. */
  get commitsRefused(): boolean {
    return this.#commitsRefused;
  }

  get memory(): ClusterMemory {
    return this.#memory;
  }

  get waiting(): string | undefined {
    return this.#waiting;
  }

  nodeName(zone: string): string {
    return `db-${zone.slice(-1)}`;
  }

  primary(): ManagedNode | undefined {
    return this.#memory.primary === undefined ? undefined : this.nodes.get(this.#memory.primary);
  }

  zoneAvailable(zone: string): boolean {
    return !this.#zonesOut.has(zone);
  }

  /** Brings back the nodes a previous run left (primary first), then starts the loop. */
  async start(): Promise<void> {
    const m = this.#memory;
    // The nodes it remembers (their files may have been relocated, so not found by path here).
    const known = new Set([...(m.primary === undefined ? [] : [m.primary]), ...Object.keys(m.standbys)]);
    for (const zone of this.o.zones) {
      const name = this.nodeName(zone);
      if (known.has(name) || existsSync(path.join(this.#dataDir(name), 'PG_VERSION'))) this.#adopt(name, zone);
    }
    if (m.primary !== undefined) {
      const p = this.nodes.get(m.primary);
      if (p !== undefined) await this.#startNode(p);
      for (const [name, epoch] of Object.entries(m.standbys)) {
        const s = this.nodes.get(name);
        if (s === undefined || epoch !== m.epoch) continue;
        // The primary listens on a new port in this run: a standby still names the last run's.
        await this.#startNode(s)
          .then(() => (p === undefined ? undefined : repointStandby(s.node, { primaryPort: p.node.port, user: this.o.replication.user, password: this.o.replication.password, applicationName: name })))
          .catch(() => undefined);
      }
    }
    this.#schedule(0);
  }

  /** Makes the loop run again soon (a process exited, a fault was injected, a request came). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  setZoneAvailable(zone: string, available: boolean): void {
    if (available) this.#zonesOut.delete(zone);
    else this.#zonesOut.add(zone);
    this.wake();
  }

  /** RDS "reboot with failover": resolves once the standby took over. */
  requestFailover(): Promise<FailoverRecord> {
    if (this.#plannedFailover !== undefined || this.#memory.failover !== undefined) return Promise.reject(rdsError('HASTACK_RDS_FAILOVER_IN_PROGRESS', 'a failover is already in progress'));
    const c = promotionCandidates(this.#view());
    if ('blocked' in c) return Promise.reject(rdsError('HASTACK_RDS_NO_STANDBY', `no standby can take over now: ${c.blocked}`));
    return new Promise((resolve, reject) => {
      this.#plannedFailover = { resolve, reject };
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const t of this.#probeTimers.values()) clearTimeout(t);
    this.#probeTimers.clear();
    await this.#running?.catch(() => undefined);
    await Promise.all(this.#building.values());
    this.#plannedFailover?.reject(new Error('the database is shutting down'));
    this.#plannedFailover = undefined;
    for (const m of this.nodes.values()) m.probe.close();
    await Promise.all([...this.nodes.values()].map((m) => m.node.stop({ mode: 'fast' }).catch(() => undefined)));
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? 0 : this.o.probeIntervalMs);
      });
    }, ms);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    // Several actions per tick: a failover's fence and promotion run back to back.
    for (let round = 0; round < 8 && !this.#stopped; round++) {
      const view = this.#view();
      const d = decideDatabase(view);
      if (d.waiting !== this.#waiting && d.waiting !== undefined) this.#emit('waiting', d.waiting, {});
      this.#waiting = d.waiting;
      if (d.actions.length === 0) return;
      for (const a of d.actions) {
        try {
          await withTimeout(this.#act(a), ACTION_TIMEOUT_MS, `${a.kind} did not finish within ${ACTION_TIMEOUT_MS / 1000} s`);
        } catch (e) {
          this.#emit('action-failed', `${a.kind} failed: ${(e as Error).message}`, { action: a.kind });
          return;
        }
        if (this.#stopped) return;
      }
    }
  }

  #view() {
    const m = this.#memory;
    const nodes: NodeView[] = [...this.nodes.values()].map((x) => ({
      name: x.node.name,
      zone: x.node.zone,
      hasData: existsSync(path.join(x.node.paths.dataDir, 'PG_VERSION')),
      running: x.node.running,
      probeFailures: x.probe.failures,
      inRecovery: x.probe.last?.inRecovery,
      lsn: x.probe.last?.lsn,
      ...(x.exit === undefined ? {} : { exitDescription: x.exit }),
      building: this.#building.has(x.node.name),
    }));
    for (const name of this.#building.keys()) {
      if (!this.nodes.has(name)) nodes.push({ name, zone: this.o.zones.find((z) => this.nodeName(z) === name) ?? '', hasData: false, running: false, probeFailures: 0, inRecovery: undefined, lsn: undefined, building: true });
    }
    const p = this.primary();
    const last = p?.probe.last;
    return {
      now: this.o.clock.now(),
      deployment: this.o.deployment,
      strict: this.o.strict,
      zones: this.o.zones.map((name) => ({ name, available: this.zoneAvailable(name) })),
      nodes,
      memory: m,
      failureThreshold: this.o.failureThreshold,
      replication: (last?.replicas ?? []).map((r) => ({ name: r.name, state: r.state, syncState: r.syncState, flushLsn: r.flushLsn })),
      primaryLsn: last?.lsn,
      writerTarget: this.o.writer.targets()[0]?.name,
      readerTargets: (this.o.reader?.targets() ?? []).map((t) => t.name),
      plannedFailover: this.#plannedFailover !== undefined,
      failoverDelayMs: this.o.failoverDelayMs(),
      nodeNameFor: (zone: string) => this.nodeName(zone),
    };
  }

  async #remember(m: ClusterMemory): Promise<void> {
    this.#memory = m;
    await writeMemory(path.join(this.o.stateDir, 'db', 'cluster.json'), m);
  }

  async #act(a: DbAction): Promise<void> {
    const m = this.#memory;
    switch (a.kind) {
      case 'bootstrap': {
        const x = this.#adopt(a.node, a.zone);
        await x.node.init();
        await this.#startNode(x);
        await ensureReplicationRole(x.node, this.o.replication.user, this.o.replication.password);
        await this.o.onBootstrap(x.node);
        await this.#remember({ ...m, epoch: 1, primary: a.node, standbys: {}, sync: { members: [], verified: true, readOnly: this.o.strict } });
        await this.#applySync(x.node, [], this.o.strict);
        this.#emit('primary-created', `created primary ${a.node} in ${a.zone}`, { node: a.node });
        return;
      }
      case 'begin-failover': {
        await this.#remember({ ...m, failover: { from: a.from, reason: a.reason, planned: a.planned, startedAt: this.o.clock.now(), notBefore: a.notBefore } });
        this.o.writer.setTargets([]);
        this.o.reader?.setTargets([]);
        this.#emit('failover-started', `Multi-AZ instance failover started: ${a.reason}`, { from: a.from, planned: a.planned });
        return;
      }
      case 'fence': {
        const x = this.nodes.get(a.node);
        const standbys = { ...m.standbys };
        delete standbys[a.node];
        await this.#remember({ ...m, standbys });
        if (x !== undefined) {
          if (a.planned) await x.node.stop({ mode: 'fast' });
          else {
            x.node.kill('SIGKILL', { group: true });
            await x.node.stop({ mode: 'immediate' });
          }
          x.probe.reset();
          x.paused = false;
        }
        this.#emit('fenced', a.reason, { node: a.node });
        return;
      }
      case 'promote':
        return this.#promote(a.members);
      case 'abort-failover': {
        const x = this.nodes.get(a.node)!;
        await this.#remember({ ...m, failover: undefined });
        await this.#startNode(x);
        this.#emit('failover-aborted', a.reason, { node: a.node });
        this.#plannedFailover?.reject(new Error(a.reason));
        this.#plannedFailover = undefined;
        return;
      }
      case 'restart': {
        await this.#startNode(this.nodes.get(a.node)!);
        this.#emit('node-recovered', a.reason, { node: a.node });
        return;
      }
      case 'rebuild': {
        // Cloning takes a while; it runs beside the loop so a failure meanwhile is still handled.
        if (this.#building.has(a.node)) return;
        const job = this.#rebuild(a.node, a.zone, a.reason)
          .catch((e: Error) => this.#emit('standby-rebuild-failed', `rebuilding ${a.node} failed: ${e.message}`, { node: a.node }))
          .finally(() => {
            this.#building.delete(a.node);
            this.wake();
          });
        this.#building.set(a.node, job);
        return;
      }
      case 'remove': {
        const x = this.nodes.get(a.node);
        const standbys = { ...m.standbys };
        delete standbys[a.node];
        await this.#remember({ ...m, standbys });
        if (x !== undefined) {
          x.probe.close();
          this.#stopProbing(a.node);
          await x.node.remove();
          this.nodes.delete(a.node);
        }
        this.#emit('node-removed', a.reason, { node: a.node });
        return;
      }
      case 'set-sync': {
        const p = this.primary()!;
        // Remember first: a new set is never trusted before it is applied and caught up (an empty
        // one allows no promotion at all, so it needs no check).
        await this.#remember({ ...m, sync: { members: a.members, verified: a.members.length === 0, readOnly: a.readOnly } });
        await this.#applySync(p.node, a.members, a.readOnly);
        if (a.members.length > 0) {
          const lsn = lsnToBigInt((await readPrimaryReplication(p.node)).currentLsn);
          await this.#remember({ ...this.#memory, sync: { ...this.#memory.sync, verifyFromLsn: lsn } });
        }
        this.#emit('sync-changed', a.reason, { members: a.members, readOnly: a.readOnly });
        return;
      }
      case 'verify-sync': {
        const { verifyFromLsn: _drop, ...sync } = m.sync;
        await this.#remember({ ...m, sync: { ...sync, verified: true } });
        this.#emit('sync-verified', a.reason, {});
        return;
      }
      case 'set-endpoints': {
        const target = (name: string) => ({ name, port: this.nodes.get(name)!.node.port });
        this.o.writer.setTargets(a.writer === undefined ? [] : [target(a.writer)]);
        this.o.reader?.setTargets(a.readers.map(target));
        this.#emit('endpoint-changed', `the writer endpoint leads to ${a.writer ?? 'nothing'}${this.o.reader === undefined ? '' : `, the reader endpoint to ${a.readers.join(', ') || 'nothing'}`}: ${a.reason}`, { writer: a.writer, readers: a.readers });
        return;
      }
    }
  }

  async #promote(members: readonly string[]): Promise<void> {
    const m = this.#memory;
    const f = m.failover!;
    // Fresh positions: the member furthest ahead holds every acknowledged commit.
    let best: { x: ManagedNode; lsn: bigint } | undefined;
    for (const name of members) {
      const x = this.nodes.get(name)!;
      const answer = await x.probe.probe(() => this.o.clock.now());
      if (answer === undefined || !answer.inRecovery || answer.lsn === undefined) throw new Error(`standby ${name} did not answer before promotion`);
      if (best === undefined || answer.lsn > best.lsn) best = { x, lsn: answer.lsn };
    }
    const c = best!.x;
    await promote(c.node, 30_000);
    const epoch = m.epoch + 1;
    const standbys: Record<string, number> = {};
    for (const [name, e] of Object.entries(m.standbys)) if (name !== c.node.name) standbys[name] = e;
    await this.#remember({ epoch, primary: c.node.name, standbys, sync: { members: [], verified: true, readOnly: this.o.strict }, failover: undefined });
    await this.#applySync(c.node, [], this.o.strict);
    c.probe.reset();
    await c.probe.probe(() => this.o.clock.now()); // so the next tick sees it up, as a primary
    // The other synchronous members trail the new primary (it was the furthest ahead): they follow it.
    for (const name of members) {
      if (name === c.node.name) continue;
      const other = this.nodes.get(name)!;
      await repointStandby(other.node, { primaryPort: c.node.port, user: this.o.replication.user, password: this.o.replication.password, applicationName: name });
      await this.#remember({ ...this.#memory, standbys: { ...this.#memory.standbys, [name]: epoch } });
    }
    this.o.writer.setTargets([{ name: c.node.name, port: c.node.port }]);
    const ms = this.o.clock.now() - f.startedAt;
    const record: FailoverRecord = { from: f.from, to: c.node.name, planned: f.planned, reason: f.reason, startedAt: f.startedAt, ms };
    this.failovers.push(record);
    this.#emit('failover-completed', `Multi-AZ instance failover completed: ${c.node.name} in ${c.node.zone} is the primary, ${ms} ms after it started`, { from: f.from, to: c.node.name, ms });
    if (f.planned) {
      this.#plannedFailover?.resolve(record);
      this.#plannedFailover = undefined;
    }
  }

  async #rebuild(name: string, zone: string, reason: string): Promise<void> {
    const p = this.primary()!;
    const epoch = this.#memory.epoch;
    const old = this.nodes.get(name);
    this.#emit('standby-rebuild-started', reason, { node: name, zone });
    const t0 = this.o.clock.now();
    if (old !== undefined) {
      old.probe.close();
      await old.node.remove();
      this.nodes.delete(name);
    }
    const x = this.#adopt(name, zone);
    // Where the node keeps its files is final only once resolved (it may move when run as root).
    const { dataDir } = await x.node.adoptClone(this.o.superuserPassword);
    const backup = await takeBaseBackup({ source: p.node, targetDir: dataDir, binaries: this.o.binaries, label: `standby ${name}` });
    await configureStandby(dataDir, {
      primaryPort: p.node.port,
      user: this.o.replication.user,
      password: this.o.replication.password,
      applicationName: name,
      ...(this.o.restoreCommand === undefined ? {} : { restoreCommand: this.o.restoreCommand }),
    });
    if (this.#stopped) return;
    await this.#startNode(x);
    await this.#remember({ ...this.#memory, standbys: { ...this.#memory.standbys, [name]: epoch } });
    this.#emit('standby-created', `standby ${name} in ${zone} follows ${p.node.name} (cloned by ${backup.method} in ${this.o.clock.now() - t0} ms)`, { node: name, zone, method: backup.method });
  }

  async #applySync(primary: PostgresNode, members: readonly string[], readOnly: boolean): Promise<void> {
    if (this.o.deployment === 'single-az') return;
    const standbys = members.length > 0 ? members : this.o.strict ? ['*'] : [];
    await applyCommitPolicy(primary, { standbys, mode: this.o.deployment === 'multi-az-cluster' ? 'any' : 'first', num: 1, readOnly });
    this.#commitsRefused = readOnly;
  }

  #dataDir(name: string): string {
    return path.join(this.o.stateDir, 'db', name, 'data');
  }

  #adopt(name: string, zone: string): ManagedNode {
    const node = new PostgresNode({
      name,
      zone,
      dataDir: this.#dataDir(name),
      binaries: this.o.binaries,
      settings: this.o.settings,
      superuserPassword: this.o.superuserPassword,
      onEvent: this.o.onEvent,
      ...(this.o.registry === undefined ? {} : { registry: this.o.registry }),
    });
    const x: ManagedNode = { node, probe: new NodeProbe(() => node.clientConfig(), this.o.probeTimeoutMs), exit: undefined, paused: false };
    this.nodes.set(name, x);
    return x;
  }

  async #startNode(x: ManagedNode): Promise<void> {
    x.probe.reset();
    x.exit = undefined;
    x.paused = false;
    await x.node.start();
    void x.node.waitForExit().then((e) => {
      if (this.nodes.get(x.node.name) !== x) return;
      x.exit = `exited (${e.signal !== null ? `signal ${e.signal}` : `exit code ${e.code}`})`;
      x.probe.markDown();
      this.wake();
    });
    this.#startProbing(x);
  }

  #startProbing(x: ManagedNode): void {
    this.#stopProbing(x.node.name);
    const loop = async () => {
      if (this.#stopped || this.nodes.get(x.node.name) !== x) return;
      let failed = false;
      if (x.node.running) {
        failed = (await x.probe.probe(() => this.o.clock.now())) === undefined;
        if (failed && x.probe.failures >= this.o.failureThreshold) this.wake();
      }
      if (this.#stopped || this.nodes.get(x.node.name) !== x) return;
      // A failed probe is retried at once (its timeout already spaced it), so a hang is seen fast.
      const t = setTimeout(() => void loop(), failed && x.probe.failures < this.o.failureThreshold ? 0 : this.o.probeIntervalMs);
      t.unref?.();
      this.#probeTimers.set(x.node.name, t);
    };
    void loop();
  }

  #stopProbing(name: string): void {
    clearTimeout(this.#probeTimers.get(name));
    this.#probeTimers.delete(name);
  }

  #emit(type: string, message: string, data: Record<string, unknown>): void {
    this.o.onEvent({ source: 'db', type, message, data });
  }
}

/** Most an action may take; a rebuild runs beside the loop and has its own bounds. */
const ACTION_TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
