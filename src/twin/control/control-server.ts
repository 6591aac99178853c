import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { closeServer, listenOnLoopback } from '../../util/loopback-server.ts';
import { HastackError, isHastackError } from '../../errors.ts';
import { twinError } from './errors.ts';

/** A handler gets the parsed JSON body (or {}) and the query, and returns a JSON-able value. */
export type ControlHandler = (body: Record<string, unknown>, query: URLSearchParams) => unknown | Promise<unknown>;

export type ControlRoutes = Readonly<Record<string, ControlHandler>>; // key: "GET /status"

const MAX_BODY = 64 * 1024;

const STATUS_BY_CODE: Record<string, number> = {
  HASTACK_CONTROL_UNAUTHORIZED: 401,
  HASTACK_CONTROL_NOT_FOUND: 404,
  HASTACK_ASG_UNKNOWN_INSTANCE: 404,
};

/**
 * The twin's control API: JSON over HTTP on loopback, every request carrying the bearer token
 * from the state folder. Errors come back as `{ error: { code, message, details } }`.
 */
export class ControlServer {
  private readonly server: http.Server;
  private port = 0;

  constructor(private readonly token: string, private readonly routes: ControlRoutes) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 60_000;
  }

  async listen(): Promise<string> {
    this.port = await listenOnLoopback(this.server);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    const want = Buffer.from(this.token);
    return want.length > 0 && given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      if (!this.authorized(req)) throw twinError('HASTACK_CONTROL_UNAUTHORIZED', 'missing or wrong bearer token');
      const url = new URL(req.url ?? '/', 'http://control');
      const handler = this.routes[`${req.method ?? 'GET'} ${url.pathname}`];
      if (handler === undefined) throw twinError('HASTACK_CONTROL_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
      const body = await readJson(req);
      send(200, (await handler(body, url.searchParams)) ?? { ok: true });
    } catch (err) {
      const e = isHastackError(err) ? err : new HastackError('HASTACK_INTERNAL', 'internal', (err as Error).message, { cause: err });
      const status = STATUS_BY_CODE[e.code] ?? (e.source === 'user' ? 400 : 500);
      send(status, { error: { code: e.code, message: e.message, source: e.source, details: e.details ?? {} } });
    }
  }
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw twinError('HASTACK_CONTROL_BAD_REQUEST', `request body is over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw twinError('HASTACK_CONTROL_BAD_REQUEST', 'request body is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw twinError('HASTACK_CONTROL_BAD_REQUEST', 'request body must be a JSON object');
  return v as Record<string, unknown>;
}
