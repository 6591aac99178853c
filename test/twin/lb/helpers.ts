import http from 'node:http';
import net from 'node:net';
import type { ResolvedSpec } from '../../../src/spec/types.ts';
import { LoadBalancer, type LoadBalancerOptions, type TargetRef } from '../../../src/twin/lb/index.ts';
import type { TwinEvent } from '../../../src/twin/events.ts';
import type { MetricDatum } from '../../../src/twin/monitor/types.ts';

type LbConfig = ResolvedSpec['loadBalancer'];
type HealthCheck = LbConfig['healthCheck'];

/** A load balancer config with short timings for tests (the spec's ranges do not apply here). */
export function lbConfig(over: Partial<Omit<LbConfig, 'healthCheck'>> & { healthCheck?: Partial<HealthCheck> } = {}): LbConfig {
  const { healthCheck, ...rest } = over;
  return {
    https: false,
    certificateArn: undefined,
    algorithm: 'round_robin',
    deregistrationDelay: 5,
    slowStart: 0,
    idleTimeout: 5,
    ...rest,
    healthCheck: { path: '/readyz', interval: 0.2, timeout: 0.15, healthyThreshold: 2, unhealthyThreshold: 2, successCodes: '200', ...healthCheck },
  };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => void;

/** A small node:http target: /readyz answers from `ready`; everything else runs `handler`. */
export class Backend {
  ready = true;
  hits = 0;
  healthHits = 0;
  handler: Handler;
  readonly server: http.Server;
  readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    readonly name: string,
    handler?: Handler,
  ) {
    this.handler = handler ?? ((_req, res, b) => res.end(b.name));
    this.server = http.createServer((req, res) => {
      if (req.url === '/readyz') {
        this.healthHits++;
        res.statusCode = this.ready ? 200 : 503;
        res.end(this.ready ? 'ok' : 'not ready');
        return;
      }
      this.hits++;
      this.handler(req, res, this);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  ref(id = `i-${this.name.padStart(17, '0')}`, zone = 'local-1a'): TargetRef {
    return { id, zone, host: '127.0.0.1', port: this.port };
  }

  /** Stops listening and cuts every connection, as a killed process would. */
  async kill(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

export async function startBackends(n: number, handler?: Handler): Promise<Backend[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => new Backend(String.fromCharCode(97 + i), handler).start()));
}

export interface Harness {
  readonly lb: LoadBalancer;
  readonly port: number;
  readonly httpsPort: number | undefined;
  readonly url: string;
  readonly events: TwinEvent[];
  readonly metrics: MetricDatum[];
}

export async function startLb(config: LbConfig, extra: Partial<LoadBalancerOptions> = {}): Promise<Harness> {
  const events: TwinEvent[] = [];
  const metrics: MetricDatum[] = [];
  const lb = new LoadBalancer({
    name: 'test',
    config,
    httpPort: 0,
    metrics: { put: (d) => metrics.push(d) },
    onEvent: (e) => events.push({ at: e.at ?? Date.now(), ...e }),
    ...extra,
  });
  const ports = await lb.start();
  return { lb, port: ports.httpPort, httpsPort: ports.httpsPort, url: ports.url, events, metrics };
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection (no pooling between tests). */
export function request(port: number, path = '/', opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Writes raw bytes on a new connection and collects everything until the server closes it (or `untilMs`). */
export function rawExchange(port: number, data: string | Buffer, untilMs = 3_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const t = setTimeout(() => finish(false), untilMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.write(data);
  });
}

/** Counts replies per backend body over `n` sequential requests. */
export async function spread(port: number, n: number, path = '/'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await request(port, path);
    counts.set(r.body, (counts.get(r.body) ?? 0) + 1);
  }
  return counts;
}
