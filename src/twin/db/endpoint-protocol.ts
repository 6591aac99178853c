/**
 * The little of the PostgreSQL wire protocol a database endpoint needs: recognising the client's
 * first (untyped) message — a startup message, an SSLRequest, a GSSENCRequest or a CancelRequest —
 * and writing an ErrorResponse. Pure functions over buffers; no sockets here.
 */

/** Protocol 3.0; the server negotiates any 3.x minor version down itself. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** The server's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_FIRST_MESSAGE_LENGTH = 10_000;
export const MIN_FIRST_MESSAGE_LENGTH = 8;
/** Length of a CancelRequest with protocol 3.0's 4-byte key; 3.2 allows keys up to 256 bytes. */
export const CANCEL_REQUEST_LENGTH = 16;
const MAX_CANCEL_REQUEST_LENGTH = 12 + 256;

/** SQLSTATEs the endpoint answers with. */
export const SQLSTATE = {
  protocolViolation: '08P01',
  connectionFailure: '08006',
  tooManyConnections: '53300',
} as const;

export type FirstMessageKind = 'startup' | 'ssl' | 'gssenc' | 'cancel';

export type FirstMessage =
  /** Fewer bytes than the header or the announced length; `need` is the total still awaited. */
  | { readonly kind: 'incomplete'; readonly need: number }
  | { readonly kind: 'malformed'; readonly problem: string }
  | { readonly kind: FirstMessageKind; readonly length: number };

const EXPECTED =
  `a length of ${MIN_FIRST_MESSAGE_LENGTH} to ${MAX_FIRST_MESSAGE_LENGTH} and the code of a protocol 3.0 startup message (${PROTOCOL_3_0}), ` +
  `an SSLRequest (${SSL_REQUEST_CODE}), a GSSENCRequest (${GSSENC_REQUEST_CODE}) or a CancelRequest (${CANCEL_REQUEST_CODE})`;

/**
 * Decides what the bytes received so far are. The header (int32 length, int32 code) is judged as
 * soon as it is in, so garbage is rejected without waiting for the length it claims.
 */
export function inspectFirstMessage(received: Buffer): FirstMessage {
  if (received.length < 8) return { kind: 'incomplete', need: 8 };
  const length = received.readInt32BE(0);
  const code = received.readUInt32BE(4);
  const kind = kindOf(code);
  const saw = `received length ${length} and code ${code} (${describeCode(code)}; first bytes ${hex(received.subarray(0, 8))})`;
  if (kind === undefined || length < MIN_FIRST_MESSAGE_LENGTH || length > MAX_FIRST_MESSAGE_LENGTH) {
    return { kind: 'malformed', problem: `invalid first message: ${saw}; expected ${EXPECTED}` };
  }
  if ((kind === 'ssl' || kind === 'gssenc') && length !== 8) {
    return { kind: 'malformed', problem: `invalid ${describeCode(code)}: received length ${length}; expected length 8` };
  }
  if (kind === 'cancel' && (length < CANCEL_REQUEST_LENGTH || length > MAX_CANCEL_REQUEST_LENGTH)) {
    return { kind: 'malformed', problem: `invalid CancelRequest: received length ${length}; expected length ${CANCEL_REQUEST_LENGTH} (up to ${MAX_CANCEL_REQUEST_LENGTH} with the longer keys of protocol 3.2)` };
  }
  if (received.length < length) return { kind: 'incomplete', need: length };
  return { kind, length };
}

function kindOf(code: number): FirstMessageKind | undefined {
  if (code === SSL_REQUEST_CODE) return 'ssl';
  if (code === GSSENC_REQUEST_CODE) return 'gssenc';
  if (code === CANCEL_REQUEST_CODE) return 'cancel';
  // Any 3.x: the server answers a newer minor version with NegotiateProtocolVersion.
  if (code >>> 16 === 3) return 'startup';
  return undefined;
}

function describeCode(code: number): string {
  const k = kindOf(code);
  if (k === 'ssl') return 'SSLRequest';
  if (k === 'gssenc') return 'GSSENCRequest';
  if (k === 'cancel') return 'CancelRequest';
  return `protocol ${code >>> 16}.${code & 0xffff}`;
}

function hex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/**
 * A backend ErrorResponse ('E'): severity (localised and not), SQLSTATE and message, as a server
 * sends before closing a connection it refuses.
 */
export function errorResponse(sqlstate: string, message: string, severity: 'FATAL' | 'ERROR' = 'FATAL'): Buffer {
  const fields: [string, string][] = [
    ['S', severity],
    ['V', severity],
    ['C', sqlstate],
    ['M', message],
  ];
  const body = Buffer.concat([
    ...fields.map(([t, v]) => Buffer.concat([Buffer.from(t, 'ascii'), Buffer.from(v.replace(/\0/g, ''), 'utf8'), Buffer.from([0])])),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'ascii');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Reads the fields of one ErrorResponse (for tests and diagnostics); undefined when `b` holds none. */
export function parseErrorResponse(b: Buffer): Readonly<Record<string, string>> | undefined {
  if (b.length < 5 || b[0] !== 0x45) return undefined;
  const end = 1 + b.readInt32BE(1);
  if (b.length < end) return undefined;
  const fields: Record<string, string> = {};
  let i = 5;
  while (i < end && b[i] !== 0) {
    const t = String.fromCharCode(b[i]!);
    const z = b.indexOf(0, i + 1);
    if (z < 0 || z >= end) return undefined;
    fields[t] = b.subarray(i + 1, z).toString('utf8');
    i = z + 1;
  }
  return fields;
}
