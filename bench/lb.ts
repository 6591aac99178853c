/**
 * Load-balancer benchmark: requests/s and latency for the same small backends reached directly,
 * through the twin's load balancer, and through HAProxy (when installed). The paths are measured in
 * alternating rounds (direct → twin LB → HAProxy, repeated) so that drift in the machine's speed
 * hits every path alike, and each figure reported is the median across rounds. Every part runs in
 * its own process: three node:http backends, the proxies, and the load generator. Results go to
 * docs/benchmarks.md under "Load balancer".
 *
 *   npm run bench:lb -- [--rounds 3] [--duration 5] [--connections 50] [--warmup 1] [--light 2] [--no-write]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../src/util/free-port.ts';
import { processCpuSeconds } from '../src/util/process-cpu.ts';
import { publishSection } from './docs-section.ts';
import { median } from './median.ts';

interface Args {
  rounds: number;
  durationS: number;
  connections: number;
  warmupS: number;
  /** Seconds of the 1-connection latency pass (per path and round). */
  lightS: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 3, durationS: 5, connections: 50, warmupS: 1, lightS: 2, write: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = Number(argv[i + 1]);
    if (k === '--rounds') (a.rounds = v), i++;
    else if (k === '--duration') (a.durationS = v), i++;
    else if (k === '--connections') (a.connections = v), i++;
    else if (k === '--warmup') (a.warmupS = v), i++;
    else if (k === '--light') (a.lightS = v), i++;
    else if (k === '--no-write') a.write = false;
    else throw new Error(`unknown argument ${k}; expected --rounds N, --duration S, --connections N, --warmup S, --light S, --no-write`);
  }
  return a;
}

interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Row {
  name: string;
  result: LoadResult;
  /** CPU time of the proxy process per request, in µs (Linux only). */
  cpuUsPerReq: number | undefined;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const children = new Set<ChildProcess>();
let tmpDir: string | undefined;

function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
  if (tmpDir !== undefined) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

/** Starts a TypeScript child with an IPC channel (it exits if this process dies) and reads its first JSON line. */
function spawnTs(file: string, args: string[]): Promise<{ child: ChildProcess; first: Record<string, number> }> {
  const child = track(spawn(process.execPath, ['--import', 'tsx', path.join(here, file), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      try {
        resolve({ child, first: JSON.parse(out.slice(0, nl)) as Record<string, number> });
      } catch (e) {
        reject(e);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${file} exited early (code ${code})`)));
  });
}

/** Kills a child and waits for it to be gone, so the next measurement has the machine to itself. */
async function stop(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(t);
}

async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  if (!(await waitForPort(port, timeoutMs))) throw new Error(`nothing listened on ${port}`);
}

/** Runs the load generator against `port`, measuring `pid`'s CPU over the measured window. */
async function load(name: string, port: number, a: Args, connections: number, durationS: number, pid?: number): Promise<Row> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', path.join(here, 'lb-loadgen.ts'), '127.0.0.1', String(port), String(connections), String(a.warmupS * 1000), String(durationS * 1000)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    }),
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let t0: number | undefined;
  const startTicks = new Promise<void>((r) =>
    setTimeout(() => {
      t0 = processCpuSeconds(pid);
      r();
    }, a.warmupS * 1000),
  );
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  await startTicks;
  const t1 = processCpuSeconds(pid);
  if (code !== 0) throw new Error(`load generator for ${name} exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
  const cpuUsPerReq = t0 !== undefined && t1 !== undefined && result.requests > 0 ? ((t1 - t0) * 1e6) / result.requests : undefined;
  return { name, result, cpuUsPerReq };
}

function haproxyVersion(): string | undefined {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

function haproxyConfig(port: number, backends: number[]): string {
  return [
    'global',
    // One thread, as the twin's load balancer is one event loop.
    '  nbthread 1',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 10s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 60s',
    '  option http-keep-alive',
    '  option forwardfor',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  http-request set-header X-Forwarded-Proto http',
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    '  http-reuse always',
    '  option httpchk GET /readyz',
    ...backends.map((p, i) => `  server s${i + 1} 127.0.0.1:${p} check inter 2s fall 3 rise 2`),
    '',
  ].join('\n');
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** A path under test and its measurements, one entry per round. */
interface PathRuns {
  readonly name: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly loaded: Row[];
  readonly light: Row[];
}

/** Medians across rounds of one path. */
interface Summary {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number | undefined;
  lightP50Ms: number;
  lightP99Ms: number;
}

function summarize(p: PathRuns): Summary {
  const m = (rows: Row[], f: (r: LoadResult) => number) => median(rows.map((r) => f(r.result)));
  const cpu = p.loaded.map((r) => r.cpuUsPerReq).filter((c): c is number => c !== undefined);
  return {
    name: p.name,
    rps: m(p.loaded, (r) => r.rps),
    p50Ms: m(p.loaded, (r) => r.p50Ms),
    p99Ms: m(p.loaded, (r) => r.p99Ms),
    cpuUsPerReq: cpu.length === p.loaded.length ? median(cpu) : undefined,
    lightP50Ms: m(p.light, (r) => r.p50Ms),
    lightP99Ms: m(p.light, (r) => r.p99Ms),
  };
}

/** Per-round req/s of `p` divided by HAProxy's in the same round. */
function ratios(p: PathRuns, haproxy: PathRuns): number[] {
  return p.loaded.map((r, i) => r.result.rps / haproxy.loaded[i]!.result.rps);
}

function table(paths: PathRuns[], haproxy: PathRuns | undefined, direct: PathRuns): string {
  const d = summarize(direct);
  const lines = [
    '| path | req/s | p50 ms | p99 ms | req/s vs HAProxy | added p50 vs direct | proxy CPU µs/req | light-load p50 ms | light-load p99 ms | light-load added p50 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of paths) {
    const s = summarize(p);
    const isDirect = p === direct;
    const vs = haproxy === undefined || isDirect ? '' : `${fmt(median(ratios(p, haproxy)))}×`;
    const added = isDirect ? '' : `${fmt(s.p50Ms - d.p50Ms, 3)} ms`;
    const lightAdded = isDirect ? '' : `${fmt(s.lightP50Ms - d.lightP50Ms, 3)} ms`;
    const cpu = s.cpuUsPerReq === undefined ? '' : fmt(s.cpuUsPerReq, 1);
    lines.push(`| ${s.name} | ${Math.round(s.rps)} | ${fmt(s.p50Ms, 3)} | ${fmt(s.p99Ms, 3)} | ${vs} | ${added} | ${cpu} | ${fmt(s.lightP50Ms, 3)} | ${fmt(s.lightP99Ms, 3)} | ${lightAdded} |`);
  }
  return lines.join('\n');
}

/** req/s of every path in every round, and the twin LB's ratio to HAProxy in that round. */
function roundsTable(paths: PathRuns[], haproxy: PathRuns | undefined, lb: PathRuns): string {
  const ratio = haproxy === undefined ? undefined : ratios(lb, haproxy);
  const head = ['round', ...paths.map((p) => `${p.name} req/s`), ...(ratio === undefined ? [] : ['twin LB ÷ HAProxy'])];
  const lines = [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:|').join('')}`];
  lb.loaded.forEach((_, i) => {
    const cells = [String(i + 1), ...paths.map((p) => String(Math.round(p.loaded[i]!.result.rps))), ...(ratio === undefined ? [] : [`${fmt(ratio[i]!)}×`])];
    lines.push(`| ${cells.join(' | ')} |`);
  });
  const med = ['median', ...paths.map((p) => String(Math.round(summarize(p).rps))), ...(ratio === undefined ? [] : [`${fmt(median(ratio))}×`])];
  lines.push(`| ${med.join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  // Bounded time: give up (and kill every child, via the exit handler) well past the planned length.
  const plannedS = a.rounds * 3 * (2 * a.warmupS + a.durationS + a.lightS + 2) + 60;
  setTimeout(() => {
    process.stderr.write(`benchmark failed: still running after ${plannedS} s\n`);
    process.exit(1);
  }, plannedS * 1000).unref();
  process.stderr.write(
    `load-balancer benchmark: ${a.rounds} rounds; per path and round ${a.connections} connections for ${a.warmupS} s warm-up + ${a.durationS} s, then 1 connection for ${a.warmupS} s + ${a.lightS} s\n`,
  );
  const backends = await Promise.all([0, 1, 2].map(() => spawnTs('lb-backend.ts', [])));
  const ports = backends.map((b) => b.first.port!);
  const runs = (name: string, port: number, pid: number | undefined): PathRuns => ({ name, port, pid, loaded: [], light: [] });

  // Every proxy is started once and stays up across rounds; the ones not being measured sit idle.
  const direct = runs('direct to one backend', ports[0]!, backends[0]!.child.pid);
  const lbProc = await spawnTs('lb-proxy.ts', ports.map(String));
  const lb = runs('hastack twin LB (3 targets)', lbProc.first.port!, lbProc.child.pid);
  const paths = [direct, lb];

  const version = haproxyVersion();
  let haproxy: PathRuns | undefined;
  let hpChild: ChildProcess | undefined;
  let haproxyNote: string;
  if (version === undefined) {
    haproxyNote = 'haproxy not installed: skipped';
    process.stderr.write(`${haproxyNote}\n`);
  } else {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'hastack-bench-'));
    const port = await freePort();
    const cfg = path.join(tmpDir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(port, ports));
    const hp = await spawnTs('lb-haproxy.ts', [cfg]);
    hpChild = hp.child;
    await waitListening(port);
    // Let the first health checks pass (rise 2, inter 2 s) before measuring.
    await new Promise((r) => setTimeout(r, 4_500));
    const short = /version (\S+)/.exec(version)?.[1] ?? version;
    haproxy = runs(`HAProxy ${short} (1 thread)`, port, hp.first.pid);
    paths.push(haproxy);
    haproxyNote = `${version}; config: roundrobin, http-keep-alive, http-reuse always, forwardfor, X-Forwarded-Proto/Port set, health checks inter 2 s.`;
  }

  for (let round = 1; round <= a.rounds; round++) {
    for (const p of paths) {
      const name = `${p.name}, round ${round}`;
      process.stderr.write(`${name}: ${a.connections} connections, then 1…\n`);
      p.loaded.push(await load(name, p.port, a, a.connections, a.durationS, p.pid));
      p.light.push(await load(`${name}, 1 connection`, p.port, a, 1, a.lightS, p.pid));
    }
  }
  if (hpChild !== undefined) await stop(hpChild);
  await stop(lbProc.child);
  for (const b of backends) await stop(b.child);
  killAll();
  const rows = paths.flatMap((p) => [...p.loaded, ...p.light]);

  const errors = rows.filter((r) => r.result.errors > 0 || r.result.non2xx > 0);
  const md = [
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:lb\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    `Closed-loop load: ${a.connections} keep-alive connections, ${a.warmupS} s warm-up then ${a.durationS} s measured; then a light-load pass with`,
    `1 connection (${a.warmupS} s warm-up, ${a.lightS} s measured), which shows the latency a proxy adds when nothing queues. Loopback only.`,
    `The paths are measured in ${a.rounds} alternating rounds (${paths.map((p) => p.name.split(' ')[0]).join(' → ')}, repeated), so a slow patch of the machine`,
    'hits every path alike; each figure below is the median across rounds, "req/s vs HAProxy" is the median of the per-round ratios,',
    'and "added p50" is the difference of medians.',
    'Every part is its own process (three node:http backends, the proxies, the load generator), all sharing the machine\'s cores,',
    'so the figures compare the proxies with each other on this machine, not with a dedicated host.',
    '',
    table(paths, haproxy, direct),
    '',
    'Per round (req/s under load):',
    '',
    roundsTable(paths, haproxy, lb),
    '',
    `HAProxy: ${haproxyNote}`,
    'Under load, p50 is mostly queueing (50 connections ÷ throughput), so "added p50" there tracks throughput; the light-load',
    'columns are the per-request cost. The twin load balancer does on every request what it does in the twin: parses and checks it (ALB\'s limits),',
    'picks a target round robin, adds X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id, and counts CloudWatch metrics.',
    ...(errors.length > 0 ? ['', `Note: errors or non-2xx answers in: ${errors.map((r) => `${r.name} (${r.result.errors} errors, ${r.result.non2xx} non-2xx)`).join('; ')}.`] : []),
  ].join('\n');
  publishSection('## Load balancer', md, a.write);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
