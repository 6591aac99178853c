import http from 'node:http';
import { resilienceError } from './errors.ts';

/**
 * An open-loop load generator: sends requests at a fixed rate for a fixed time, whatever the
 * server does, and classifies every one (as Jepsen does): ok, failed (it certainly did not
 * happen: refused before it was sent, or answered 500/503), or indeterminate (sent, then the
 * connection broke or timed out, or the load balancer answered 502/504: it may have happened). Loopback only, bounded in count and time.
 */
export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface RequestRecord {
  readonly sentAt: number;
  readonly latencyMs: number;
  readonly status: number | undefined;
  readonly outcome: Outcome;
  readonly error: string | undefined;
  /**
   * The server never took the connection: refused, or reset before the request went out (a
   * connection still in the accept queue when the listener closed). Such a request is `failed`.
   */
  readonly refused: boolean;
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
  /** Requests whose connection the server never took (see RequestRecord.refused); part of `failed`. */
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
            outcome: classifyStatus(status),
            error: undefined,
            refused: false,
            instanceId: (res.headers['x-instance-id'] as string | undefined) ?? undefined,
            zone: (res.headers['x-availability-zone'] as string | undefined) ?? undefined,
          });
        });
        res.on('error', (e) => done({ status, outcome: 'indeterminate', error: e.message, refused: false, instanceId: undefined, zone: undefined }));
      },
    );
    req.on('finish', () => (wrote = true)); // the whole request is out: from here a failure is indeterminate
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const refused = e.code === 'ECONNREFUSED' || (!wrote && (e.code === 'ECONNRESET' || e.code === 'EPIPE'));
      done({ status: undefined, outcome: refused || !wrote ? 'failed' : 'indeterminate', error: e.code ?? e.message, refused, instanceId: undefined, zone: undefined });
    });
    req.end(payload?.body);
  });
}

/**
 * 502 and 504 mean the request reached a target that then failed or went quiet: it may have
 * happened. Any other 5xx (503: no target; 500: the app said it failed) did not.
 */
export function classifyStatus(status: number): Outcome {
  if (status === 502 || status === 504) return 'indeterminate';
  return status >= 500 ? 'failed' : 'ok';
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const u = assertLoopback(opts.url);
  if (u.protocol !== 'http:') throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `url: received protocol ${JSON.stringify(u.protocol)}, expected http:`);
  if (opts.timeoutMs !== undefined && !(opts.timeoutMs >= 1 && opts.timeoutMs <= 600_000)) {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `timeoutMs: received ${opts.timeoutMs}, expected 1 to 600000`);
  }
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
    refused: records.filter((r) => r.refused).length,
    instances: new Set(records.map((r) => r.instanceId).filter((x): x is string => x !== undefined)),
  };
}
