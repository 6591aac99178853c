import http from 'node:http';
import { resilienceError } from './errors.ts';

/**
 * An open-loop load generator: sends requests at a fixed rate for a fixed time, whatever the
 * server does, and classifies every one (as Jepsen does): ok, failed (it certainly did not
 * happen: refused, or answered 5xx), or indeterminate (sent, then the connection broke or timed
 * out: it may or may not have happened). Loopback only, bounded in count and time.
 */
export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface RequestRecord {
  readonly sentAt: number;
  readonly latencyMs: number;
  readonly status: number | undefined;
  readonly outcome: Outcome;
  readonly error: string | undefined;
  readonly instanceId: string | undefined;
  readonly zone: string | undefined;
}

export interface LoadOptions {
  readonly url: string;
  /** Requests per second, 1–5000. */
  readonly rate: number;
  /** Seconds, up to 600. */
  readonly durationSec: number;
  readonly method?: 'GET' | 'POST';
  /** A body per request (its index), for writes. */
  readonly body?: (i: number) => { headers: Record<string, string>; body: string };
  readonly timeoutMs?: number;
  /** Reuse connections. @default false: a new connection per request, as many separate clients. */
  readonly keepAlive?: boolean;
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  readonly records: readonly RequestRecord[];
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Connections refused before anything was sent (the listener was closed); part of `failed`. */
  readonly refused: number;
  readonly instances: ReadonlySet<string>;
}

export function assertLoopback(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `url: received ${JSON.stringify(url)}, expected an http URL`);
  }
  const h = u.hostname.replace(/^\[|\]$/g, '');
  if (!(h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h))) {
    throw resilienceError('HASTACK_LOAD_NOT_LOOPBACK', `url: received host ${JSON.stringify(u.hostname)}, expected 127.0.0.0/8, localhost or [::1]`);
  }
  return u;
}

function one(u: URL, opts: LoadOptions, i: number, agent: http.Agent): Promise<RequestRecord> {
  const start = performance.now();
  const sentAt = Date.now();
  const payload = opts.body?.(i);
  return new Promise((resolve) => {
    let wrote = false;
    let settled = false;
    const done = (r: Omit<RequestRecord, 'sentAt' | 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ sentAt, latencyMs: performance.now() - start, ...r });
    };
    const req = http.request(
      u,
      { method: opts.method ?? 'GET', agent, headers: { ...(payload?.headers ?? {}), ...(payload ? { 'content-length': Buffer.byteLength(payload.body) } : {}) }, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on('end', () => {
          done({
            status,
            outcome: status >= 500 ? 'failed' : 'ok',
            error: undefined,
            instanceId: (res.headers['x-instance-id'] as string | undefined) ?? undefined,
            zone: (res.headers['x-availability-zone'] as string | undefined) ?? undefined,
          });
        });
        res.on('error', (e) => done({ status, outcome: 'indeterminate', error: e.message, instanceId: undefined, zone: undefined }));
      },
    );
    req.on('socket', (s) => s.once('connect', () => (wrote = true)));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const refused = e.code === 'ECONNREFUSED';
      done({ status: undefined, outcome: refused || !wrote ? 'failed' : 'indeterminate', error: e.code ?? e.message, instanceId: undefined, zone: undefined });
    });
    req.end(payload?.body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const u = assertLoopback(opts.url);
  if (!(opts.rate >= 1 && opts.rate <= 5000)) throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `rate: received ${opts.rate}, expected 1 to 5000 requests per second`);
  if (!(opts.durationSec > 0 && opts.durationSec <= 600)) throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `durationSec: received ${opts.durationSec}, expected more than 0 and at most 600`);
  const agent = new http.Agent({ keepAlive: opts.keepAlive ?? false, maxSockets: 256 });
  const total = Math.round(opts.rate * opts.durationSec);
  const t0 = performance.now();
  const pending: Promise<RequestRecord>[] = [];
  for (let i = 0; i < total; i++) {
    if (opts.signal?.aborted) break;
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(u, opts, i, agent));
  }
  const records = await Promise.all(pending);
  agent.destroy();
  const count = (o: Outcome) => records.filter((r) => r.outcome === o).length;
  return {
    records,
    sent: records.length,
    ok: count('ok'),
    failed: count('failed'),
    indeterminate: count('indeterminate'),
    refused: records.filter((r) => r.error === 'ECONNREFUSED').length,
    instances: new Set(records.map((r) => r.instanceId).filter((x): x is string => x !== undefined)),
  };
}
