import type net from 'node:net';
import { CHUNKED_ERROR, CHUNKED_MORE, ChunkedScanner } from './chunked-scanner.ts';
import { errorResponse } from './error-pages.ts';
import { MAX_HEAD_BYTES } from './http-syntax.ts';
import type { LbMetrics } from './lb-metrics.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, BODY_UNTIL_CLOSE, parseRequestHead, type RequestHead } from './request-head.ts';
import { parseResponseHead, type ResponseHead } from './response-head.ts';
import type { TargetRecord } from './target-group.ts';
import type { TraceIds } from './trace-id.ts';
import type { UpstreamConnection, UpstreamHandler } from './upstream-pool.ts';

/** What every client connection shares: target choice, accounting, limits. */
export interface ProxyCore {
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly metrics: LbMetrics;
  readonly traceIds: TraceIds;
  /** False once the load balancer stops accepting: connections close after their current response. */
  readonly accepting: boolean;
  choose(exclude?: TargetRecord): TargetRecord | undefined;
  begin(t: TargetRecord): void;
  end(t: TargetRecord): void;
  forget(c: ClientConnection): void;
}

/** One listener's facts, fixed once it is bound. */
export interface ListenerInfo {
  /** `X-Forwarded-Proto: …\r\nX-Forwarded-Port: …\r\n`, built once. */
  readonly forwardedSuffix: string;
  /** Set on the HTTP listener when HTTPS is on: every request is redirected there (ALB's redirect action). */
  readonly redirectToPort: number | undefined;
  readonly defaultHost: string;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

// Where the connection is in its current request.
const HEAD = 0; // reading a request head (or idle between requests)
const BODY = 1; // forwarding a request body; the response may already be flowing back
const AWAIT = 2; // request sent in full; waiting for or forwarding the response
const TUNNEL = 3; // after 101 Switching Protocols: bytes both ways, untouched
const CLOSING = 4; // answered and ending; anything more the client sends is dropped
const CLOSED = 5;

// Why the client socket is paused (bits).
const PAUSE_UPSTREAM = 1; // the target connection's write buffer is full
const PAUSE_CONNECT = 2; // the target connection is still connecting; body bytes wait (a retry may need them)
const PAUSE_STASH = 4; // a pipelining client sent more than we hold while a response is pending

/** Response bodies up to this size are copied to join their head in one write. */
const SMALL_BODY = 16 * 1024;
/** Bytes of pipelined requests held while a response is pending, before reading pauses. */
const STASH_LIMIT = 64 * 1024;
/** After the last answer on a connection, how long the client has to close before it is cut. */
const LINGER_MS = 2_000;
/** ALB refuses a request whose X-Forwarded-For already lists this many addresses (463). */
const MAX_FORWARDED_ADDRESSES = 30;

function clientIp(socket: net.Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function hostName(host: string | undefined, fallback: string): string {
  if (host === undefined || host === '') return fallback;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? fallback : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function addressCount(xff: string): number {
  let n = 1;
  for (let i = xff.indexOf(','); i >= 0; i = xff.indexOf(',', i + 1)) n++;
  return n;
}

/**
 * One client connection: reads requests, forwards each to a target over a kept-alive connection,
 * streams both bodies and answers for the target when it cannot (502/503/504). A connection
 * carries one exchange at a time, so the exchange's state lives here and a request allocates
 * nothing beyond its strings.
 *
 * Retry: a request is sent again, once, to another target only when the first target refused
 * the connection before any byte of it was sent (ALB never retries a request that reached a
 * target).
 */
export class ClientConnection implements UpstreamHandler {
  private phase = HEAD;
  /** Client bytes not yet handled: a partial head, or pipelined requests waiting their turn. */
  private buf: Buffer | undefined;
  private headerTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private pausedBy = 0;
  private readonly remoteIp: string;
  private readonly forwardedForSelf: string;

  private req: RequestHead | undefined;
  private target: TargetRecord | undefined;
  private up: UpstreamConnection | undefined;
  private upPaused = false;
  private reqDone = true;
  private reqRemaining = 0;
  private reqScanner: ChunkedScanner | undefined;
  /** What was written to a target connection that is still connecting, in case it is refused. */
  private replay: (string | Buffer)[] | undefined;
  private retried = false;
  private sentAt = 0;
  private resBuf: Buffer | undefined;
  private res: ResponseHead | undefined;
  private resRemaining = 0;
  private resScanner: ChunkedScanner | undefined;
  private headSent = false;
  private closeAfter = false;

  constructor(
    readonly socket: net.Socket,
    private readonly core: ProxyCore,
    private readonly listener: ListenerInfo,
  ) {
    this.remoteIp = clientIp(socket);
    this.forwardedForSelf = `X-Forwarded-For: ${this.remoteIp}\r\n`;
    socket.setNoDelay(true);
    socket.setTimeout(core.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('timeout', () => this.onClientTimeout());
    socket.on('drain', () => this.onClientDrain());
    socket.on('error', () => {
      // 'close' follows.
    });
    socket.on('close', () => this.onClientClose());
  }

  /** Used when the load balancer stops accepting: an idle connection ends now, a busy one after its response. */
  closeIfIdle(): void {
    if (this.phase === HEAD && this.buf === undefined) this.linger();
  }

  // ---- client side ----

  private onClientData(chunk: Buffer): void {
    switch (this.phase) {
      case HEAD:
        this.buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
        this.readHeads();
        return;
      case BODY:
        this.forwardRequestBody(chunk);
        return;
      case TUNNEL:
        if (!this.up!.socket.write(chunk)) this.pause(PAUSE_UPSTREAM);
        return;
      case AWAIT:
        this.stash(chunk);
        return;
      default:
        return;
    }
  }

  private onClientEnd(): void {
    switch (this.phase) {
      case TUNNEL:
        this.up?.socket.end();
        return;
      case BODY:
        // ALB answers 400 when the client closes before sending the whole body.
        this.failExchange(400);
        return;
      case AWAIT:
        this.closeAfter = true;
        return;
      default:
        this.linger();
    }
  }

  private onClientTimeout(): void {
    if (this.phase === HEAD) {
      if (this.buf !== undefined) this.refuse(408);
      else this.socket.destroy();
    } else if (this.phase === TUNNEL || this.phase === CLOSING) {
      this.socket.destroy();
    }
    // With an exchange in flight the target connection's own idle timer decides (504).
  }

  private onClientDrain(): void {
    if (this.upPaused) {
      this.upPaused = false;
      this.up?.socket.resume();
    }
  }

  private onClientClose(): void {
    this.phase = CLOSED;
    clearTimeout(this.headerTimer);
    clearTimeout(this.lingerTimer);
    this.buf = undefined;
    this.dropTarget();
    this.core.forget(this);
  }

  /** Lets go of the current target: its connection is discarded (never reused mid-exchange), its count ends. */
  private dropTarget(): void {
    const up = this.up;
    const target = this.target;
    this.up = undefined;
    this.target = undefined;
    if (up !== undefined && target !== undefined) target.pool.discard(up);
    if (target !== undefined) this.core.end(target);
  }

  private readHeads(): void {
    while (this.phase === HEAD && this.buf !== undefined) {
      if (!this.readHead()) return;
    }
  }

  /** Handles one request head from `buf` if it is complete; true when one was handled. */
  private readHead(): boolean {
    const buf = this.buf!;
    let start = 0;
    // RFC 9112 §2.2: ignore empty lines before a request line (some clients send CRLF after a body).
    while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
    if (start >= buf.length) {
      this.buf = undefined;
      return false;
    }
    const end = buf.indexOf(CRLFCRLF, start);
    if (end < 0) {
      if (buf.length - start > MAX_HEAD_BYTES || buf.indexOf(LFLF, start) >= 0) {
        this.refuse(400);
        return false;
      }
      if (start > 0) this.buf = buf.subarray(start);
      this.armHeaderTimer();
      return false;
    }
    if (end - start > MAX_HEAD_BYTES) {
      this.refuse(400);
      return false;
    }
    if (this.headerTimer !== undefined) {
      clearTimeout(this.headerTimer);
      this.headerTimer = undefined;
    }
    const req = parseRequestHead(buf.toString('latin1', start, end + 2));
    if (typeof req === 'number') {
      this.refuse(req);
      return false;
    }
    this.buf = undefined;
    this.handle(req, buf, end + 4);
    return true;
  }

  private handle(req: RequestHead, buf: Buffer, off: number): void {
    this.req = req;
    this.closeAfter = !req.keepAlive || !this.core.accepting;
    const l = this.listener;
    if (l.redirectToPort !== undefined) {
      this.answer(301, buf, off, `https://${hostName(req.host, l.defaultHost)}:${l.redirectToPort}${req.target}`);
      return;
    }
    if (req.method === 'TRACE' || req.method === 'CONNECT') {
      this.answer(405, buf, off);
      return;
    }
    if (req.forwardedFor !== undefined && addressCount(req.forwardedFor) >= MAX_FORWARDED_ADDRESSES) {
      this.answer(463, buf, off);
      return;
    }
    const target = this.core.choose();
    if (target === undefined) {
      this.answer(503, buf, off);
      return;
    }
    this.core.metrics.requests++;
    const head =
      req.kept +
      (req.forwardedFor === undefined ? this.forwardedForSelf : `X-Forwarded-For: ${req.forwardedFor}, ${this.remoteIp}\r\n`) +
      l.forwardedSuffix +
      (req.traceId === undefined ? `X-Amzn-Trace-Id: ${this.core.traceIds.next(Date.now())}\r\n` : '') +
      (req.upgrade !== undefined ? `Connection: Upgrade\r\nUpgrade: ${req.upgrade}\r\n\r\n` : req.minor === 0 ? 'Connection: keep-alive\r\n\r\n' : '\r\n');
    this.dispatch(target, head, buf, off);
  }

  /** The load balancer answers the request itself (redirect, 405, 463, 503). */
  private answer(status: number, buf: Buffer, off: number, location?: string): void {
    const req = this.req!;
    this.req = undefined;
    this.core.metrics.elbResponse(status);
    // A body we will not forward is not read either: the connection ends after the answer.
    if (req.bodyKind !== BODY_NONE) this.closeAfter = true;
    this.write(errorResponse(status, { close: this.closeAfter, headRequest: req.method === 'HEAD', ...(location === undefined ? {} : { location }) }));
    if (this.closeAfter) this.linger();
    else this.buf = off < buf.length ? buf.subarray(off) : undefined;
  }

  /** A request the load balancer cannot read: answer, then end the connection. */
  private refuse(status: number): void {
    this.core.metrics.elbResponse(status);
    this.write(errorResponse(status, { close: true }));
    this.linger();
  }

  private linger(): void {
    if (this.phase === CLOSING || this.phase === CLOSED) return;
    this.phase = CLOSING;
    this.buf = undefined;
    clearTimeout(this.headerTimer);
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }

  private armHeaderTimer(): void {
    if (this.headerTimer !== undefined) return;
    // A client that trickles a head (slowloris) is cut after headersTimeoutMs however often it sends.
    this.headerTimer = setTimeout(() => {
      this.headerTimer = undefined;
      if (this.phase === HEAD && this.buf !== undefined) this.refuse(408);
    }, this.core.headersTimeoutMs);
    this.headerTimer.unref();
  }

  private stash(chunk: Buffer): void {
    this.buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > STASH_LIMIT) this.pause(PAUSE_STASH);
  }

  private pause(why: number): void {
    if (this.pausedBy === 0) this.socket.pause();
    this.pausedBy |= why;
  }

  private unpause(why: number): void {
    if ((this.pausedBy & why) === 0) return;
    this.pausedBy &= ~why;
    if (this.pausedBy === 0 && this.phase !== CLOSED) this.socket.resume();
  }

  private write(s: string): void {
    this.socket.write(s, 'latin1');
  }

  // ---- the exchange with a target ----

  private dispatch(target: TargetRecord, head: string, buf: Buffer, off: number): void {
    const req = this.req!;
    this.target = target;
    this.core.begin(target);
    this.retried = false;
    this.headSent = false;
    this.res = undefined;
    this.resBuf = undefined;
    let bodyEnd = off;
    this.reqDone = true;
    if (req.bodyKind === BODY_LENGTH) {
      const take = Math.min(buf.length - off, req.contentLength);
      bodyEnd = off + take;
      this.reqRemaining = req.contentLength - take;
      this.reqDone = this.reqRemaining === 0;
    } else if (req.bodyKind === BODY_CHUNKED) {
      const sc = (this.reqScanner ??= new ChunkedScanner());
      sc.reset();
      const r = sc.scan(buf, off);
      if (r === CHUNKED_ERROR) {
        this.target = undefined;
        this.core.end(target);
        this.refuse(400);
        return;
      }
      if (r === CHUNKED_MORE) {
        bodyEnd = buf.length;
        this.reqDone = false;
      } else {
        bodyEnd = r;
      }
    }
    const body = bodyEnd > off ? buf.subarray(off, bodyEnd) : undefined;
    this.buf = bodyEnd < buf.length ? buf.subarray(bodyEnd) : undefined;
    this.phase = this.reqDone ? AWAIT : BODY;
    this.send(target, body === undefined ? [head] : [head, body]);
  }

  private send(target: TargetRecord, parts: (string | Buffer)[]): void {
    const up = target.pool.acquire(this, Date.now());
    this.up = up;
    if (!up.connected) {
      this.replay = parts;
      if (!this.reqDone) this.pause(PAUSE_CONNECT);
    } else {
      this.replay = undefined;
    }
    this.sentAt = performance.now();
    const s = up.socket;
    let ok: boolean;
    if (parts.length === 1) {
      const p = parts[0]!;
      ok = typeof p === 'string' ? s.write(p, 'latin1') : s.write(p);
    } else {
      s.cork();
      ok = true;
      for (const p of parts) ok = (typeof p === 'string' ? s.write(p, 'latin1') : s.write(p)) && ok;
      s.uncork();
    }
    if (!ok && !this.reqDone) this.pause(PAUSE_UPSTREAM);
  }

  private forwardRequestBody(chunk: Buffer): void {
    const req = this.req!;
    let end: number;
    if (req.bodyKind === BODY_LENGTH) {
      end = Math.min(chunk.length, this.reqRemaining);
      this.reqRemaining -= end;
      if (this.reqRemaining === 0) this.reqDone = true;
    } else {
      const r = this.reqScanner!.scan(chunk, 0);
      if (r === CHUNKED_ERROR) {
        this.failExchange(400);
        return;
      }
      if (r === CHUNKED_MORE) end = chunk.length;
      else {
        end = r;
        this.reqDone = true;
      }
    }
    const part = end === chunk.length ? chunk : chunk.subarray(0, end);
    if (this.replay !== undefined) this.replay.push(part);
    if (part.length > 0 && !this.up!.socket.write(part)) this.pause(PAUSE_UPSTREAM);
    if (this.reqDone) {
      this.phase = AWAIT;
      if (end < chunk.length) this.stash(chunk.subarray(end));
    }
  }

  onUpstreamConnect(): void {
    this.replay = undefined;
    this.unpause(PAUSE_CONNECT);
  }

  onUpstreamDrain(): void {
    this.unpause(PAUSE_UPSTREAM);
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.phase === TUNNEL) {
      if (!this.socket.write(Buffer.from(chunk))) this.pauseUpstream();
      return;
    }
    if (this.res === undefined) this.readResponseHead(chunk);
    else this.forwardResponseBody(chunk, 0);
  }

  onUpstreamEnd(): void {
    if (this.phase === TUNNEL) {
      this.socket.end();
      return;
    }
    if (this.res !== undefined && this.res.bodyKind === BODY_UNTIL_CLOSE) this.finishExchange(true);
    else this.failExchange(502);
  }

  onUpstreamClose(neverConnected: boolean, connectTimedOut: boolean): void {
    if (this.phase === TUNNEL) {
      this.socket.destroy();
      return;
    }
    if (neverConnected) {
      this.core.metrics.targetConnectionErrors++;
      if (connectTimedOut) {
        this.failExchange(504);
        return;
      }
      if (!this.retried && this.replay !== undefined && this.retry()) return;
    }
    this.failExchange(502);
  }

  onUpstreamTimeout(): void {
    if (this.phase === TUNNEL) this.socket.destroy();
    else this.failExchange(504);
  }

  /** Sends the request again to another target; only used when nothing reached the first. */
  private retry(): boolean {
    const failed = this.target!;
    const next = this.core.choose(failed);
    if (next === undefined || next === failed) return false;
    const parts = this.replay!;
    this.retried = true;
    this.core.end(failed);
    this.target = next;
    this.core.begin(next);
    this.send(next, parts);
    return true;
  }

  private pauseUpstream(): void {
    if (!this.upPaused && this.up !== undefined) {
      this.upPaused = true;
      this.up.socket.pause();
    }
  }

  private readResponseHead(chunk: Buffer): void {
    let buf = this.resBuf === undefined ? chunk : Buffer.concat([this.resBuf, chunk]);
    const req = this.req!;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) this.failExchange(502);
        else this.resBuf = Buffer.from(buf);
        return;
      }
      const res = parseResponseHead(buf.toString('latin1', 0, end + 2), req.method === 'HEAD');
      if (res === undefined) {
        this.failExchange(502);
        return;
      }
      const rest = end + 4;
      if (res.status < 200 && res.status !== 101) {
        // Interim responses (100 Continue, 103 Early Hints) go on to HTTP/1.1 clients; the real head follows.
        if (req.minor === 1) this.write(res.kept + '\r\n');
        if (rest >= buf.length) {
          this.resBuf = undefined;
          return;
        }
        buf = buf.subarray(rest);
        continue;
      }
      this.resBuf = undefined;
      this.core.metrics.targetResponse(res.status, (performance.now() - this.sentAt) / 1000);
      if (res.status === 101) {
        this.startTunnel(req, res, buf, rest);
        return;
      }
      this.res = res;
      if (!this.reqDone || res.bodyKind === BODY_UNTIL_CLOSE || !this.core.accepting) this.closeAfter = true;
      const out = this.closeAfter ? `${res.kept}Connection: close\r\n\r\n` : req.minor === 0 ? `${res.kept}Connection: keep-alive\r\n\r\n` : `${res.kept}\r\n`;
      this.headSent = true;
      if (res.bodyKind === BODY_NONE) {
        this.write(out);
        this.finishExchange(rest < buf.length);
        return;
      }
      this.resRemaining = res.contentLength;
      if (res.bodyKind === BODY_CHUNKED) (this.resScanner ??= new ChunkedScanner()).reset();
      if (rest >= buf.length) {
        this.write(out);
        return;
      }
      if (res.bodyKind === BODY_LENGTH && buf.length - rest <= SMALL_BODY && buf.length - rest <= res.contentLength) {
        // The usual small response, whole in one read: head and body leave as one buffer, one
        // write, which costs Node much less than a corked pair of writes.
        const bodyLen = buf.length - rest;
        const one = Buffer.allocUnsafe(out.length + bodyLen);
        one.write(out, 0, 'latin1');
        buf.copy(one, out.length, rest);
        this.resRemaining -= bodyLen;
        if (!this.socket.write(one)) this.pauseUpstream();
        if (this.resRemaining === 0) this.finishExchange(false);
        return;
      }
      this.socket.cork();
      this.write(out);
      this.forwardResponseBody(buf, rest);
      this.socket.uncork();
      return;
    }
  }

  private forwardResponseBody(buf: Buffer, from: number): void {
    const res = this.res!;
    let end: number;
    let done = false;
    if (res.bodyKind === BODY_LENGTH) {
      const take = Math.min(buf.length - from, this.resRemaining);
      this.resRemaining -= take;
      end = from + take;
      done = this.resRemaining === 0;
    } else if (res.bodyKind === BODY_CHUNKED) {
      const r = this.resScanner!.scan(buf, from);
      if (r === CHUNKED_ERROR) {
        this.failExchange(502);
        return;
      }
      if (r === CHUNKED_MORE) end = buf.length;
      else {
        end = r;
        done = true;
      }
    } else {
      end = buf.length;
    }
    // A copy: the target's bytes live in a shared read buffer, and the client may not take them at once.
    if (end > from && !this.socket.write(Buffer.from(buf.subarray(from, end)))) this.pauseUpstream();
    if (done) this.finishExchange(end < buf.length);
  }

  private startTunnel(req: RequestHead, res: ResponseHead, buf: Buffer, rest: number): void {
    if (req.upgrade === undefined) {
      this.failExchange(502);
      return;
    }
    this.phase = TUNNEL;
    this.headSent = true;
    this.write(`${res.kept}\r\n`);
    if (rest < buf.length) this.socket.write(Buffer.from(buf.subarray(rest)));
    const early = this.buf;
    this.buf = undefined;
    if (early !== undefined) this.up!.socket.write(early);
    this.unpause(PAUSE_STASH);
  }

  /** The response is complete: the target connection goes back to the pool if it can be reused. */
  private finishExchange(extraBytes: boolean): void {
    const up = this.up!;
    const target = this.target!;
    const res = this.res;
    this.up = undefined;
    this.target = undefined;
    this.res = undefined;
    this.req = undefined;
    this.replay = undefined;
    if (this.upPaused) {
      this.upPaused = false;
      up.socket.resume();
    }
    if (res !== undefined && res.reusable && this.reqDone && !extraBytes) target.pool.release(up, Date.now(), res.keepAliveMs);
    else target.pool.discard(up);
    this.core.end(target);
    this.afterExchange();
  }

  /**
   * The exchange failed on the target's side (or the client broke its body's framing). Before any
   * response byte went to the client it gets ALB's error page; after, cutting the connection is
   * the only honest signal.
   */
  private failExchange(status: number): void {
    this.dropTarget();
    this.res = undefined;
    this.resBuf = undefined;
    this.replay = undefined;
    this.upPaused = false;
    if (this.headSent) {
      this.socket.destroy();
      return;
    }
    const req = this.req;
    this.req = undefined;
    this.core.metrics.elbResponse(status);
    if (!this.reqDone || status === 400) this.closeAfter = true;
    this.write(errorResponse(status, { close: this.closeAfter, headRequest: req?.method === 'HEAD' }));
    this.afterExchange();
  }

  private afterExchange(): void {
    if (this.phase === CLOSING || this.phase === CLOSED) return;
    if (this.closeAfter) {
      this.linger();
      return;
    }
    this.phase = HEAD;
    this.unpause(PAUSE_STASH | PAUSE_UPSTREAM | PAUSE_CONNECT);
    if (this.buf !== undefined) this.readHeads();
  }
}
