import net from 'node:net';
import tls from 'node:tls';
import { realClock, type Clock } from '../clock.ts';
import type { EmitEvent } from '../events.ts';
import { ClientConnection, type ListenerInfo, type ProxyCore } from './client-connection.ts';
import { lbError } from './errors.ts';
import { probeTarget, type ProbeSettings, type RunningProbe } from './health-probe.ts';
import { LbMetrics } from './lb-metrics.ts';
import { selfSignedCert } from './self-signed-cert.ts';
import { parseSuccessCodes } from '../../spec/success-codes.ts';
import { TargetGroup, type TargetRecord } from './target-group.ts';
import { TraceIds } from './trace-id.ts';
import type { ListenerPorts, LoadBalancerOptions, TargetHealth, TargetRef, TargetState } from './types.ts';

/** ALB closes a connection whose request head has not arrived within 60 s (or the idle timeout, if shorter). */
const MAX_HEADERS_TIMEOUT_MS = 60_000;
/** Concurrent client connections; beyond this new ones are closed at once so a flood cannot exhaust file descriptors. */
export const MAX_CLIENT_CONNECTIONS = 10_000;
const FLUSH_MS = 1_000;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

type Phase = 'new' | 'starting' | 'running' | 'closed';

function checkConfig(c: LoadBalancerOptions['config']): string[] {
  const problems: string[] = [];
  const hc = c.healthCheck;
  const positive: [string, number][] = [
    ['healthCheck.interval', hc.interval],
    ['healthCheck.timeout', hc.timeout],
    ['idleTimeout', c.idleTimeout],
  ];
  for (const [field, v] of positive) if (!(Number.isFinite(v) && v > 0)) problems.push(`${field} is ${v}, expected a number of seconds above 0`);
  const nonNegative: [string, number][] = [
    ['deregistrationDelay', c.deregistrationDelay],
    ['slowStart', c.slowStart],
  ];
  for (const [field, v] of nonNegative) if (!(Number.isFinite(v) && v >= 0)) problems.push(`${field} is ${v}, expected a number of seconds, 0 or more`);
  for (const [field, v] of [
    ['healthCheck.healthyThreshold', hc.healthyThreshold],
    ['healthCheck.unhealthyThreshold', hc.unhealthyThreshold],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) problems.push(`${field} is ${v}, expected a whole number, 1 or more`);
  }
  return problems;
}

/**
 * The twin's Application Load Balancer: one regional listener on loopback (HTTP, and HTTPS when
 * the spec asks), one target group health-checked as ALB does, requests proxied over kept-alive
 * connections with ALB's routing, draining, fail-open, headers and error answers.
 * @see docs/fidelity.md, "Load balancer", for where it differs from ALB and why.
 */
export class LoadBalancer {
  private readonly clock: Clock;
  private readonly group: TargetGroup;
  private readonly metrics: LbMetrics;
  private readonly probeSettings: ProbeSettings;
  private readonly intervalMs: number;
  private readonly core: ProxyCore;
  private readonly host: string;
  private phase: Phase = 'new';
  private accepting = true;
  private readonly servers: net.Server[] = [];
  private readonly serverClosed = new Map<net.Server, Promise<void>>();
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Set<ClientConnection>();
  private readonly probes = new Set<RunningProbe>();
  private roundTimer: unknown;
  private flushTimer: unknown;
  private cert: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: LoadBalancerOptions) {
    const c = opts.config;
    const problems = checkConfig(c);
    const codes = parseSuccessCodes(c.healthCheck.successCodes);
    if (!codes.ok) problems.push(`healthCheck.successCodes is "${c.healthCheck.successCodes}": ${codes.problem}`);
    if (problems.length > 0 || !codes.ok) {
      throw lbError('HASTACK_LB_INVALID_CONFIG', `load balancer config: ${problems.join('; ')}`, { details: { problems } });
    }
    this.host = opts.host ?? '127.0.0.1';
    if (!LOOPBACK.test(this.host)) {
      throw lbError('HASTACK_LB_NOT_LOOPBACK', `host is "${this.host}"; the twin's load balancer listens on loopback only (127.0.0.1, ::1 or localhost)`);
    }
    this.clock = opts.clock ?? realClock;
    this.metrics = new LbMetrics(opts.name, opts.metrics);
    this.intervalMs = c.healthCheck.interval * 1000;
    this.probeSettings = { path: c.healthCheck.path, timeoutMs: c.healthCheck.timeout * 1000, match: codes.match, clock: this.clock };
    const idleTimeoutMs = c.idleTimeout * 1000;
    this.group = new TargetGroup({
      algorithm: c.algorithm,
      slowStartMs: c.slowStart * 1000,
      deregistrationDelayMs: c.deregistrationDelay * 1000,
      idleTimeoutMs,
      thresholds: { healthyThreshold: c.healthCheck.healthyThreshold, unhealthyThreshold: c.healthCheck.unhealthyThreshold },
      clock: this.clock,
      report: (type, message, data) => this.report(type, message, data),
    });
    const group = this.group;
    const lb = this;
    this.core = {
      idleTimeoutMs,
      headersTimeoutMs: Math.min(MAX_HEADERS_TIMEOUT_MS, idleTimeoutMs),
      metrics: this.metrics,
      traceIds: new TraceIds(),
      get accepting() {
        return lb.accepting;
      },
      choose: (exclude?: TargetRecord) => group.choose(exclude),
      begin: (t: TargetRecord) => group.begin(t),
      end: (t: TargetRecord) => group.end(t),
      forget: (conn: ClientConnection) => lb.connections.delete(conn),
    };
  }

  /** The HTTPS listener's certificate (PEM) once started with HTTPS, e.g. to trust it in a client. */
  get certificate(): string | undefined {
    return this.cert;
  }

  async start(): Promise<ListenerPorts> {
    if (this.phase !== 'new') throw lbError('HASTACK_LB_STATE', `start() called while the load balancer is ${this.phase}; it starts once`);
    this.phase = 'starting';
    try {
      let httpsPort: number | undefined;
      if (this.opts.config.https) {
        const server = this.createTlsServer();
        httpsPort = await this.listen(server, this.opts.httpsPort ?? 0, 'HTTPS');
        this.attach(server, { forwardedSuffix: `X-Forwarded-Proto: https\r\nX-Forwarded-Port: ${httpsPort}\r\n`, redirectToPort: undefined, defaultHost: this.host }, 'secureConnection');
      }
      const http = net.createServer({ allowHalfOpen: true, noDelay: true });
      const httpPort = await this.listen(http, this.opts.httpPort, 'HTTP');
      this.attach(http, { forwardedSuffix: `X-Forwarded-Proto: http\r\nX-Forwarded-Port: ${httpPort}\r\n`, redirectToPort: httpsPort, defaultHost: this.host }, 'connection');
      if (this.phase !== 'starting') throw lbError('HASTACK_LB_STATE', 'the load balancer was closed while starting');
      this.phase = 'running';
      for (const t of this.group.all()) this.probe(t);
      this.roundTimer = this.clock.setTimeout(() => this.round(), this.intervalMs);
      this.flushTimer = this.clock.setTimeout(() => this.flush(), FLUSH_MS);
      const host = this.host.includes(':') ? `[${this.host}]` : this.host;
      const url = httpsPort === undefined ? `http://${host}:${httpPort}` : `https://${host}:${httpsPort}`;
      this.report('lb-started', `load balancer listening on ${url}${httpsPort === undefined ? '' : ` (HTTP on port ${httpPort} redirects to it)`}`, { httpPort, httpsPort });
      return httpsPort === undefined ? { httpPort, url } : { httpPort, httpsPort, url };
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Adds a target in state 'initial'; it takes traffic after passing one health check. */
  registerTarget(t: TargetRef): void {
    if (typeof t.id !== 'string' || t.id === '' || !LOOPBACK.test(t.host) || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
      throw lbError('HASTACK_LB_INVALID_TARGET', `target ${JSON.stringify(t)} needs an id, a loopback host and a port 1-65535`);
    }
    const existing = this.group.get(t.id);
    if (existing !== undefined) {
      if (existing.state !== 'draining' && existing.ref.host === t.host && existing.ref.port === t.port) return;
      throw lbError(
        'HASTACK_LB_TARGET_CONFLICT',
        existing.state === 'draining'
          ? `target ${t.id} is still draining; wait for deregisterTarget() to resolve before registering it again`
          : `target ${t.id} is registered at ${existing.ref.host}:${existing.ref.port}, not ${t.host}:${t.port}`,
      );
    }
    const rec = this.group.register({ id: t.id, zone: t.zone, host: t.host, port: t.port });
    if (this.phase === 'running') this.probe(rec);
  }

  /**
   * Drains the target: no new requests, in-flight ones may finish. Resolves when none is left, or
   * when the deregistration delay runs out and the rest are cut; the target is then removed.
   */
  deregisterTarget(id: string): Promise<void> {
    return this.group.deregister(id);
  }

  targetHealth(): TargetHealth[] {
    return this.group.health(this.phase === 'running');
  }

  /** One target's state, as targetHealth() reports it, without building the whole list. */
  targetState(id: string): TargetState | undefined {
    const t = this.group.get(id);
    if (t === undefined) return undefined;
    return this.phase === 'running' ? t.state : 'unused';
  }

  isHealthy(id: string): boolean | undefined {
    const t = this.group.get(id);
    return t === undefined ? undefined : t.state === 'healthy';
  }

  /**
   * Stops accepting connections; idle client connections close now, busy ones after their current
   * response. In-flight requests are untouched (deregistering targets drains them).
   */
  async stopAccepting(): Promise<void> {
    if (!this.accepting) return;
    this.accepting = false;
    for (const s of this.servers) this.closeServer(s);
    for (const c of [...this.connections]) c.closeIfIdle();
    this.report('lb-stopped-accepting', 'load balancer stopped accepting connections; open ones close after their current response', {});
  }

  /** Stops everything and releases every handle: listeners, health checks, timers, connections. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'closed';
    this.accepting = false;
    this.clock.clearTimeout(this.roundTimer);
    this.clock.clearTimeout(this.flushTimer);
    for (const p of [...this.probes]) p.cancel();
    this.probes.clear();
    const closed = this.servers.map((s) => this.closeServer(s));
    for (const s of [...this.sockets]) s.destroy();
    this.group.closeAll();
    this.metrics.flush(this.clock.now());
    await Promise.all(closed);
    if (wasRunning) this.report('lb-stopped', 'load balancer stopped', {});
  }

  private createTlsServer(): tls.Server {
    try {
      const creds = this.opts.tls ?? selfSignedCert();
      this.cert = typeof creds.cert === 'string' ? creds.cert : creds.cert.toString('utf8');
      const server = tls.createServer({
        key: creds.key,
        cert: creds.cert,
        allowHalfOpen: true,
        noDelay: true,
        ALPNProtocols: ['http/1.1'],
        handshakeTimeout: Math.min(10_000, this.core.idleTimeoutMs),
      });
      server.on('tlsClientError', () => {
        // A failed handshake only concerns that client; its socket is already being destroyed.
      });
      return server;
    } catch (e) {
      throw lbError('HASTACK_LB_TLS_FAILED', `the HTTPS listener could not use its key and certificate: ${(e as Error).message}`, { cause: e });
    }
  }

  private listen(server: net.Server, port: number, label: string): Promise<number> {
    server.maxConnections = MAX_CLIENT_CONNECTIONS;
    this.servers.push(server);
    // Every raw socket is tracked (TLS ones before their handshake too) so close() can cut them all.
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      this.metrics.newConnections++;
      s.on('close', () => this.sockets.delete(s));
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(lbError('HASTACK_LB_LISTEN_FAILED', `the ${label} listener could not listen on ${this.host}:${port}: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (err: NodeJS.ErrnoException) => {
          // Accept failures (EMFILE under a connection flood) must not end the process.
          this.report('listener-error', `the ${label} listener hit an error and keeps serving: ${err.message}`, { code: err.code });
        });
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  private attach(server: net.Server, info: ListenerInfo, event: 'connection' | 'secureConnection'): void {
    server.on(event, (socket: net.Socket) => {
      if (!this.accepting) {
        socket.destroy();
        return;
      }
      this.connections.add(new ClientConnection(socket, this.core, info));
    });
  }

  private closeServer(s: net.Server): Promise<void> {
    let p = this.serverClosed.get(s);
    if (p === undefined) {
      p = new Promise<void>((resolve) => s.close(() => resolve()));
      this.serverClosed.set(s, p);
    }
    return p;
  }

  private round(): void {
    if (this.phase !== 'running') return;
    const counts = this.group.hostCounts();
    this.metrics.hostCounts(this.clock.now(), counts.total, counts.byZone);
    for (const t of this.group.all()) this.probe(t);
    this.roundTimer = this.clock.setTimeout(() => this.round(), this.intervalMs);
  }

  private probe(t: TargetRecord): void {
    if (t.probing || t.state === 'draining') return;
    t.probing = true;
    const p = probeTarget(t.ref, this.probeSettings);
    this.probes.add(p);
    void p.result.then((r) => {
      this.probes.delete(p);
      t.probing = false;
      if (this.phase === 'running') this.group.applyProbe(t, r);
    });
  }

  private flush(): void {
    if (this.phase !== 'running') return;
    this.metrics.flush(this.clock.now());
    this.group.sweepPools(Date.now());
    this.flushTimer = this.clock.setTimeout(() => this.flush(), FLUSH_MS);
  }

  private report(type: string, message: string, data: Record<string, unknown>): void {
    const emit: EmitEvent | undefined = this.opts.onEvent;
    if (emit === undefined) return;
    try {
      emit({ source: 'lb', type, message, data, at: this.clock.now() });
    } catch {
      // A failing event sink must not stop the load balancer.
    }
  }
}
