/**
 * Responses the load balancer writes itself, shaped as ALB's (Server: awselb/2.0, the same small
 * HTML page), so a client or a test that recognises ALB's errors recognises these.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html
 */

const REASONS: Readonly<Record<number, string>> = {
  301: 'Moved Permanently',
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  414: 'Request-URI Too Large',
  463: '',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
  505: 'HTTP Version Not Supported',
};

let dateSecond = -1;
let dateValue = '';

/** The Date header value, formatted once per second. */
export function httpDate(nowMs: number): string {
  const s = Math.floor(nowMs / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(s * 1000).toUTCString();
  }
  return dateValue;
}

export function statusText(status: number): string {
  return REASONS[status] ?? '';
}

function page(status: number): string {
  const title = `${status} ${statusText(status)}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/**
 * A complete response for `status`. `close` adds Connection: close (the connection ends after it);
 * `headRequest` leaves the body out, as HTTP requires for HEAD.
 */
export function errorResponse(status: number, opts: { readonly close: boolean; readonly headRequest?: boolean; readonly location?: string; readonly nowMs?: number }): string {
  const body = page(status);
  let head =
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    'Server: awselb/2.0\r\n' +
    `Date: ${httpDate(opts.nowMs ?? Date.now())}\r\n` +
    'Content-Type: text/html\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  if (opts.location !== undefined) head += `Location: ${opts.location}\r\n`;
  head += opts.close ? 'Connection: close\r\n\r\n' : 'Connection: keep-alive\r\n\r\n';
  return opts.headRequest === true ? head : head + body;
}
