/**
 * One failover round under write load, the same for every system measured: wait until the system
 * is healthy, write through its endpoint, SIGKILL its primary, keep writing until writes succeed
 * again (and a little longer), then check every write row by row. Also the pure summary of rounds
 * (median, p99, max unavailability; failed, indeterminate, lost writes).
 */
import { prepareWriteTable, startWriteLoad, verifyWrites, writeUnavailability, type WriteRecord } from '../../src/resilience/db-writes.ts';
import { median as medianOf } from '../median.ts';

/** A system under test, as a round sees it. */
export interface FailoverSystem {
  /** Where writes go: the endpoint that follows the primary. */
  readonly connectionString: string;
  /** Resolves once a primary serves through the endpoint with its synchronous standby in place. */
  waitHealthy(timeoutMs: number): Promise<void>;
  /** SIGKILL of the primary (its postmaster, or its whole host); says which node, and when the signal went (`Date.now()`). */
  killPrimary(): Promise<{ killed: string; at: number }>;
  /** The node that leads now, when the system can tell. */
  leader(): Promise<string | undefined>;
  /** Brings back what the last kill took down for good (a killed host), before the next round. */
  repair?(): Promise<void>;
}

export interface RoundOptions {
  readonly rounds: number;
  /** Writes per second. */
  readonly rate: number;
  /** Milliseconds of writing before the kill. */
  readonly warmupMs: number;
  /** Milliseconds of writing after the first ok write following the kill (and of quiet before the next round). */
  readonly tailMs: number;
  /** Milliseconds to wait for writes to succeed again before the round counts as not recovered. */
  readonly recoverTimeoutMs: number;
  /** Milliseconds to wait for the system to be healthy before each round. */
  readonly healthyTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly maxInFlight: number;
  readonly table?: string;
  readonly onProgress?: (message: string) => void;
}

export interface RoundResult {
  readonly round: number;
  readonly killed: string;
  readonly leaderBefore: string | undefined;
  readonly leaderAfter: string | undefined;
  /** Last ok write before the kill → first ok write after; undefined when writes never came back. */
  readonly unavailabilityMs: number | undefined;
  readonly ok: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Indeterminate writes that turned out committed. */
  readonly indeterminatePresent: number;
  /** Acknowledged writes missing afterwards. */
  readonly lost: number;
  /** Keys present more than once. */
  readonly duplicated: number;
  /** Writes recorded failed that are present. */
  readonly failedButPresent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `o.rounds` rounds one after the other. */
export async function runFailoverRounds(system: FailoverSystem, o: RoundOptions): Promise<RoundResult[]> {
  await system.waitHealthy(o.healthyTimeoutMs);
  await prepareWriteTable(system.connectionString, o.table);
  const results: RoundResult[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    await system.repair?.();
    await system.waitHealthy(o.healthyTimeoutMs);
    const r = await oneRound(system, o, round);
    o.onProgress?.(
      `round ${round}: ${r.killed}; ${r.leaderBefore ?? '?'} → ${r.leaderAfter ?? '?'}; unavailable ${r.unavailabilityMs ?? 'never recovered'} ms; ` +
        `ok ${r.ok}, failed ${r.failed}, indeterminate ${r.indeterminate} (${r.indeterminatePresent} committed), lost ${r.lost}, duplicated ${r.duplicated}`,
    );
    results.push(r);
  }
  return results;
}

async function oneRound(system: FailoverSystem, o: RoundOptions, round: number): Promise<RoundResult> {
  const leaderBefore = await system.leader();
  const load = startWriteLoad({
    connectionString: system.connectionString,
    ratePerSecond: o.rate,
    maxInFlight: o.maxInFlight,
    connectTimeoutMs: o.connectTimeoutMs,
    queryTimeoutMs: o.queryTimeoutMs,
    ...(o.table === undefined ? {} : { table: o.table }),
  });
  let records: readonly WriteRecord[] = [];
  let killed = '';
  let faultAt = 0;
  try {
    await sleep(o.warmupMs);
    const warm = Date.now() + o.healthyTimeoutMs;
    while (!load.records().some((r) => r.outcome === 'ok')) {
      if (Date.now() > warm) throw new Error(`round ${round}: no write succeeded before the kill`);
      await sleep(50);
    }
    ({ killed, at: faultAt } = await system.killPrimary());
    // Recomputed on every pass: a write that slipped through before the kill landed stops
    // counting as "first ok after" once the failures behind it come in.
    const deadline = faultAt + o.recoverTimeoutMs;
    for (;;) {
      const first = writeUnavailability(load.records(), faultAt).firstOkAfter;
      if ((first !== undefined && Date.now() - first >= o.tailMs) || Date.now() > deadline) break;
      await sleep(50);
    }
  } finally {
    records = await load.stop();
  }
  const u = writeUnavailability(records, faultAt);
  // The check reads through the endpoint, so it waits for a primary (bounded), and tries again
  // when the endpoint moves under it.
  await system.repair?.();
  await system.waitHealthy(o.healthyTimeoutMs).catch(() => undefined);
  let v: Awaited<ReturnType<typeof verifyWrites>> | undefined;
  for (let attempt = 1; v === undefined; attempt++) {
    try {
      v = await verifyWrites(system.connectionString, records, o.table);
    } catch (e) {
      if (attempt >= 5) throw new Error(`round ${round}: could not read the writes back: ${(e as Error).message}`, { cause: e });
      await sleep(2_000);
    }
  }
  const count = (x: WriteRecord['outcome']) => records.filter((r) => r.outcome === x).length;
  return {
    round,
    killed,
    leaderBefore,
    leaderAfter: await system.leader(),
    unavailabilityMs: u.ms,
    ok: count('ok'),
    failed: count('failed'),
    indeterminate: count('indeterminate'),
    indeterminatePresent: v.indeterminatePresent,
    lost: v.missing.length,
    duplicated: v.duplicated.length,
    failedButPresent: v.failedButPresent.length,
  };
}

export interface RoundsSummary {
  readonly rounds: number;
  /** Rounds whose writes came back within the timeout. */
  readonly recovered: number;
  /** Over recovered rounds; undefined when none recovered. */
  readonly medianMs: number | undefined;
  /** Nearest rank: with fewer than 100 rounds it is the slowest round. */
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
  /** Rounds where another node leads afterwards (a failover, not a restart in place). */
  readonly leaderChanged: number;
  readonly ok: number;
  readonly failed: number;
  readonly indeterminate: number;
  readonly indeterminatePresent: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly failedButPresent: number;
}

/** The median, or undefined when no round gave a value. */
export function median(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : medianOf(xs);
}

/** Nearest-rank percentile (0 < p ≤ 100). */
export function percentile(xs: readonly number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

/** Sums and order statistics over rounds. Pure. */
export function summarizeRounds(results: readonly RoundResult[]): RoundsSummary {
  const ms = results.map((r) => r.unavailabilityMs).filter((x): x is number => x !== undefined);
  const sum = (f: (r: RoundResult) => number) => results.reduce((a, r) => a + f(r), 0);
  return {
    rounds: results.length,
    recovered: ms.length,
    medianMs: median(ms),
    p99Ms: percentile(ms, 99),
    maxMs: ms.length === 0 ? undefined : Math.max(...ms),
    leaderChanged: results.filter((r) => r.leaderBefore !== undefined && r.leaderAfter !== undefined && r.leaderBefore !== r.leaderAfter).length,
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    indeterminate: sum((r) => r.indeterminate),
    indeterminatePresent: sum((r) => r.indeterminatePresent),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    failedButPresent: sum((r) => r.failedButPresent),
  };
}
