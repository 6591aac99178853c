/**
 * A database write load that proves nothing is lost: an open-loop client that INSERTs one row per
 * write through a connection string (a stable endpoint), records every write as ok, failed or
 * indeterminate (as Jepsen does), and afterwards checks row by row that every acknowledged write is
 * present and none is present twice. Also measures write unavailability around a fault.
 *
 * Classification is honest: `ok` only when the autocommit INSERT returned; `failed` only when the
 * write certainly did not commit (no connection could be made, or the server answered the
 * statement with an error, which rolls it back); `indeterminate` when the connection broke or timed
 * out after the statement was sent, so it may or may not have committed. Loopback only; bounded in
 * count.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { resilienceError } from './errors.ts';

export type WriteOutcome = 'ok' | 'failed' | 'indeterminate';

/** One write as the client saw it. Times are `Date.now()` milliseconds. */
export interface WriteRecord {
  /** 0, 1, 2… in the order the writes were issued. */
  seq: number;
  /** The row's key: unique per write (a random run id and the seq). */
  key: string;
  outcome: WriteOutcome;
  /** When the write was issued (before connecting, when a new connection was needed). */
  startedAt: number;
  /** When its outcome was known: the acknowledgement for an `ok` write. */
  endedAt: number;
  error?: string;
  /** SQLSTATE of the server's error response, when there was one. */
  sqlstate?: string;
}

export interface WriteLoadOptions {
  /** A `postgresql://` URL whose host is 127.0.0.0/8, localhost or [::1]. */
  connectionString: string;
  /** Writes issued per second, 1–5000. */
  ratePerSecond: number;
  /** @default 'hastack_writes' */
  table?: string;
  /**
   * Persistent connections, each running one write at a time (1–64). A write due while all are
   * busy is not issued (open loop: the schedule never waits for the server). @default 4
   */
  maxInFlight?: number;
  /** Milliseconds to connect (and authenticate) before the write counts as failed. @default 1000 */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for the INSERT's answer before it counts as indeterminate. @default 2000 */
  queryTimeoutMs?: number;
  /** Stops by itself after this many writes. @default ratePerSecond × 600 (ten minutes) */
  maxWrites?: number;
}

export interface WriteLoad {
  /** The writes finished so far, in order of seq (a snapshot). */
  records(): readonly WriteRecord[];
  /** Stops issuing, waits for the writes in flight, closes the connections; resolves to every record. */
  stop(): Promise<readonly WriteRecord[]>;
}

export interface WriteVerification {
  /** Writes recorded `ok`. */
  acknowledged: number;
  /** `ok` writes whose row is absent: lost writes. */
  missing: WriteRecord[];
  /** Keys present more than once. */
  duplicated: string[];
  /** Writes recorded `failed` whose row is present: a classification the client got wrong. */
  failedButPresent: WriteRecord[];
  /** Indeterminate writes that did commit. */
  indeterminatePresent: number;
  /** Indeterminate writes that did not. */
  indeterminateAbsent: number;
}

export interface WriteUnavailability {
  /** Acknowledgement time of the last `ok` write at or before the fault. */
  lastOkBefore: number | undefined;
  /** Acknowledgement time of the first `ok` write issued after the fault took effect. */
  firstOkAfter: number | undefined;
  /** `firstOkAfter − lastOkBefore`, when both are known. */
  ms: number | undefined;
}

export const DEFAULT_WRITE_TABLE = 'hastack_writes';
const TABLE_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * SQLSTATEs that come as an error response yet leave the commit uncertain: 40003
 * (statement_completion_unknown), class 58 (I/O errors, e.g. while flushing the commit record)
 * and XX (internal errors). A PANIC is uncertain too, whatever its code.
 */
function uncertainSqlstate(sqlstate: string, severity: string | undefined): boolean {
  return sqlstate === '40003' || sqlstate.startsWith('58') || sqlstate.startsWith('XX') || severity === 'PANIC';
}

/**
 * Outcome of a write that threw, from where it was and what came back. Pure.
 * - `connect`: nothing was sent yet → `failed` (refused, timed out, 57P03 starting up, 08006, auth…).
 * - `query` with a server error response (SQLSTATE) → `failed`: the server rolled the statement
 *   back (25006 read-only, 57P01 terminated…), except the uncertain codes above → `indeterminate`.
 * - `query` refused by the client library before sending (a client already broken) → `failed`.
 * - `query` without one (connection reset or closed, timeout) → `indeterminate`.
 */
export function classifyWriteError(
  e: unknown,
  phase: 'connect' | 'query',
): { outcome: 'failed' | 'indeterminate'; error: string; sqlstate?: string } {
  const error = describeError(e);
  const sqlstate = e instanceof pg.DatabaseError && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const withState = sqlstate === undefined ? {} : { sqlstate };
  if (phase === 'connect') return { outcome: 'failed', error, ...withState };
  // pg refuses a query on a client already closed or broken before writing anything.
  if (sqlstate === undefined && /is not queryable$/.test(error)) return { outcome: 'failed', error };
  if (sqlstate !== undefined) {
    const severity = (e as pg.DatabaseError).severity;
    return { outcome: uncertainSqlstate(sqlstate, severity) ? 'indeterminate' : 'failed', error, ...withState };
  }
  return { outcome: 'indeterminate', error };
}

function describeError(e: unknown): string {
  if (e instanceof pg.DatabaseError) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/**
 * Write unavailability around a fault at `faultAt` (ms): from the last `ok` acknowledgement at or
 * before it to the first `ok` acknowledgement of a write issued after the fault took effect. The
 * fault "took effect" at the first time a write ending after `faultAt` came back not ok, so a
 * write that slipped through in the instant before a kill landed does not close the window; when
 * no write came back not ok, it is `faultAt` itself. Pure.
 */
export function writeUnavailability(records: readonly WriteRecord[], faultAt: number): WriteUnavailability {
  let lastOkBefore: number | undefined;
  let brokenAt: number | undefined;
  for (const r of records) {
    if (r.outcome === 'ok' && r.endedAt <= faultAt && (lastOkBefore === undefined || r.endedAt > lastOkBefore)) lastOkBefore = r.endedAt;
    if (r.outcome !== 'ok' && r.endedAt >= faultAt && (brokenAt === undefined || r.endedAt < brokenAt)) brokenAt = r.endedAt;
  }
  const from = brokenAt ?? faultAt;
  let firstOkAfter: number | undefined;
  for (const r of records) {
    if (r.outcome === 'ok' && r.startedAt >= from && (firstOkAfter === undefined || r.endedAt < firstOkAfter)) firstOkAfter = r.endedAt;
  }
  return {
    lastOkBefore,
    firstOkAfter,
    ms: lastOkBefore !== undefined && firstOkAfter !== undefined ? firstOkAfter - lastOkBefore : undefined,
  };
}

/**
 * Refuses anything but a `postgresql://` URL to this machine (a `host` query parameter included;
 * a Unix socket path counts as this machine).
 */
export function assertLoopbackDatabase(connectionString: string): URL {
  let u: URL;
  try {
    u = new URL(connectionString);
  } catch {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', 'connectionString: received a value that is not a URL, expected postgresql://user:password@127.0.0.1:port/database');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `connectionString: received protocol ${JSON.stringify(u.protocol)}, expected postgresql:`);
  }
  const hosts = [u.hostname, ...u.searchParams.getAll('host')].filter((h) => h !== '');
  // No host at all would let the client library fall back to PGHOST, which may be anywhere.
  if (hosts.length === 0) {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', 'connectionString: received no host, expected postgresql://user:password@127.0.0.1:port/database');
  }
  for (const raw of hosts) {
    const h = decodeURIComponent(raw).replace(/^\[|\]$/g, '');
    if (h.startsWith('/')) continue;
    if (!(h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h))) {
      throw resilienceError('HASTACK_LOAD_NOT_LOOPBACK', `connectionString: received host ${JSON.stringify(h)}, expected 127.0.0.0/8, localhost or [::1]`);
    }
  }
  return u;
}

function checkTable(table: string): string {
  if (!TABLE_RE.test(table)) {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `table: received ${JSON.stringify(table)}, expected a lowercase identifier (a letter or underscore, then letters, digits or underscores, at most 63)`);
  }
  return table;
}

function checkRange(field: string, v: number | undefined, min: number, max: number, unit: string, o: { required?: boolean; integer?: boolean } = {}): void {
  if (v === undefined && o.required !== true) return;
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (o.integer !== true || Number.isInteger(v)))) {
    throw resilienceError('HASTACK_LOAD_BAD_OPTIONS', `${field}: received ${v}, expected ${o.integer === true ? 'an integer ' : ''}${min} to ${max} ${unit}`);
  }
}

/**
 * Connects to a primary (a server not in recovery, so it has every committed write) with bounded
 * retries, as the endpoint may be moving; the caller ends the client.
 */
async function connectRetrying(connectionString: string, totalMs: number): Promise<pg.Client> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const c = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000, application_name: 'hastack-writes' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const r = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (r.rows[0]?.standby === true) throw new Error('the endpoint leads to a server in recovery (a standby), not to a primary');
      return c;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Creates the write table unless it exists. Its rows have no unique constraint on `key`, so a
 * write applied twice stays visible as two rows.
 */
export async function prepareWriteTable(connectionString: string, table: string = DEFAULT_WRITE_TABLE): Promise<void> {
  assertLoopbackDatabase(connectionString);
  checkTable(table);
  const c = await connectRetrying(connectionString, 10_000);
  try {
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, key text NOT NULL, seq bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
    );
    await c.query(`CREATE INDEX IF NOT EXISTS ${table}_key_idx ON ${table} (key)`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

interface Slot {
  client: pg.Client | undefined;
  /** The connection ended or errored while idle: replace it before the next write. */
  broken: boolean;
  busy: boolean;
}

/**
 * Starts writing at `ratePerSecond`, one autocommit INSERT per write over a few persistent
 * connections, each replaced when it breaks. Returns at once; see {@link WriteLoad}.
 */
export function startWriteLoad(o: WriteLoadOptions): WriteLoad {
  assertLoopbackDatabase(o.connectionString);
  const table = checkTable(o.table ?? DEFAULT_WRITE_TABLE);
  checkRange('ratePerSecond', o.ratePerSecond, 1, 5000, 'writes per second', { required: true });
  checkRange('maxInFlight', o.maxInFlight, 1, 64, 'connections', { integer: true });
  checkRange('connectTimeoutMs', o.connectTimeoutMs, 1, 600_000, 'milliseconds');
  checkRange('queryTimeoutMs', o.queryTimeoutMs, 1, 600_000, 'milliseconds');
  checkRange('maxWrites', o.maxWrites, 1, 100_000_000, 'writes', { integer: true });

  const connectTimeoutMs = o.connectTimeoutMs ?? 1_000;
  const queryTimeoutMs = o.queryTimeoutMs ?? 2_000;
  const maxWrites = Math.floor(o.maxWrites ?? o.ratePerSecond * 600);
  const run = randomBytes(6).toString('hex');
  const slots: Slot[] = Array.from({ length: o.maxInFlight ?? 4 }, () => ({ client: undefined, broken: false, busy: false }));
  const done: WriteRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let seq = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const discard = (slot: Slot): void => {
    const c = slot.client;
    slot.client = undefined;
    slot.broken = false;
    // end() destroys the socket at once when a query is still active (a timed-out one).
    if (c !== undefined) void c.end().catch(() => undefined);
  };

  const connect = async (slot: Slot): Promise<pg.Client> => {
    if (slot.client !== undefined && !slot.broken) return slot.client;
    discard(slot);
    const c = new pg.Client({
      connectionString: o.connectionString,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      application_name: 'hastack-writes',
    });
    const markBroken = () => {
      if (slot.client === c) slot.broken = true;
    };
    c.on('error', markBroken);
    c.on('end', markBroken);
    try {
      await c.connect();
    } catch (e) {
      void c.end().catch(() => undefined);
      throw e;
    }
    slot.client = c;
    slot.broken = false;
    return c;
  };

  const write = async (slot: Slot, n: number): Promise<void> => {
    const key = `${run}-${n}`;
    const startedAt = Date.now();
    let phase: 'connect' | 'query' = 'connect';
    try {
      const c = await connect(slot);
      phase = 'query';
      // Simple protocol, one statement: it commits before the server answers CommandComplete.
      await c.query(`INSERT INTO ${table} (key, seq) VALUES (${pg.escapeLiteral(key)}, ${n})`);
      done.push({ seq: n, key, outcome: 'ok', startedAt, endedAt: Date.now() });
    } catch (e) {
      const c = classifyWriteError(e, phase);
      done.push({ seq: n, key, startedAt, endedAt: Date.now(), ...c });
      // After any error, a fresh connection: the endpoint may lead elsewhere now.
      discard(slot);
    }
  };

  const issue = (slot: Slot): void => {
    slot.busy = true;
    const p = write(slot, seq++).finally(() => {
      slot.busy = false;
      inFlight.delete(p);
    });
    inFlight.add(p);
  };

  const loop = async (): Promise<void> => {
    const t0 = performance.now();
    for (let i = 0; !stopped && seq < maxWrites; i++) {
      const due = t0 + (i * 1000) / o.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 1) {
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, wait);
        });
        wake = undefined;
        if (stopped) break;
      }
      const slot = slots.find((s) => !s.busy);
      if (slot !== undefined) issue(slot);
    }
  };
  const looping = loop();

  return {
    records: () => [...done].sort((a, b) => a.seq - b.seq),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await looping;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      for (const s of slots) discard(s);
      return [...done].sort((a, b) => a.seq - b.seq);
    },
  };
}

/**
 * Reads back every recorded write's row (through `connectionString`, retrying the connection for
 * up to 10 s) and compares: acknowledged writes missing, keys present twice, failed writes that
 * are present after all, and how the indeterminate ones turned out.
 */
export async function verifyWrites(
  connectionString: string,
  records: readonly WriteRecord[],
  table: string = DEFAULT_WRITE_TABLE,
): Promise<WriteVerification> {
  assertLoopbackDatabase(connectionString);
  checkTable(table);
  const counts = new Map<string, number>();
  const c = await connectRetrying(connectionString, 10_000);
  try {
    const keys = records.map((r) => r.key);
    for (let i = 0; i < keys.length; i += 10_000) {
      const res = await c.query<{ key: string; n: string }>(`SELECT key, count(*) AS n FROM ${table} WHERE key = ANY($1::text[]) GROUP BY key`, [
        keys.slice(i, i + 10_000),
      ]);
      for (const row of res.rows) counts.set(row.key, Number(row.n));
    }
  } finally {
    await c.end().catch(() => undefined);
  }
  const present = (r: WriteRecord) => (counts.get(r.key) ?? 0) > 0;
  const indeterminate = records.filter((r) => r.outcome === 'indeterminate');
  return {
    acknowledged: records.filter((r) => r.outcome === 'ok').length,
    missing: records.filter((r) => r.outcome === 'ok' && !present(r)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
    failedButPresent: records.filter((r) => r.outcome === 'failed' && present(r)),
    indeterminatePresent: indeterminate.filter(present).length,
    indeterminateAbsent: indeterminate.filter((r) => !present(r)).length,
  };
}
