/**
 * The S3 endpoint: an HTTP server on loopback that routes each request (path style, or virtual-host
 * style under the configured suffixes), refuses anything not signed with the twin's credentials,
 * runs the operation against the replicated store, and answers S3's way — request ids, error XML,
 * a closed connection when a body was left unread. One bad request never affects another.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EmitEvent } from '../../events.ts';
import { verifyRequest } from '../auth/verify.ts';
import { routeRequest, type Route } from '../route.ts';
import { isS3Error, S3Error } from '../s3-error.ts';
import { errorXml } from '../xml.ts';
import type { GatewayParts, RequestContext } from './context.ts';
import { handlerFor } from './dispatch.ts';
import { sendError } from './respond.ts';
import { closeServer, listenOnLoopback } from '../../../util/loopback-server.ts';

export interface GatewayOptions {
  readonly parts: GatewayParts;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default 0 */
  readonly port?: number;
  /** @default ['localhost'] */
  readonly virtualHostSuffixes?: readonly string[];
  readonly onEvent?: EmitEvent;
  /** Told of every answered request, for S3 request metrics. */
  readonly onRequest?: (r: { operation: string; status: number; ms: number; bytesIn: number; bytesOut: number }) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Request header section limit; S3 answers a larger one with 400 RequestHeaderSectionTooLarge. */
const MAX_HEADER_BYTES = 16 * 1024;

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

export class S3Gateway {
  private readonly hostId = randomBytes(24).toString('base64');
  /** The port listened on (set once, when it starts). */
  port = 0;

  private constructor(
    private readonly server: Server,
    private readonly opts: GatewayOptions,
  ) {}

  static async start(opts: GatewayOptions): Promise<S3Gateway> {
    const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 20_000 });
    const gateway = new S3Gateway(server, opts);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void gateway.handle(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => gateway.clientError(err, socket));
    gateway.port = await listenOnLoopback(server, opts.port ?? 0);
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A request the HTTP parser refused (oversize headers, bad syntax): S3-style 400, then close. */
  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const error = tooLarge
      ? new S3Error('RequestHeaderSectionTooLarge', `Your request header section exceeds the maximum allowed size (${MAX_HEADER_BYTES} bytes).`, { MaxSizeAllowed: MAX_HEADER_BYTES })
      : new S3Error('InvalidRequest', `The request could not be parsed as HTTP/1.1 (${err.code ?? err.message}).`);
    const body = errorXml(error, { requestId: requestId(), hostId: this.hostId });
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const id = requestId();
    res.setHeader('x-amz-request-id', id);
    res.setHeader('x-amz-id-2', this.hostId);
    res.setHeader('server', 'hastack');
    let route: Route | undefined;
    // Never listen to 'data' here: that would start the body flowing before the handler reads it.
    const bytesIn = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0) || 0;
    try {
      route = routeRequest({
        method: req.method ?? 'GET',
        rawUrl: req.url ?? '/',
        host: req.headers.host,
        virtualHostSuffixes: this.opts.virtualHostSuffixes ?? ['localhost'],
        headers: req.headers,
      });
      const { accessKeyId, secretAccessKey } = this.opts.credentials;
      const auth = verifyRequest(
        { method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders, now: (this.opts.now ?? Date.now)() },
        (key) => (key === accessKeyId ? secretAccessKey : undefined),
        { region: this.opts.parts.region },
      );
      const ctx: RequestContext = { req, res, route, auth, requestId: id, parts: this.opts.parts };
      await handlerFor(route.operation)(ctx);
    } catch (e) {
      let error = isS3Error(e) ? e : new S3Error('InternalError', 'We encountered an internal error. Please try again.', {}, { cause: e });
      // Signed for another region: like S3, name the right one in a header too, as a HEAD's client sees no body.
      if (typeof error.fields.Region === 'string' && error.headers['x-amz-bucket-region'] === undefined) {
        error = new S3Error(error.code, error.message, error.fields, { cause: error.cause, headers: { ...error.headers, 'x-amz-bucket-region': error.fields.Region } });
      }
      if (!isS3Error(e)) {
        this.opts.onEvent?.({ source: 'storage', type: 's3-internal-error', message: `S3 ${route?.operation ?? req.method} ${req.url} failed: ${(e as Error).message}`, data: { requestId: id } });
      }
      const resource = (req.url ?? '/').split('?')[0]!;
      sendError(req, res, error, { requestId: id, hostId: this.hostId, resource });
    } finally {
      const done = (): void =>
        this.opts.onRequest?.({ operation: route?.operation ?? 'Unknown', status: res.statusCode, ms: Date.now() - started, bytesIn, bytesOut: res.getHeader('content-length') === undefined ? 0 : Number(res.getHeader('content-length')) });
      if (res.writableFinished) done();
      else res.once('finish', done);
    }
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
