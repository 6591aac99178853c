/**
 * Routes. Every response carries X-Instance-Id and X-Availability-Zone, so a client behind the
 * load balancer can tell which instance and zone answered it. Reads, and writes that carry an
 * idempotency key, ride out a short database failover by retrying (with-retry.ts); requests to
 * the attachments bucket ride out a short storage outage the same way (storage-retry.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { ATTACHMENT_URL_PREFIX, isAttachmentId } from './attachment-key.ts';
import { checkAttachment } from './attachment-rules.ts';
import type { AttachmentStore, NewAttachment } from './attachments.ts';
import { parseBody } from './body.ts';
import { isUnavailable } from './database.ts';
import { createEntry, findByIdempotencyKey, listEntries, type CreateResult, type Entry } from './entries.ts';
import { HttpError, sendHtml, sendJson, sendText } from './http.ts';
import type { Identity } from './identity.ts';
import { isImageType } from './image-type.ts';
import { burnCpu, LOAD_LIMITS, sleep } from './load.ts';
import { log } from './log.ts';
import { renderPage } from './page.ts';
import type { Readiness } from './readiness.ts';
import { describeReadiness } from './readiness-rule.ts';
import type { SchemaKeeper } from './schema.ts';
import { StorageUnavailableError } from './storage-retry.ts';
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
  /** The bucket for entries' images; undefined when attachments are off. */
  readonly attachments?: AttachmentStore | undefined;
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
    // Every path under /attachments/ (see below).
    [ATTACHMENT_URL_PREFIX]: { GET: (req, res, url) => getAttachment(d, req, res, url) },
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
    const route = url.pathname.startsWith(ATTACHMENT_URL_PREFIX) ? routes[ATTACHMENT_URL_PREFIX] : routes[url.pathname];
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
  const model = { identity: d.identity, idempotencyKey: randomUUID(), attachments: d.attachments !== undefined };
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
  // The form answers with pages and redirects; a program (JSON, or multipart without asking for
  // HTML) with JSON.
  const browser = body.kind === 'form' || (body.kind === 'multipart' && /\btext\/html\b/i.test(req.headers.accept ?? ''));
  const headerKey = req.headers['idempotency-key'];
  const formKey = body.kind !== 'json' && typeof fields['idempotency_key'] === 'string' && fields['idempotency_key'] !== '' ? fields['idempotency_key'] : undefined;
  const key = typeof headerKey === 'string' ? headerKey : formKey;
  const keyField = typeof headerKey === 'string' ? 'Idempotency-Key' : 'idempotency_key';
  const keyProblem = validateIdempotencyKey(key, keyField);
  const entry = validateEntry(body.value);
  const upload = body.kind === 'multipart' ? checkAttachment(body.multipart, d.attachments !== undefined) : { image: undefined, problems: [], tooLarge: false };
  const problems: Problem[] = [...(keyProblem === undefined ? [] : [keyProblem]), ...(entry.ok ? [] : entry.problems), ...upload.problems];

  if (problems.length > 0 || !entry.ok) {
    const status = upload.tooLarge ? 413 : 400;
    if (browser) {
      const values = { name: String(fields['name'] ?? ''), message: String(fields['message'] ?? '') };
      const page = { identity: d.identity, idempotencyKey: key ?? randomUUID(), problems, values, attachments: d.attachments !== undefined };
      sendHtml(res, status, renderPage({ ...page, entries: await listEntries(d.pool).catch(() => undefined) }));
      return;
    }
    const summary = problems.map((p) => `${p.field}: ${p.problem}`).join('; ');
    const message = `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${summary}`;
    const tooLarge = problems.find((p) => p.problem === 'too large');
    sendJson(
      res,
      status,
      tooLarge === undefined
        ? { error: 'invalid_entry', message, problems }
        : { error: 'payload_too_large', message, field: tooLarge.field, received: tooLarge.received, expected: tooLarge.expected, problems },
    );
    return;
  }

  requireSchema(d);
  const input = entry.value;
  let attachment: NewAttachment | undefined;
  if (upload.image !== undefined && d.attachments !== undefined) {
    // A retry of a post that did commit finds its entry here and stores no second image.
    const earlier = key === undefined ? undefined : await withRetry(d.pool, (db) => findByIdempotencyKey(db, key, input), { idempotent: true });
    if (earlier !== undefined) return answerCreated(res, earlier, browser, keyField);
    // The image first, then the row that points at it: no entry ever shows a missing image. If
    // the store fails, nothing is written (503, StorageUnavailableError); if the database then
    // fails, the object stays behind unreferenced.
    attachment = await d.attachments.put(upload.image.bytes, upload.image.contentType);
  }
  // With a key a retry after a lost connection cannot make a second entry (the key is unique);
  // without one, only a failure before the statement was sent is retried.
  const result = await withRetry(d.pool, (db) => createEntry(db, input, key, d.identity, attachment), { idempotent: key !== undefined });
  answerCreated(res, result, browser, keyField);
}

function answerCreated(res: ServerResponse, result: CreateResult, browser: boolean, keyField: string): void {
  if (result.kind === 'key-reused') {
    sendJson(res, 422, {
      error: 'idempotency_key_reused',
      message: 'this Idempotency-Key was first used for a different entry; use a new key for a new entry',
      field: keyField,
      entry: result.entry,
    });
    return;
  }
  const replayed: Record<string, string> = result.kind === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {};
  if (browser) {
    // Post/Redirect/Get: reloading the page afterwards does not resubmit the form.
    res.writeHead(303, { Location: '/', 'Content-Length': 0, 'Cache-Control': 'no-store', ...replayed });
    res.end();
    return;
  }
  sendJson(res, result.kind === 'created' ? 201 : 200, { entry: result.entry }, replayed);
}

/** An attachment never changes under its id: caches may keep it for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

async function getAttachment(d: AppDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const id = url.pathname.slice(ATTACHMENT_URL_PREFIX.length);
  const notFound = () => sendJson(res, 404, { error: 'not_found', message: `no such attachment ${url.pathname}` });
  // Checked before the bucket is asked: a malformed id never becomes an object key.
  if (d.attachments === undefined || !isAttachmentId(id)) return notFound();
  // One entity tag, as a browser revalidating its copy sends; anything else is not passed on.
  const header = req.headers['if-none-match'];
  const ifNoneMatch = header !== undefined && /^(W\/)?"[^"]*"$/.test(header) ? header : undefined;
  const found = await d.attachments.get(id, ifNoneMatch);
  if (found.kind === 'missing') return notFound();
  if (found.kind === 'not-modified') {
    res.writeHead(304, { 'Cache-Control': IMMUTABLE, ...(ifNoneMatch === undefined ? {} : { ETag: ifNoneMatch }) });
    res.end();
    return;
  }
  res.writeHead(200, {
    // Served only as one of the accepted image types; anything else goes out as plain bytes.
    'Content-Type': found.contentType !== undefined && isImageType(found.contentType) ? found.contentType : 'application/octet-stream',
    ...(found.contentLength === undefined ? {} : { 'Content-Length': found.contentLength }),
    ...(found.etag === undefined ? {} : { ETag: found.etag }),
    'Cache-Control': IMMUTABLE,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
  });
  if (req.method === 'HEAD') {
    found.body.destroy();
    res.end();
    return;
  }
  // Headers are out: a failure now can only cut the response short, which the client sees.
  await pipeline(found.body, res).catch((e: unknown) => {
    // A client that goes away mid-image is no news; a bucket that does is.
    const code = (e as { code?: unknown }).code;
    if (!res.writableFinished && code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn(`attachment ${id}: the stream from the bucket failed: ${e instanceof Error ? e.message : String(e)}`);
    res.destroy();
  });
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
  } else if (err instanceof StorageUnavailableError) {
    // Nothing was written: a post's entry is saved only after its image is.
    sendJson(res, 503, { error: 'storage_unavailable', message: err.message }, { 'Retry-After': '1' });
  } else if (isUnavailable(err)) {
    // Failed before anything was written, or a read, or a write with a key after its retries: a
    // retry by the client (with the same Idempotency-Key for a write) is safe.
    sendJson(res, 503, { error: 'database_unavailable', message: `the database cannot serve right now: ${(err as Error).message}` }, { 'Retry-After': '1' });
  } else {
    log.warn(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    sendJson(res, 500, { error: 'internal', message: 'an internal error occurred; it has been logged' });
  }
}
