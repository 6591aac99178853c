import { CONTENT_LENGTH, HEADER_BLOCK, MAX_LINE_BYTES, REQUEST_LINE, hasToken, headerValue, nameIs, persistent } from './http-syntax.ts';

export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
/** Response only: the body runs until the target closes the connection. */
export const BODY_UNTIL_CLOSE = 3;
export type BodyKind = typeof BODY_NONE | typeof BODY_LENGTH | typeof BODY_CHUNKED | typeof BODY_UNTIL_CLOSE;

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  /** The request line and every header forwarded unchanged, each line ending in CRLF. */
  readonly kept: string;
  readonly host: string | undefined;
  readonly bodyKind: BodyKind;
  readonly contentLength: number;
  /** The client wants the connection kept open after the response. */
  readonly keepAlive: boolean;
  /** A protocol upgrade (WebSocket) was asked for. */
  readonly upgrade: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly traceId: string | undefined;
}


/**
 * Parses and checks a request head (`head` is the request line and headers, each line ending in
 * CRLF, without the blank line). Returns the status ALB would answer with when the request is
 * refused: 400 malformed, 414 request line too long, 501 unsupported Transfer-Encoding, 505
 * HTTP version other than 1.0/1.1.
 *
 * Hop-by-hop headers (Connection, Keep-Alive, Proxy-Connection, TE, Upgrade) are dropped, as are
 * the client's X-Forwarded-For/-Proto/-Port: the load balancer sets those itself.
 */
export function parseRequestHead(head: string): RequestHead | number {
  const lineEnd0 = head.indexOf('\r\n');
  if (lineEnd0 > MAX_LINE_BYTES) return 414;
  const m = REQUEST_LINE.exec(head.slice(0, lineEnd0));
  if (m === null) return 400;
  if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) return 505;
  const minor = m[4] === '1' ? 1 : 0;
  const block = head.slice(lineEnd0 + 2);
  if (!HEADER_BLOCK.test(block)) return 400;

  let kept = '';
  let runStart = 0;
  let host: string | undefined;
  let contentLength = -1;
  let chunked = false;
  let sawTe = false;
  let connection: string | undefined;
  let upgrade: string | undefined;
  let forwardedFor: string | undefined;
  let traceId: string | undefined;

  let pos = lineEnd0 + 2;
  const len = head.length;
  while (pos < len) {
    const lineEnd = head.indexOf('\r\n', pos);
    if (lineEnd - pos > MAX_LINE_BYTES) return 400;
    const colon = head.indexOf(':', pos);
    let drop = false;
    // Compare names only when the length fits one we act on: most headers cost one switch.
    switch (colon - pos) {
      case 2:
        drop = nameIs(head, pos, 'te');
        break;
      case 4:
        if (nameIs(head, pos, 'host')) {
          if (host !== undefined) return 400;
          host = headerValue(head, colon, lineEnd);
        }
        break;
      case 7:
        if (nameIs(head, pos, 'upgrade')) {
          upgrade = headerValue(head, colon, lineEnd);
          drop = true;
        }
        break;
      case 10:
        if (nameIs(head, pos, 'connection')) {
          const v = headerValue(head, colon, lineEnd);
          connection = connection === undefined ? v : `${connection},${v}`;
          drop = true;
        } else if (nameIs(head, pos, 'keep-alive')) {
          drop = true;
        }
        break;
      case 14:
        if (nameIs(head, pos, 'content-length')) {
          const v = headerValue(head, colon, lineEnd);
          if (contentLength !== -1 || !CONTENT_LENGTH.test(v)) return 400;
          contentLength = Number(v);
        }
        break;
      case 15:
        if (nameIs(head, pos, 'x-forwarded-for')) {
          const v = headerValue(head, colon, lineEnd);
          forwardedFor = forwardedFor === undefined ? v : `${forwardedFor}, ${v}`;
          drop = true;
        } else if (nameIs(head, pos, 'x-amzn-trace-id')) {
          traceId = headerValue(head, colon, lineEnd);
        }
        break;
      case 16:
        drop = nameIs(head, pos, 'x-forwarded-port') || nameIs(head, pos, 'proxy-connection');
        break;
      case 17:
        if (nameIs(head, pos, 'transfer-encoding')) {
          if (sawTe) return 400;
          sawTe = true;
          const v = headerValue(head, colon, lineEnd).toLowerCase();
          if (v === 'chunked') chunked = true;
          else if (v === 'identity') drop = true;
          else return 501;
        } else if (nameIs(head, pos, 'x-forwarded-proto')) {
          drop = true;
        }
        break;
    }
    if (drop) {
      kept += head.slice(runStart, pos);
      runStart = lineEnd + 2;
    }
    pos = lineEnd + 2;
  }
  kept = runStart === 0 ? head : kept + head.slice(runStart);

  // A message with both framings, or chunked on HTTP/1.0, is the classic smuggling setup: refuse.
  if (chunked && (contentLength !== -1 || minor === 0)) return 400;
  if (minor === 1 && host === undefined) return 400;

  const keepAlive = persistent(minor, connection);
  const wantsUpgrade = upgrade !== undefined && minor === 1 && connection !== undefined && hasToken(connection, 'upgrade');
  return {
    method: m[1]!,
    target: m[2]!,
    minor,
    kept,
    host,
    bodyKind: chunked ? BODY_CHUNKED : contentLength > 0 ? BODY_LENGTH : BODY_NONE,
    contentLength: contentLength > 0 ? contentLength : 0,
    keepAlive,
    upgrade: wantsUpgrade ? upgrade : undefined,
    forwardedFor,
    traceId,
  };
}
