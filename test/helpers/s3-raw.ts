/**
 * Hand-made S3 requests against a test store: signed like the SDK signs them, then sent over a raw
 * socket, so a test can break any part on purpose (a header, the body, the length, the signature).
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../twin/s3/auth/sign-helpers.ts';
import type { TestStorage } from './storage.ts';

export interface RawRequest {
  readonly method: string;
  /** Already encoded, e.g. `/bucket/a%20b`. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function endpointOf(t: TestStorage): { host: string; port: number } {
  const u = new URL(t.storage.endpoint);
  return { host: u.hostname, port: Number(u.port) };
}

/** Signs a request with the store's credentials (payload hash signed), returning the head to send. */
export async function signRaw(t: TestStorage, r: RawRequest, opts: { secret?: string; date?: Date } = {}): Promise<{ target: string; headers: Record<string, string> }> {
  const { host, port } = endpointOf(t);
  const body = r.body ?? Buffer.alloc(0);
  const sig = new SignatureV4({
    credentials: { accessKeyId: t.storage.credentials.accessKeyId, secretAccessKey: opts.secret ?? t.storage.credentials.secretAccessKey },
    region: t.env['AWS_REGION']!,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const signed = await sig.sign(
    {
      method: r.method,
      protocol: 'http:',
      hostname: host,
      port,
      path: r.path,
      query: r.query ?? {},
      headers: { host: `${host}:${port}`, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'), ...(r.headers ?? {}) },
    } as never,
    opts.date === undefined ? {} : { signingDate: opts.date },
  );
  const q = new URLSearchParams(r.query ?? {}).toString();
  return { target: q === '' ? r.path : `${r.path}?${q}`, headers: (signed as unknown as { headers: Record<string, string> }).headers };
}

/** Writes raw bytes to the store and reads one response (or undefined when the socket closed without one). */
export function sendRawBytes(t: TestStorage, bytes: Buffer, opts: { timeoutMs?: number; halfClose?: boolean } = {}): Promise<RawResponse | undefined> {
  const { host, port } = endpointOf(t);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer in time'));
    }, opts.timeoutMs ?? 10_000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    socket.write(bytes, () => {
      if (opts.halfClose ?? true) socket.end();
    });
  });
}

/** A response head (the text before the blank line): its status and headers, names lowercased. */
export function parseHead(head: string): { status: number; headers: Record<string, string> } {
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers };
}

/** A request's bytes: the request line, `headers`, a blank line, `body`. */
export function requestBytes(method: string, target: string, headers: Record<string, string>, body: Buffer): Buffer {
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function parseResponse(raw: Buffer): RawResponse | undefined {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const { status, headers } = parseHead(text.slice(0, end));
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') body = Buffer.alloc(0);
  const length = headers['content-length'];
  return { status, headers, body: (length === undefined ? body : body.subarray(0, Number(length))).toString('utf8') };
}

/** A signed request sent as-is (or with `mutate` applied to the bytes of its head first). */
export async function sendSigned(t: TestStorage, r: RawRequest, opts: { secret?: string; date?: Date; bodyOverride?: Buffer; headersOverride?: Record<string, string> } = {}): Promise<RawResponse> {
  const { target, headers } = await signRaw(t, r, opts);
  const all: Record<string, string> = { ...headers, connection: 'close', ...(opts.headersOverride ?? {}) };
  const body = opts.bodyOverride ?? r.body ?? Buffer.alloc(0);
  if (all['content-length'] === undefined && (body.length > 0 || r.method === 'PUT' || r.method === 'POST')) all['content-length'] = String(body.length);
  const res = await sendRawBytes(t, requestBytes(r.method, target, all, body), { halfClose: false });
  if (res === undefined) throw new Error(`no response to ${r.method} ${target}`);
  return res;
}

/** S3's error code from an error XML body. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
