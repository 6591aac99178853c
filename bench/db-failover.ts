/**
 * Database failover benchmark: under a steady write load through the endpoint, the primary's
 * postmaster is SIGKILLed, N times, on the hastack twin and on Patroni (defaults, and tuned to the
 * twin's probing) when patroni and etcd are installed. Per system: median, p99 and max write
 * unavailability (last ok write before the kill → first ok write after), and failed,
 * indeterminate and lost writes, every acknowledged write checked row by row. Results go to
 * docs/benchmarks.md under "Database failover".
 *
 *   npm run bench:db-failover -- [--rounds 10] [--default-rounds 3] [--rate 50]
 *                                [--only twin,patroni-tuned,patroni-default] [--endpoint auto|haproxy|poll]
 *                                [--patroni-fault postmaster|host|both] [--no-write]
 */
import { publishSection } from './docs-section.ts';
import os from 'node:os';
import { PATRONI_DEFAULT, PATRONI_TUNED, type PatroniTiming } from './db-failover/patroni-config.ts';
import { patroniVersions, runPatroniFailovers, type PatroniFault } from './db-failover/patroni.ts';
import { summarizeRounds, type RoundOptions, type RoundResult } from './db-failover/rounds.ts';
import { runTwinFailovers } from './db-failover/twin.ts';

const SYSTEMS = ['twin', 'patroni-tuned', 'patroni-default'] as const;
type SystemId = (typeof SYSTEMS)[number];

interface Args {
  rounds: number;
  /** Rounds for Patroni with its defaults (a failover there takes tens of seconds). */
  defaultRounds: number | undefined;
  rate: number;
  only: readonly SystemId[];
  endpoint: 'auto' | 'haproxy' | 'poll';
  /** What a kill takes down on Patroni: the postmaster (as on the twin), its host (Patroni too), or both in turn. */
  patroniFault: PatroniFault | 'both';
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 10, defaultRounds: undefined, rate: 50, only: SYSTEMS, endpoint: 'auto', patroniFault: 'postmaster', write: true };
  const usage =
    'expected --rounds N, --default-rounds N, --rate N, --only twin,patroni-tuned,patroni-default, --endpoint auto|haproxy|poll, --patroni-fault postmaster|host|both, --no-write';
  const int = (k: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${k}: received ${JSON.stringify(v)}, expected a whole number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (k === '--rounds') (a.rounds = int(k, v, 1, 100)), i++;
    else if (k === '--default-rounds') (a.defaultRounds = int(k, v, 1, 100)), i++;
    else if (k === '--rate') (a.rate = int(k, v, 1, 1000)), i++;
    else if (k === '--only') {
      const ids = (v ?? '').split(',').filter((s) => s !== '');
      const bad = ids.filter((s) => !(SYSTEMS as readonly string[]).includes(s));
      if (ids.length === 0 || bad.length > 0) throw new Error(`--only: received ${JSON.stringify(v)}, expected a comma-separated list of ${SYSTEMS.join(', ')}`);
      a.only = ids as SystemId[];
      i++;
    } else if (k === '--endpoint') {
      if (v !== 'auto' && v !== 'haproxy' && v !== 'poll') throw new Error(`--endpoint: received ${JSON.stringify(v)}, expected auto, haproxy or poll`);
      a.endpoint = v;
      i++;
    } else if (k === '--patroni-fault') {
      if (v !== 'postmaster' && v !== 'host' && v !== 'both') throw new Error(`--patroni-fault: received ${JSON.stringify(v)}, expected postmaster, host or both`);
      a.patroniFault = v;
      i++;
    } else if (k === '--no-write') a.write = false;
    else throw new Error(`unknown argument ${k}; ${usage}`);
  }
  return a;
}

interface SystemRun {
  readonly id: SystemId;
  readonly fault: PatroniFault;
  readonly name: string;
  /** Settings, one line. */
  readonly describe: string;
  readonly results: readonly RoundResult[];
  /** Why it was not measured, when it was not. */
  readonly skipped?: string;
}


function roundOptions(a: Args, rounds: number, slow: boolean, log: (m: string) => void): RoundOptions {
  return {
    rounds,
    rate: a.rate,
    warmupMs: 2_000,
    tailMs: 2_000,
    recoverTimeoutMs: slow ? 120_000 : 60_000,
    healthyTimeoutMs: slow ? 180_000 : 90_000,
    connectTimeoutMs: 1_000,
    queryTimeoutMs: 2_000,
    maxInFlight: 4,
    onProgress: log,
  };
}

const ms = (x: number | undefined) => (x === undefined ? '—' : String(Math.round(x)));

function summaryTable(runs: readonly SystemRun[]): string {
  const lines = [
    '| system | rounds | failovers | median ms | p99 ms | max ms | ok writes | failed | indeterminate (committed) | lost | duplicated | failed but present |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    if (r.skipped !== undefined) {
      lines.push(`| ${r.name} | 0 | | | | | | | | | | |`);
      continue;
    }
    const s = summarizeRounds(r.results);
    const recovered = s.recovered < s.rounds ? ` (${s.rounds - s.recovered} never recovered)` : '';
    lines.push(
      `| ${r.name} | ${s.rounds}${recovered} | ${s.leaderChanged} | ${ms(s.medianMs)} | ${ms(s.p99Ms)} | ${ms(s.maxMs)} | ${s.ok} | ${s.failed} | ${s.indeterminate} (${s.indeterminatePresent}) | ${s.lost} | ${s.duplicated} | ${s.failedButPresent} |`,
    );
  }
  return lines.join('\n');
}

function roundsTable(runs: readonly SystemRun[]): string {
  const measured = runs.filter((r) => r.skipped === undefined);
  const n = Math.max(0, ...measured.map((r) => r.results.length));
  const head = ['round', ...measured.map((r) => `${r.name} ms`)];
  const lines = [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:|').join('')}`];
  for (let i = 0; i < n; i++) {
    const cells = measured.map((r) => {
      const x = r.results[i];
      if (x === undefined) return '';
      const inPlace = x.leaderBefore !== undefined && x.leaderBefore === x.leaderAfter;
      return `${ms(x.unavailabilityMs)}${inPlace ? ' (restart in place)' : ''}`;
    });
    lines.push(`| ${i + 1} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const defaultRounds = a.defaultRounds ?? Math.min(3, a.rounds);
  const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
  // Bounded time: give up (every child is killed at exit) well past the planned length.
  const faults: PatroniFault[] = a.patroniFault === 'both' ? ['postmaster', 'host'] : [a.patroniFault];
  const plannedS = 240 + a.rounds * (1 + faults.length) * 45 + defaultRounds * faults.length * 120;
  setTimeout(() => {
    process.stderr.write(`benchmark failed: still running after ${plannedS} s\n`);
    process.exit(1);
  }, plannedS * 1000).unref();

  const versions = patroniVersions();
  const runs: SystemRun[] = [];
  log(
    `database failover benchmark: ${a.rounds} rounds (Patroni with defaults: ${defaultRounds}), ${a.rate} writes/s over 4 connections; ` +
      `systems: ${a.only.join(', ')}${versions === undefined ? ' (patroni or etcd not installed: Patroni skipped)' : ''}`,
  );
  for (const id of a.only) {
    if (id === 'twin') {
      const r = await runTwinFailovers({ rounds: roundOptions(a, a.rounds, false, (m) => log(`twin: ${m}`)), onProgress: (m) => log(`twin: ${m}`) });
      runs.push({ id, fault: 'postmaster', name: 'hastack twin', describe: r.describe, results: r.results });
      continue;
    }
    const timing: PatroniTiming = id === 'patroni-tuned' ? PATRONI_TUNED : PATRONI_DEFAULT;
    for (const fault of faults) {
      const name = `Patroni ${timing.name}${fault === 'host' ? ', host killed' : ''}`;
      if (versions === undefined) {
        runs.push({ id, fault, name, describe: timing.describe, results: [], skipped: 'patroni or etcd not installed (apt-get install -y patroni etcd-server)' });
        continue;
      }
      const rounds = id === 'patroni-default' ? defaultRounds : a.rounds;
      const r = await runPatroniFailovers({
        timing,
        endpoint: a.endpoint,
        fault,
        rounds: roundOptions(a, rounds, id === 'patroni-default', (m) => log(`${name}: ${m}`)),
        onProgress: (m) => log(`${name}: ${m}`),
      });
      runs.push({ id, fault, name, describe: `${timing.describe}; endpoint: ${r.endpoint}`, results: r.results });
    }
  }

  const fewer = runs.find((r) => r.id === 'patroni-default' && r.skipped === undefined && r.results.length < a.rounds);
  const args = process.argv.slice(2).filter((x) => x !== '--no-write');
  const hostRows = runs.some((r) => r.fault === 'host');
  const md = [
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:db-failover${args.length > 0 ? ` -- ${args.join(' ')}` : ''}\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    `Each round: ${a.rate} writes/s (one autocommit INSERT each, up to 4 persistent connections, 1 s connect and 2 s query timeouts) through`,
    "the endpoint that follows the primary; after 2 s the primary's postmaster gets SIGKILL" +
      (hostRows ? ' (rows "host killed": the leader\'s Patroni process too, as a crashed host; it is started again after the round)' : '') +
      '; writing goes on until 2 s after the first ok write, then every write is checked row by row through the endpoint.',
    'Write unavailability runs from the last ok write before the kill to the first ok write issued after the kill took effect.',
    'A write is ok only when the INSERT returned, failed only when it certainly did not commit (no connection, or the server',
    'answered with an error), indeterminate when the connection broke or timed out after it was sent; "(committed)" counts the',
    'indeterminate writes found in the table afterwards. "lost" counts ok writes missing afterwards.',
    `"p99" is nearest-rank: with fewer than 100 rounds it is the slowest round. "failovers" counts rounds after which another node leads.${fewer === undefined ? '' : ` Patroni with its defaults ran ${fewer.results.length} rounds only (each takes tens of seconds).`}`,
    'Everything runs on this one machine, loopback only.',
    '',
    summaryTable(runs),
    '',
    'Per round (write unavailability):',
    '',
    roundsTable(runs),
    '',
    ...runs.map((r) => `- ${r.name}: ${r.skipped ?? r.describe}.`),
    ...(versions === undefined ? [] : [`- Versions: ${versions.patroni}, ${versions.etcd}, PostgreSQL 15 (Debian) under Patroni; the twin runs the PostgreSQL it finds.`]),
    ...(runs.some((r) => r.results.some((x) => x.leaderBefore !== undefined && x.leaderBefore === x.leaderAfter))
      ? [
          '- "restart in place": the same node leads after the round. Patroni keeps its leader lock while only its postmaster is dead and restarts',
          '  PostgreSQL there (crash recovery, then promotion); it fails over only when that takes longer than primary_start_timeout (300 s),',
          '  or when the whole host is gone (`--patroni-fault host`).',
        ]
      : []),
  ].join('\n');
  publishSection('## Database failover', md, a.write);
}

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
