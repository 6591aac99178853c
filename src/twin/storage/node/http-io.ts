/**
 * The small pieces of HTTP a storage node needs: JSON answers, coded error answers (with the
 * status each code maps to), bounded JSON bodies and query parameters.
 */
import type http from 'node:http';
import { isHastackError, type HastackError } from '../../../errors.ts';
import { storageError, type StorageErrorCode } from '../errors.ts';
import { invalid } from './record-check.ts';

/** JSON request bodies larger than this are refused. */
export const MAX_JSON_BYTES = 1024 * 1024;

export const STATUS_BY_CODE: Partial<Record<StorageErrorCode, number>> = {
  HASTACK_STORAGE_UNAUTHORIZED: 401,
  HASTACK_STORAGE_UNKNOWN_ROUTE: 404,
  HASTACK_STORAGE_NOT_FOUND: 404,
  HASTACK_STORAGE_INVALID_JSON: 400,
  HASTACK_STORAGE_INVALID_REQUEST: 400,
  HASTACK_STORAGE_STAGE_INCOMPLETE: 400,
  HASTACK_STORAGE_SIZE_MISMATCH: 400,
  HASTACK_STORAGE_CHECKSUM_MISMATCH: 400,
  HASTACK_STORAGE_STAGE_NOT_FOUND: 409,
  HASTACK_STORAGE_BODY_TOO_LARGE: 413,
  HASTACK_STORAGE_RANGE_INVALID: 416,
  HASTACK_STORAGE_SHUTTING_DOWN: 503,
  HASTACK_STORAGE_IO_FAILED: 500,
};

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A record and, when the node could read them at once, its bytes, in one body: a u32 (big-endian)
 * length of the record's JSON, the JSON, then the bytes (none when they did not come along).
 */
export function sendRecordWithBytes(res: http.ServerResponse, record: unknown, bytes: Buffer | undefined): void {
  const json = Buffer.from(JSON.stringify(record));
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(json.length, 0);
  res.writeHead(200, { 'content-type': 'application/x-hastack-record', 'content-length': 4 + json.length + (bytes?.length ?? 0) });
  res.end(bytes === undefined || bytes.length === 0 ? Buffer.concat([head, json]) : Buffer.concat([head, json, bytes]));
}

/** NDJSON: one JSON value per line. */
export function sendLines(res: http.ServerResponse, lines: readonly unknown[]): void {
  let text = '';
  for (const l of lines) text += JSON.stringify(l) + '\n';
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers `{ code, message }`; closes the connection when the request body was not read to its end. */
export function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: HastackError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = STATUS_BY_CODE[err.code as StorageErrorCode] ?? 500;
  const text = JSON.stringify({ code: err.code, message: err.message });
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (!req.complete) headers['connection'] = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** Any thrown value as a coded error (unknown failures become HASTACK_STORAGE_IO_FAILED). */
export function asCoded(err: unknown): HastackError {
  if (isHastackError(err)) return err;
  return storageError('HASTACK_STORAGE_IO_FAILED', `the node failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Reads a JSON body of at most MAX_JSON_BYTES. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_JSON_BYTES) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_JSON_BYTES) throw tooLarge(total);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw storageError('HASTACK_STORAGE_INVALID_JSON', `the request body is not valid JSON (${(err as Error).message}); expected a JSON object`);
  }
}

function tooLarge(bytes: number): HastackError {
  return storageError('HASTACK_STORAGE_BODY_TOO_LARGE', `the request body is ${bytes} bytes or more; expected at most ${MAX_JSON_BYTES} bytes of JSON`);
}

/** A required, non-empty query parameter. */
export function requiredParam(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null || v === '') throw invalid(`query parameter ${name}`, v ?? undefined, 'a non-empty value');
  return v;
}

/** An optional whole-number query parameter within bounds. */
export function countParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw invalid(`query parameter ${name}`, v, `a whole number from ${min} to ${max}`);
  return Number(v);
}
