/**
 * Writing S3 answers: XML bodies, empty answers, and errors as S3's error XML with the request id.
 * An answer sent before the request body was read closes the connection, so no unread bytes are
 * taken for the next request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../s3-error.ts';
import { errorXml } from '../xml.ts';

function closeIfUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete) res.setHeader('connection', 'close');
}

export function sendXml(req: IncomingMessage, res: ServerResponse, body: string, status = 200, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(body);
  closeIfUnread(req, res);
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function sendEmpty(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  closeIfUnread(req, res);
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

/** The error answer; when headers already went out, the only honest thing left is to cut the connection. */
export function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error, context: { requestId: string; hostId: string; resource: string }): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  closeIfUnread(req, res);
  for (const name of res.getHeaderNames()) if (!name.startsWith('x-amz-request-id') && !name.startsWith('x-amz-id-2') && name !== 'server') res.removeHeader(name);
  if (error.code === 'NotModified' || req.method === 'HEAD') {
    res.writeHead(error.status, { ...error.headers, 'content-length': 0 });
    res.end();
    return;
  }
  const body = Buffer.from(errorXml(error, context));
  res.writeHead(error.status, { ...error.headers, 'content-type': 'application/xml', 'content-length': body.length });
  res.end(body);
}
