/**
 * Object storage benchmark: PUT and GET throughput for 4 KiB and 8 MiB objects on the twin's
 * S3-compatible store (three storage node processes, every write on a majority before it is
 * acknowledged) beside s3rver (one process, one copy) as the single-node reference. Each store runs
 * in its own process(es); one @aws-sdk/client-s3 load loop drives both. The stores are measured in
 * alternating rounds and each figure is the median across rounds. Also reported: the stores' CPU
 * per request and their resident memory during the 8 MiB rounds. Results go to docs/benchmarks.md
 * under "Object storage".
 *
 *   npm run bench:s3 -- [--rounds 3] [--duration 5] [--warmup 1] [--small-concurrency 16]
 *                       [--large-concurrency 4] [--sizes 4k,8m] [--checksums default|when-required]
 *                       [--profile <folder>] [--no-write]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { processCpuSeconds } from '../src/util/process-cpu.ts';
import { publishSection } from './docs-section.ts';
import { median } from './median.ts';
import { boundParagraph, machineCostsMs, putBound } from './s3-bound.ts';
import { memoryKiB, RssSampler } from './proc-memory.ts';
import { benchClient, deleteKeys, getPhase, putPhase, type ChecksumMode, type PhaseOptions, type PhaseResult, type StoreAccess } from './s3-load.ts';

interface Size {
  readonly id: '4k' | '8m';
  readonly label: string;
  readonly bytes: number;
}
const SIZES: readonly Size[] = [
  { id: '4k', label: '4 KiB', bytes: 4 * 1024 },
  { id: '8m', label: '8 MiB', bytes: 8 * 1024 * 1024 },
];

interface Args {
  rounds: number;
  durationS: number;
  warmupS: number;
  smallConcurrency: number;
  largeConcurrency: number;
  sizes: readonly Size[];
  checksums: ChecksumMode;
  /** Where the hastack gateway's process writes a V8 CPU profile (--cpu-prof), when given. */
  profileDir: string | undefined;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 3, durationS: 5, warmupS: 1, smallConcurrency: 16, largeConcurrency: 4, sizes: SIZES, checksums: 'default', profileDir: undefined, write: true };
  const usage = 'expected --rounds N, --duration S, --warmup S, --small-concurrency N, --large-concurrency N, --sizes 4k,8m, --checksums default|when-required, --profile <folder>, --no-write';
  const num = (k: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) throw new Error(`${k}: received ${JSON.stringify(v)}, expected a number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (k === '--rounds') (a.rounds = Math.round(num(k, v, 1, 50))), i++;
    else if (k === '--duration') (a.durationS = num(k, v, 1, 600)), i++;
    else if (k === '--warmup') (a.warmupS = num(k, v, 0, 60)), i++;
    else if (k === '--small-concurrency') (a.smallConcurrency = Math.round(num(k, v, 1, 256))), i++;
    else if (k === '--large-concurrency') (a.largeConcurrency = Math.round(num(k, v, 1, 64))), i++;
    else if (k === '--sizes') {
      const ids = (v ?? '').split(',').filter((s) => s !== '');
      const picked = SIZES.filter((s) => ids.includes(s.id));
      if (ids.length === 0 || picked.length !== ids.length) throw new Error(`--sizes: received ${JSON.stringify(v)}, expected a comma-separated list of ${SIZES.map((s) => s.id).join(', ')}`);
      a.sizes = picked;
      i++;
    } else if (k === '--checksums') {
      if (v !== 'default' && v !== 'when-required') throw new Error(`--checksums: received ${JSON.stringify(v)}, expected default or when-required`);
      a.checksums = v;
      i++;
    } else if (k === '--profile') {
      if (v === undefined || v.startsWith('--')) throw new Error(`--profile: received ${JSON.stringify(v)}, expected a folder for the CPU profiles`);
      a.profileDir = path.resolve(v);
      i++;
    } else if (k === '--no-write') a.write = false;
    else throw new Error(`unknown argument ${k}; ${usage}`);
  }
  return a;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const BUCKET = 'bench-objects';
/** A request slower than this counts as failed, so one that never completes cannot stall the run. */
const REQUEST_TIMEOUT_MS = 15_000;
/** hastack's throughput target, as a multiple of s3rver's. */
const TARGET_RATIO = 1.5;

// ---- processes and cleanup ------------------------------------------------------------------

const children = new Set<ChildProcess>();
/** Process groups that must not outlive the bench (the storage nodes; a reaper ends them too). */
const groups = new Set<number>();
let tmpDir: string | undefined;

function killGroups(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  groups.clear();
}

/** Last resort (process exit): SIGKILL whatever is left, remove the temp folder. */
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  killGroups();
  if (tmpDir !== undefined) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}

/** Kills a child and waits for it to be gone (SIGKILL after 10 s). */
async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Orderly end: every store stops (the hastack one stops its nodes), then the temp folder goes. */
async function shutdown(): Promise<void> {
  await Promise.all([...children].map(stop));
  const deadline = Date.now() + 5_000;
  while ([...groups].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  killAll();
}

process.on('exit', killAll);
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`${sig}: stopping the stores…\n`);
    void shutdown().finally(() => process.exit(130));
  });
}

/** Starts a store script with an IPC channel (it stops if this process dies) and reads its JSON line. */
function spawnStore<T>(file: string, args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; first: T }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(here, file), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      try {
        resolve({ child, first: JSON.parse(out.slice(0, nl)) as T });
      } catch (e) {
        reject(e);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${file} exited early (code ${code})`)));
  });
}

// ---- measurements ---------------------------------------------------------------------------

/** CPU seconds used in one measured window. */
interface CpuWindow {
  /** The process serving S3 (hastack: the gateway). */
  readonly main: number;
  /** The store's other processes (hastack: the storage nodes). */
  readonly others: number;
  /** This process: the load generator. */
  readonly load: number;
}

interface SizeRuns {
  put: PhaseResult[];
  get: PhaseResult[];
  putCpu: CpuWindow[];
  getCpu: CpuWindow[];
}

interface Store {
  readonly id: 'hastack' | 's3rver';
  readonly name: string;
  readonly child: ChildProcess;
  readonly access: StoreAccess;
  /** The process serving S3 (hastack: the gateway), then any others (hastack: the storage nodes). */
  readonly mainPid: number;
  readonly otherPids: readonly number[];
  readonly clients: Map<Size['id'], S3Client>;
  readonly runs: Map<Size['id'], SizeRuns>;
  readonly idleKiB: Map<number, number>;
  /** Sampled during the 8 MiB phases. */
  readonly sampler: RssSampler;
}

function pidsOf(s: Store): number[] {
  return [s.mainPid, ...s.otherPids];
}

function cpuOf(s: Store): CpuWindow {
  const u = process.cpuUsage();
  return {
    main: processCpuSeconds(s.mainPid) ?? 0,
    others: s.otherPids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0),
    load: (u.user + u.system) / 1e6,
  };
}

async function openStore(id: Store['id'], a: Args): Promise<Store> {
  const dir = path.join(tmpDir!, id);
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess;
  let access: StoreAccess;
  let otherPids: number[] = [];
  if (id === 'hastack') {
    // With --profile, the gateway's process writes a V8 CPU profile when it stops.
    const nodeArgs = a.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${a.profileDir}`];
    const started = await spawnStore<StoreAccess & { nodePids: number[] }>('s3-hastack.ts', [dir], nodeArgs);
    child = started.child;
    access = started.first;
    otherPids = started.first.nodePids;
    for (const pid of otherPids) groups.add(pid);
  } else {
    const started = await spawnStore<StoreAccess>('s3-s3rver.ts', [dir]);
    child = started.child;
    access = started.first;
  }
  const clients = new Map(a.sizes.map((s) => [s.id, benchClient(access, s.id === '4k' ? a.smallConcurrency : a.largeConcurrency, a.checksums)] as const));
  await clients.get(a.sizes[0]!.id)!.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const mainPid = child.pid!;
  const store: Store = {
    id,
    name: id === 'hastack' ? 'hastack (3 nodes, quorum 2)' : 's3rver 3.7.1 (1 process)',
    child,
    access,
    mainPid,
    otherPids,
    clients,
    runs: new Map(a.sizes.map((s) => [s.id, { put: [], get: [], putCpu: [], getCpu: [] }])),
    idleKiB: new Map(),
    sampler: new RssSampler([mainPid, ...otherPids]),
  };
  return store;
}

/** Runs `phase` with the store's CPU read at the edges of the measured window. */
async function withCpu<T extends { result: PhaseResult } | PhaseResult>(s: Store, a: Args, phase: (o: PhaseOptions) => Promise<T>, concurrency: number): Promise<{ out: T; cpu: CpuWindow }> {
  const zero: CpuWindow = { main: 0, others: 0, load: 0 };
  let c0 = zero;
  let c1 = zero;
  const out = await phase({
    concurrency,
    warmupMs: a.warmupS * 1000,
    durationMs: a.durationS * 1000,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    onWindow: (edge) => (edge === 'start' ? (c0 = cpuOf(s)) : (c1 = cpuOf(s))),
  });
  return { out, cpu: { main: c1.main - c0.main, others: c1.others - c0.others, load: c1.load - c0.load } };
}

async function measure(s: Store, size: Size, round: number, a: Args, body: Buffer): Promise<void> {
  const client = s.clients.get(size.id)!;
  const runs = s.runs.get(size.id)!;
  const concurrency = size.id === '4k' ? a.smallConcurrency : a.largeConcurrency;
  process.stderr.write(`round ${round}, ${size.label}, ${s.name}: PUT…`);
  if (size.id === '8m') s.sampler.start();
  const put = await withCpu(s, a, (o) => putPhase(client, BUCKET, `r${round}-`, body, o), concurrency);
  process.stderr.write(` ${put.out.result.opsPerS.toFixed(1)} ops/s; GET…`);
  const get = await withCpu(s, a, (o) => getPhase(client, BUCKET, put.out.keys, size.bytes, o), concurrency);
  if (size.id === '8m') s.sampler.stop();
  process.stderr.write(` ${get.out.opsPerS.toFixed(1)} ops/s\n`);
  runs.put.push(put.out.result);
  runs.get.push(get.out);
  runs.putCpu.push(put.cpu);
  runs.getCpu.push(get.cpu);
  await deleteKeys(client, BUCKET, put.out.keys);
}

// ---- report ---------------------------------------------------------------------------------

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const mib = (kib: number | undefined): string => (kib === undefined ? '' : f1(kib / 1024));

type Op = 'put' | 'get';

function ratios(h: Store, r: Store, size: Size, op: Op): number[] {
  const hr = h.runs.get(size.id)![op];
  const rr = r.runs.get(size.id)![op];
  return hr.map((x, i) => x.opsPerS / rr[i]!.opsPerS);
}

function throughputTable(h: Store, r: Store, a: Args): string {
  const lines = [
    `| size | op | ${h.name} ops/s | ${h.name} MiB/s | ${r.name} ops/s | ${r.name} MiB/s | hastack ÷ s3rver |`,
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const size of a.sizes) {
    for (const op of ['put', 'get'] as const) {
      const hm = median(h.runs.get(size.id)![op].map((x) => x.opsPerS));
      const rm = median(r.runs.get(size.id)![op].map((x) => x.opsPerS));
      const toMib = (ops: number) => (ops * size.bytes) / 1024 ** 2;
      lines.push(`| ${size.label} | ${op.toUpperCase()} | ${f1(hm)} | ${f1(toMib(hm))} | ${f1(rm)} | ${f1(toMib(rm))} | ${f2(median(ratios(h, r, size, op)))}× |`);
    }
  }
  return lines.join('\n');
}

function roundsTable(h: Store, r: Store, a: Args): string {
  const cols = a.sizes.flatMap((size) => (['put', 'get'] as const).map((op) => ({ size, op })));
  const lines = [`| round | ${cols.map((c) => `${c.size.label} ${c.op.toUpperCase()} hastack / s3rver ops/s`).join(' | ')} |`, `|---|${cols.map(() => '---:|').join('')}`];
  for (let i = 0; i < a.rounds; i++) {
    const cells = cols.map(({ size, op }) => {
      const hx = h.runs.get(size.id)![op][i]!.opsPerS;
      const rx = r.runs.get(size.id)![op][i]!.opsPerS;
      return `${f1(hx)} / ${f1(rx)} (${f2(hx / rx)}×)`;
    });
    lines.push(`| ${i + 1} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Median over rounds of CPU ms per successful request, for one part of the CPU reading. */
function cpuMsPerRequest(runs: SizeRuns, op: Op, part: (c: CpuWindow) => number): number {
  const results = op === 'put' ? runs.put : runs.get;
  return median((op === 'put' ? runs.putCpu : runs.getCpu).map((c, i) => (part(c) * 1000) / Math.max(1, results[i]!.ops)));
}

function cpuTable(h: Store, r: Store, a: Args): string {
  const lines = [
    '| size | op | hastack gateway | hastack 3 nodes | hastack total | s3rver | load generator (hastack / s3rver) | hastack cores busy | s3rver cores busy |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of a.sizes) {
    for (const op of ['put', 'get'] as const) {
      const hr = h.runs.get(size.id)!;
      const rr = r.runs.get(size.id)!;
      const ms = (x: SizeRuns, part: (c: CpuWindow) => number) => f2(cpuMsPerRequest(x, op, part));
      const cores = (x: SizeRuns) => f2(median((op === 'put' ? x.putCpu : x.getCpu).map((c) => (c.main + c.others) / a.durationS)));
      lines.push(
        `| ${size.label} | ${op.toUpperCase()} | ${ms(hr, (c) => c.main)} | ${ms(hr, (c) => c.others)} | ${ms(hr, (c) => c.main + c.others)} | ${ms(rr, (c) => c.main)} | ${ms(hr, (c) => c.load)} / ${ms(rr, (c) => c.load)} | ${cores(hr)} | ${cores(rr)} |`,
      );
    }
  }
  return lines.join('\n');
}

function memoryTable(h: Store, r: Store, hwm: Map<number, number | undefined>): string {
  const lines = ['| process | RSS idle MiB | peak RSS during 8 MiB rounds MiB | lifetime peak (VmHWM) MiB |', '|---|---:|---:|---:|'];
  const row = (s: Store, pid: number, label: string) => lines.push(`| ${label} | ${mib(s.idleKiB.get(pid))} | ${mib(s.sampler.peakKiB.get(pid))} | ${mib(hwm.get(pid))} |`);
  row(h, h.mainPid, 'hastack S3 gateway');
  h.otherPids.forEach((pid, i) => row(h, pid, `hastack storage node ${i + 1}`));
  const idleSum = [...h.idleKiB.values()].reduce((x, y) => x + y, 0);
  lines.push(`| **hastack, all ${pidsOf(h).length} processes** | ${mib(idleSum)} | ${mib(h.sampler.peakSumKiB)} (sum at one instant) |  |`);
  row(r, r.mainPid, '**s3rver**');
  return lines.join('\n');
}

/** The paragraph on what bounds the 8 MiB PUT ratio here, when 8 MiB was measured. */
async function putBoundParagraph(h: Store, r: Store, a: Args): Promise<string | undefined> {
  if (!a.sizes.some((s) => s.id === '8m')) return undefined;
  const cost = await machineCostsMs();
  const cores = os.cpus().length;
  const bound = putBound(cost, {
    cores,
    referenceOpsPerS: median(r.runs.get('8m')!.put.map((x) => x.opsPerS)),
    target: TARGET_RATIO,
    loadMsPerPut: Math.min(cpuMsPerRequest(h.runs.get('8m')!, 'put', (c) => c.load), cpuMsPerRequest(r.runs.get('8m')!, 'put', (c) => c.load)),
  });
  return boundParagraph(cost, bound, { cores, target: TARGET_RATIO, referenceMsPerPut: cpuMsPerRequest(r.runs.get('8m')!, 'put', (c) => c.main) });
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const phases = a.rounds * a.sizes.length * 2 * 2;
  const plannedS = phases * (a.warmupS + a.durationS + 15) + 120;
  setTimeout(() => {
    process.stderr.write(`benchmark failed: still running after ${plannedS} s\n`);
    void shutdown().finally(() => process.exit(1));
  }, plannedS * 1000).unref();
  process.stderr.write(
    `object storage benchmark: ${a.rounds} rounds of ${a.sizes.map((s) => s.label).join(' and ')}; per store, size and round a PUT then a GET phase of ${a.warmupS} s warm-up + ${a.durationS} s\n`,
  );
  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'hastack-bench-s3-'));
  if (a.profileDir !== undefined) mkdirSync(a.profileDir, { recursive: true });
  const hastack = await openStore('hastack', a);
  const s3rver = await openStore('s3rver', a);
  const stores = [hastack, s3rver];
  for (const s of stores) for (const pid of pidsOf(s)) s.idleKiB.set(pid, memoryKiB(pid, 'VmRSS') ?? 0);

  const bodies = new Map(a.sizes.map((s) => [s.id, randomBytes(s.bytes)]));
  for (let round = 1; round <= a.rounds; round++) {
    // Alternate who goes first, so a slow patch of the machine hits both alike.
    const order = round % 2 === 1 ? stores : [...stores].reverse();
    for (const size of a.sizes) for (const s of order) await measure(s, size, round, a, bodies.get(size.id)!);
  }
  const hwm = new Map(stores.flatMap((s) => pidsOf(s).map((pid) => [pid, memoryKiB(pid, 'VmHWM')] as const)));
  for (const s of stores) for (const c of s.clients.values()) c.destroy();
  await shutdown();

  const errors = stores.flatMap((s) =>
    a.sizes.flatMap((size) => (['put', 'get'] as const).flatMap((op) => s.runs.get(size.id)![op].filter((x) => x.errors > 0).map((x) => `${s.name} ${size.label} ${op.toUpperCase()}: ${x.errors} failed (${x.firstError})`))),
  );
  const bound = await putBoundParagraph(hastack, s3rver, a);
  const version = (JSON.parse(readFileSync(path.join(root, 'node_modules', '@aws-sdk', 'client-s3', 'package.json'), 'utf8')) as { version: string }).version;
  const md = [
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:s3\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    `Both stores are driven by the same closed loop of @aws-sdk/client-s3 ${version} (keep-alive agent, no retries, ${a.checksums === 'default' ? "the SDK's default checksums: CRC32 on every PUT, checked on GET when the store returns one" : 'checksums only where an operation requires them'}):`,
    `${a.smallConcurrency} requests in flight for 4 KiB objects, ${a.largeConcurrency} for 8 MiB ones; per store, size and round a PUT phase (fresh keys) then a GET phase`,
    `(reading back the objects just written), each ${a.warmupS} s warm-up and ${a.durationS} s measured. The stores take turns in ${a.rounds} alternating rounds; each figure is the`,
    'median across rounds, and "hastack ÷ s3rver" is the median of the per-round ratios.',
    'hastack runs as the twin runs it — three storage node processes (one per zone), each write acknowledged once two of them have it',
    '(the third follows), the S3 gateway in a process of its own — without the CloudWatch request metrics. s3rver keeps one copy as plain files, in one',
    'process. Everything shares this machine\'s cores with the load generator, loopback only, so the figures compare the stores with each other on this machine.',
    '',
    throughputTable(hastack, s3rver, a),
    '',
    'Per round (ops/s, hastack / s3rver):',
    '',
    roundsTable(hastack, s3rver, a),
    '',
    'CPU ms per request in the measured windows (user + system, from /proc; "cores busy" is the store\'s CPU seconds per second):',
    '',
    cpuTable(hastack, s3rver, a),
    '',
    ...(a.sizes.some((s) => s.id === '8m')
      ? ['Resident memory (VmRSS from /proc, sampled every 50 ms during the 8 MiB phases; VmHWM at the end of the run):', '', memoryTable(hastack, s3rver, hwm), '']
      : []),
    'Reading the figures. Every hastack PUT is verified (SigV4, MD5, the flexible checksum), then streamed to three node processes in one',
    'internal request each (the bytes, then the record); each node checks the checksum against the endpoint\'s and makes the write durable',
    'before it answers: objects up to 256 KiB through a journal that one fdatasync makes durable for every write arriving together (their',
    'files are flushed later, per 16 MiB of journal, by one syncfs), larger ones fsynced as files. s3rver writes one copy and never fsyncs.',
    'On a shared machine throughput follows CPU per request (the table above): a hastack PUT handles four HTTP requests where s3rver',
    'handles one, and carries every byte three more times (to each node over loopback, then into its files). Reads ask two nodes for the',
    'record; up to 256 KiB the bytes come in the same answers, larger objects are then read from one of them.',
    '',
    ...(bound === undefined ? [] : [bound, '']),
    ...(errors.length > 0
      ? [
          `Failed requests: ${errors.join('; ')}.`,
          `A request fails when it is refused or not answered in full within ${REQUEST_TIMEOUT_MS / 1000} s; its worker waits that long, so a round with a failure understates that store's throughput.`,
        ]
      : []),
  ].join('\n');
  publishSection('## Object storage', md, a.write);
  if (a.profileDir !== undefined) process.stderr.write(`CPU profile of the hastack gateway's process: ${a.profileDir}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`);
    void shutdown().finally(() => process.exit(1));
  },
);
