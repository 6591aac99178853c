/**
 * Writing S3 answers: XML bodies, empty answers, and errors as S3's error XML with the request id.
 *
 * An answer sent before the request body was read (a refusal decided by the headers): many clients
 * (awscli, for one) send the whole body before they read any answer, so a server that stops reading
 * and closes leaves them stalled and then reset, never seeing the error. So a body of up to
 * DRAIN_MAX_BYTES is read and dropped after the answer, and the connection stays open for the next
 * request; a larger one, or one that does not arrive within DRAIN_TIMEOUT_MS, has the connection
 * closed instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../s3-error.ts';
import { errorXml } from '../xml.ts';

/** The most of an unread body read and dropped after an early answer (covers every usual part size). */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
/** How long the rest of an unread body may take to arrive before the connection is cut. */
export const DRAIN_TIMEOUT_MS = 10_000;

function settleUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  const length = Number(req.headers['content-length']);
  if (req.destroyed || !Number.isSafeInteger(length) || length > DRAIN_MAX_BYTES) {
    res.setHeader('connection', 'close');
    return;
  }
  // Whatever was reading it (a payload check that refused it) lets go; the rest is dropped.
  req.unpipe();
  const cut = setTimeout(() => req.socket.destroy(), DRAIN_TIMEOUT_MS);
  cut.unref();
  const done = (): void => clearTimeout(cut);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

export function sendXml(req: IncomingMessage, res: ServerResponse, body: string, status = 200, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(body);
  settleUnreadBody(req, res);
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function sendEmpty(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  settleUnreadBody(req, res);
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

/** The error answer; when headers already went out, the only honest thing left is to cut the connection. */
export function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error, context: { requestId: string; hostId: string; resource: string }): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  for (const name of res.getHeaderNames()) if (!name.startsWith('x-amz-request-id') && !name.startsWith('x-amz-id-2') && name !== 'server') res.removeHeader(name);
  // After the clearing above, which would otherwise take its `connection: close` away.
  settleUnreadBody(req, res);
  if (error.code === 'NotModified' || req.method === 'HEAD') {
    res.writeHead(error.status, { ...error.headers, 'content-length': 0 });
    res.end();
    return;
  }
  const body = Buffer.from(errorXml(error, context));
  res.writeHead(error.status, { ...error.headers, 'content-type': 'application/xml', 'content-length': body.length });
  res.end(body);
}
