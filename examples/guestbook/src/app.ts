/**
 * Routes. Every response carries X-Instance-Id and X-Availability-Zone, so a client behind the
 * load balancer can tell which instance and zone answered it. Reads, and writes that carry an
 * idempotency key, ride out a short database failover by retrying (with-retry.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { parseBody } from './body.ts';
import { isUnavailable } from './database.ts';
import { createEntry, listEntries, type Entry } from './entries.ts';
import { HttpError, sendHtml, sendJson, sendText } from './http.ts';
import type { Identity } from './identity.ts';
import { burnCpu, LOAD_LIMITS, sleep } from './load.ts';
import { log } from './log.ts';
import { renderPage } from './page.ts';
import type { Readiness } from './readiness.ts';
import { describeReadiness } from './readiness-rule.ts';
import type { SchemaKeeper } from './schema.ts';
import { validateEntry, validateIdempotencyKey, type Problem } from './validation.ts';
import { OutcomeUnknownError, withRetry } from './with-retry.ts';

/** What the handlers share with the process: set once shutdown begins. */
export interface AppState {
  shuttingDown: boolean;
}

/** What the routes need. */
export interface AppDeps {
  readonly pool: pg.Pool;
  readonly identity: Identity;
  readonly readiness: Readiness;
  readonly schema: SchemaKeeper;
  readonly state: AppState;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** The request handler for node:http. */
export function createHandler(d: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/': { GET: (_req, res) => home(d, res) },
    '/entries': {
      GET: async (_req, res) => {
        requireSchema(d);
        sendJson(res, 200, { entries: await readEntries(d) });
      },
      POST: (req, res) => postEntry(d, req, res),
    },
    '/healthz': {
      // Liveness: no I/O, so it answers as long as the event loop turns.
      GET: (_req, res) => (d.state.shuttingDown ? sendText(res, 503, 'shutting down') : sendText(res, 200, 'ok')),
    },
    '/readyz': { GET: (_req, res) => readyz(d, res) },
    '/work': {
      GET: (_req, res, url) => {
        const ms = msParam(url, 100, LOAD_LIMITS.workMs);
        burnCpu(ms);
        sendJson(res, 200, { workedMs: ms });
      },
    },
    '/slow': {
      GET: async (_req, res, url) => {
        const ms = msParam(url, 1_000, LOAD_LIMITS.slowMs);
        await sleep(ms);
        sendJson(res, 200, { waitedMs: ms });
      },
    },
  };

  return (req, res) => {
    res.setHeader('X-Instance-Id', d.identity.instanceId);
    res.setHeader('X-Availability-Zone', d.identity.zone);
    // While draining, each response ends its keep-alive connection, so the server can close.
    if (d.state.shuttingDown) res.setHeader('Connection', 'close');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes[url.pathname];
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = route?.[method];
    if (route === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `no such path ${url.pathname}` });
      return;
    }
    if (handler === undefined) {
      const allow = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
      sendJson(res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed on ${url.pathname}`, allowed: allow }, { Allow: allow });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => fail(res, err));
  };
}

async function home(d: AppDeps, res: ServerResponse): Promise<void> {
  const model = { identity: d.identity, idempotencyKey: randomUUID() };
  try {
    requireSchema(d);
    sendHtml(res, 200, renderPage({ ...model, entries: await readEntries(d) }));
  } catch (err) {
    if (!(err instanceof HttpError) && !isUnavailable(err)) throw err;
    sendHtml(res, 503, renderPage({ ...model, entries: undefined, notice: 'The guestbook cannot reach its database right now; try again in a moment.' }), {
      'Retry-After': '1',
    });
  }
}

async function postEntry(d: AppDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await parseBody(req);
  const fields = (typeof body.value === 'object' && body.value !== null ? body.value : {}) as Record<string, unknown>;
  const headerKey = req.headers['idempotency-key'];
  const formKey = body.kind === 'form' && typeof fields['idempotency_key'] === 'string' && fields['idempotency_key'] !== '' ? fields['idempotency_key'] : undefined;
  const key = typeof headerKey === 'string' ? headerKey : formKey;
  const keyProblem = validateIdempotencyKey(key, typeof headerKey === 'string' ? 'Idempotency-Key' : 'idempotency_key');
  const entry = validateEntry(body.value);
  const problems: Problem[] = [...(keyProblem === undefined ? [] : [keyProblem]), ...(entry.ok ? [] : entry.problems)];

  if (problems.length > 0 || !entry.ok) {
    if (body.kind === 'form') {
      const values = { name: String(fields['name'] ?? ''), message: String(fields['message'] ?? '') };
      sendHtml(res, 400, renderPage({ identity: d.identity, entries: await listEntries(d.pool).catch(() => undefined), idempotencyKey: key ?? randomUUID(), problems, values }));
      return;
    }
    const summary = problems.map((p) => `${p.field}: ${p.problem}`).join('; ');
    sendJson(res, 400, { error: 'invalid_entry', message: `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${summary}`, problems });
    return;
  }

  requireSchema(d);
  // With a key a retry after a lost connection cannot make a second entry (the key is unique);
  // without one, only a failure before the statement was sent is retried.
  const input = entry.value;
  const result = await withRetry(d.pool, (db) => createEntry(db, input, key, d.identity), { idempotent: key !== undefined });
  if (result.kind === 'key-reused') {
    sendJson(res, 422, {
      error: 'idempotency_key_reused',
      message: 'this Idempotency-Key was first used for a different entry; use a new key for a new entry',
      field: typeof headerKey === 'string' ? 'Idempotency-Key' : 'idempotency_key',
      entry: result.entry,
    });
    return;
  }
  const replayed: Record<string, string> = result.kind === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {};
  if (body.kind === 'form') {
    // Post/Redirect/Get: reloading the page afterwards does not resubmit the form.
    res.writeHead(303, { Location: '/', 'Content-Length': 0, 'Cache-Control': 'no-store', ...replayed });
    res.end();
    return;
  }
  sendJson(res, result.kind === 'created' ? 201 : 200, { entry: result.entry }, replayed);
}

async function readyz(d: AppDeps, res: ServerResponse): Promise<void> {
  if (d.state.shuttingDown) return sendText(res, 503, 'not ready: shutting down');
  if (!d.schema.ready) return sendText(res, 503, `not ready: schema not created yet (${d.schema.reason ?? 'pending'})`);
  const r = await d.readiness.get();
  if (d.state.shuttingDown) return sendText(res, 503, 'not ready: shutting down');
  sendText(res, r.ready ? 200 : 503, describeReadiness(r));
}

/** Reads are idempotent: retried on a connection-class failure. */
function readEntries(d: AppDeps): Promise<Entry[]> {
  return withRetry(d.pool, (db) => listEntries(db), { idempotent: true });
}

function requireSchema(d: AppDeps): void {
  if (!d.schema.ready) {
    throw new HttpError(
      503,
      { error: 'database_unavailable', message: `the database is not ready: ${d.schema.reason ?? 'schema pending'}` },
      { 'Retry-After': '1' },
    );
  }
}

function msParam(url: URL, def: number, max: number): number {
  const raw = url.searchParams.get('ms');
  if (raw === null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new HttpError(400, {
      error: 'invalid_parameter',
      message: `ms must be an integer from 0 to ${max}`,
      field: 'ms',
      received: raw,
      expected: `an integer from 0 to ${max}`,
    });
  }
  return n;
}

function fail(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(res, err.status, err.body, err.headers);
  } else if (err instanceof OutcomeUnknownError) {
    sendJson(
      res,
      503,
      {
        error: 'outcome_unknown',
        message:
          'the connection to the database was lost while the entry was being written, so it may or may not have been saved, ' +
          'and sending it again as it is could make a second entry; send writes with an Idempotency-Key header ' +
          '(one key per entry, the same on every retry) and they can always be retried safely',
        cause: err.cause instanceof Error ? err.cause.message : String(err.cause),
      },
      { 'Retry-After': '1' },
    );
  } else if (isUnavailable(err)) {
    // Failed before anything was written, or a read, or a write with a key after its retries: a
    // retry by the client (with the same Idempotency-Key for a write) is safe.
    sendJson(res, 503, { error: 'database_unavailable', message: `the database cannot serve right now: ${(err as Error).message}` }, { 'Retry-After': '1' });
  } else {
    log.warn(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    sendJson(res, 500, { error: 'internal', message: 'an internal error occurred; it has been logged' });
  }
}
