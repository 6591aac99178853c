import { CONTENT_LENGTH, HEADER_BLOCK, STATUS_LINE, headerValue, nameIs, persistent } from './http-syntax.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, BODY_UNTIL_CLOSE, type BodyKind } from './request-head.ts';

export interface ResponseHead {
  readonly status: number;
  /** Status line (as HTTP/1.1) and the headers to pass on, each line ending in CRLF. */
  readonly kept: string;
  readonly bodyKind: BodyKind;
  readonly contentLength: number;
  /** The target will keep the connection open for another request. */
  readonly reusable: boolean;
  /** The target's Keep-Alive timeout hint in ms, or 0 when it gave none. */
  readonly keepAliveMs: number;
}


/** The `timeout=N` of a Keep-Alive header, in ms (0 when absent). */
function keepAliveTimeoutMs(head: string, colon: number, lineEnd: number): number {
  const i = head.indexOf('timeout=', colon);
  if (i < 0 || i > lineEnd) return 0;
  const n = parseInt(head.slice(i + 8, lineEnd), 10);
  return Number.isFinite(n) && n > 0 ? n * 1000 : 0;
}

/**
 * Parses a target's response head (status line and headers, each line ending in CRLF). Returns
 * undefined when it is malformed: ALB answers the client 502 then. `headRequest` matters because a
 * response to HEAD carries Content-Length but no body.
 */
export function parseResponseHead(head: string, headRequest: boolean): ResponseHead | undefined {
  const lineEnd0 = head.indexOf('\r\n');
  const m = STATUS_LINE.exec(head.slice(0, lineEnd0));
  if (m === null) return undefined;
  const minor = m[1] === '1' ? 1 : 0;
  const status = Number(m[2]);
  if (!HEADER_BLOCK.test(head.slice(lineEnd0 + 2))) return undefined;
  const upgrading = status === 101;

  // The client always talks HTTP/1.1 to the load balancer's side of the exchange.
  let kept = minor === 1 ? '' : 'HTTP/1.1' + head.slice(8, lineEnd0 + 2);
  let runStart = minor === 1 ? 0 : lineEnd0 + 2;
  let contentLength = -1;
  let chunked = false;
  let sawTe = false;
  let connection: string | undefined;
  let keepAliveMs = 0;

  let pos = lineEnd0 + 2;
  const len = head.length;
  while (pos < len) {
    const lineEnd = head.indexOf('\r\n', pos);
    const colon = head.indexOf(':', pos);
    let drop = false;
    switch (colon - pos) {
      case 10:
        if (nameIs(head, pos, 'connection')) {
          const v = headerValue(head, colon, lineEnd);
          connection = connection === undefined ? v : `${connection},${v}`;
          drop = !upgrading;
        } else if (nameIs(head, pos, 'keep-alive')) {
          keepAliveMs = keepAliveTimeoutMs(head, colon, lineEnd);
          drop = true;
        }
        break;
      case 14:
        if (nameIs(head, pos, 'content-length')) {
          const v = headerValue(head, colon, lineEnd);
          if (!CONTENT_LENGTH.test(v)) return undefined;
          const n = Number(v);
          if (contentLength !== -1 && contentLength !== n) return undefined;
          contentLength = n;
        }
        break;
      case 16:
        drop = nameIs(head, pos, 'proxy-connection');
        break;
      case 17:
        if (nameIs(head, pos, 'transfer-encoding')) {
          if (sawTe) return undefined;
          sawTe = true;
          const v = headerValue(head, colon, lineEnd).toLowerCase();
          chunked = v === 'chunked' || v.endsWith(',chunked') || v.endsWith(', chunked');
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
  // Both framings at once would let the client and the target disagree on where the body ends.
  if (sawTe && contentLength !== -1) return undefined;

  let bodyKind: BodyKind;
  if (headRequest || status < 200 || status === 204 || status === 304) bodyKind = BODY_NONE;
  else if (sawTe) bodyKind = chunked ? BODY_CHUNKED : BODY_UNTIL_CLOSE;
  else if (contentLength !== -1) bodyKind = contentLength > 0 ? BODY_LENGTH : BODY_NONE;
  else bodyKind = BODY_UNTIL_CLOSE;

  const reusable = bodyKind !== BODY_UNTIL_CLOSE && !upgrading && persistent(minor, connection);
  return { status, kept, bodyKind, contentLength: contentLength > 0 ? contentLength : 0, reusable, keepAliveMs };
}
