/**
 * Test helpers: requests signed by the AWS SDK's own SigV4 signer (@smithy/signature-v4, with a
 * node:crypto SHA-256 behind it), turned into what the gateway receives (method, raw URL, headers),
 * and aws-chunked bodies built by hand as the AWS documentation describes them.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { chunkStringToSign, EMPTY_SHA256, hmacHex, sha256Hex, trailerStringToSign } from '../../../../src/twin/s3/auth/canonical.ts';
import type { VerifyInput } from '../../../../src/twin/s3/auth/verify.ts';

export const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const REGION = 'us-east-1';
export const lookup = (ak: string): string | undefined => (ak === ACCESS_KEY ? SECRET : undefined);

type Data = string | ArrayBuffer | ArrayBufferView;
const toBuffer = (d: Data): Buffer =>
  typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** The SDK's hash interface over node:crypto (neither @aws-crypto/sha256-js nor @smithy/hash-node is installed). */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret !== undefined ? createHmac('sha256', toBuffer(this.secret)) : createHash('sha256');
  }
  update(data: Data): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export function signer(opts: { secret?: string; accessKeyId?: string; region?: string } = {}): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: opts.accessKeyId ?? ACCESS_KEY, secretAccessKey: opts.secret ?? SECRET },
    region: opts.region ?? REGION,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false, // as the S3 client: the path is sent already encoded
  });
}

/** Encodes a key as the S3 client does: each segment with RFC 3986 encoding, `/` kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export interface PlainRequest {
  method: string;
  path: string;
  query?: Record<string, string | null>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

const HOST = '127.0.0.1:9000';

function toRequest(r: PlainRequest) {
  return {
    method: r.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: r.path,
    query: r.query ?? {},
    headers: { host: HOST, ...(r.headers ?? {}) } as Record<string, string>,
    ...(r.body !== undefined ? { body: r.body } : {}),
  };
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The query string as the SDK puts it on the wire. */
function wireQuery(query: Record<string, string | string[] | null | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined) parts.push(rfc3986(k));
    else if (Array.isArray(v)) for (const x of v) parts.push(`${rfc3986(k)}=${rfc3986(x)}`);
    else parts.push(`${rfc3986(k)}=${rfc3986(v)}`);
  }
  return parts.join('&');
}

function received(signed: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> }, now: number): VerifyInput {
  const q = wireQuery((signed.query ?? {}) as Record<string, string | null>);
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: signed.method, rawUrl: q === '' ? signed.path : `${signed.path}?${q}`, headers, now };
}

/** Signs with the Authorization header, as of `date`; returns what the server receives. */
export async function signedInput(r: PlainRequest, date: Date, sig: SignatureV4 = signer()): Promise<VerifyInput> {
  const signed = (await sig.sign(toRequest(r) as never, { signingDate: date })) as unknown as Parameters<typeof received>[0];
  return received(signed, date.getTime());
}

/** Presigns (payload UNSIGNED-PAYLOAD), as of `date`; returns what the server receives when the URL is used at `date`. */
export async function presignedInput(r: PlainRequest, date: Date, expiresIn = 3600, sig: SignatureV4 = signer()): Promise<VerifyInput> {
  // As the SDK's S3 presigner does: a presigned payload is UNSIGNED-PAYLOAD.
  const req = toRequest({ ...r, headers: { ...r.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const signed = (await sig.presign(req as never, { signingDate: date, expiresIn })) as unknown as Parameters<typeof received>[0];
  const input = received(signed, date.getTime());
  delete input.headers['x-amz-content-sha256'];
  return input;
}

/** An aws-chunked body with chunk signatures (and, with `trailers`, a signed trailer section). */
export function signedChunkedBody(
  data: Buffer,
  chunkSize: number,
  s: { signingKey: Buffer; amzDate: string; scope: string; seedSignature: string },
  trailers?: Array<[string, string]>,
): Buffer {
  const parts: Buffer[] = [];
  let prev = s.seedSignature;
  const sign = (hash: string) => hmacHex(s.signingKey, chunkStringToSign(s.amzDate, s.scope, prev, hash));
  for (let off = 0; off < data.length; off += chunkSize) {
    const chunk = data.subarray(off, Math.min(off + chunkSize, data.length));
    prev = sign(sha256Hex(chunk));
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${prev}\r\n`), chunk, Buffer.from('\r\n'));
  }
  prev = sign(EMPTY_SHA256);
  parts.push(Buffer.from(`0;chunk-signature=${prev}\r\n`));
  if (trailers === undefined) {
    parts.push(Buffer.from('\r\n'));
  } else {
    const lines = trailers.map(([n, v]) => `${n}:${v}\n`).join('');
    const trailerSig = hmacHex(s.signingKey, trailerStringToSign(s.amzDate, s.scope, prev, sha256Hex(lines)));
    parts.push(Buffer.from(trailers.map(([n, v]) => `${n}:${v}\r\n`).join('') + `x-amz-trailer-signature:${trailerSig}\r\n\r\n`));
  }
  return Buffer.concat(parts);
}

/** An aws-chunked body without signatures, with trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER), as the SDK writes it. */
export function unsignedChunkedBody(data: Buffer, chunkSize: number, trailers: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunkSize) {
    const chunk = data.subarray(off, Math.min(off + chunkSize, data.length));
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n' + trailers.map(([n, v]) => `${n}:${v}\r\n`).join('') + '\r\n'));
  return Buffer.concat(parts);
}
