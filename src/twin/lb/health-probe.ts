import http from 'node:http';
import type { Clock } from '../clock.ts';
import type { ProbeResult } from './health-state.ts';
import type { SuccessMatcher } from '../../spec/success-codes.ts';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

export interface ProbeSettings {
  readonly path: string;
  readonly timeoutMs: number;
  readonly match: SuccessMatcher;
  readonly clock: Clock;
}

export interface RunningProbe {
  readonly result: Promise<ProbeResult>;
  cancel(): void;
}

/**
 * One ALB-style health check: GET the path on a fresh connection (so a dead listener is noticed,
 * not hidden behind a pooled socket), with ALB's User-Agent, judged on the status code alone.
 * The timeout runs on the injected clock.
 */
export function probeTarget(target: ProbeTarget, s: ProbeSettings): RunningProbe {
  let settle!: (r: ProbeResult) => void;
  const result = new Promise<ProbeResult>((resolve) => (settle = resolve));
  let done = false;
  let timedOut = false;
  const finish = (r: ProbeResult): void => {
    if (done) return;
    done = true;
    s.clock.clearTimeout(timer);
    settle(r);
  };
  const req = http.request({
    host: target.host,
    port: target.port,
    path: s.path,
    method: 'GET',
    agent: false,
    headers: { 'user-agent': 'ELB-HealthChecker/2.0', host: `${target.host}:${target.port}`, connection: 'close' },
  });
  const timer = s.clock.setTimeout(() => {
    timedOut = true;
    req.destroy();
    finish({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
  }, s.timeoutMs);
  req.on('response', (res) => {
    res.resume();
    res.on('error', () => {});
    const code = res.statusCode ?? 0;
    if (s.match(code)) finish({ ok: true });
    else finish({ ok: false, reason: 'Target.ResponseCodeMismatch', description: `Health checks failed with these codes: [${code}]` });
    // Only the status matters; the connection is not reused.
    res.on('end', () => req.destroy());
  });
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (timedOut) return;
    finish({ ok: false, reason: 'Target.FailedHealthChecks', description: `Health checks failed${err.code === undefined ? '' : ` (${err.code})`}` });
  });
  req.end();
  return {
    result,
    cancel: () => {
      req.destroy();
      finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health check cancelled' });
    },
  };
}
