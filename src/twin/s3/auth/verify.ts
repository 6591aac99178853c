/**
 * Authenticates one S3 request signed with AWS Signature Version 4, either in the `Authorization`
 * header or presigned in the query string, and answers the way S3 does when it is not: the same
 * error codes, messages and fields (Region, StringToSign, CanonicalRequest, …), so that the AWS SDKs,
 * awscli, s3cmd and rclone react as they would against S3. Anonymous requests and Signature
 * Version 2 are refused. Pure: the caller passes the clock and the secret lookup.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../s3-error.ts';
import {
  canonicalRequest,
  credentialScope,
  formatAmzDate,
  formatIsoSeconds,
  hmacHex,
  parseAmzDate,
  queryParams,
  SIGV4_ALGORITHM,
  signaturesEqual,
  signingKey,
  splitUrl,
  stringToSign,
} from './canonical.ts';

/** How the request body is protected, from `x-amz-content-sha256` (or presigned: unsigned). */
export type PayloadMode =
  | { type: 'unsigned' }
  | { type: 'sha256'; hex: string }
  | { type: 'streaming'; signed: boolean; trailer: boolean };

/** Who signed the request, and what the payload decoders need to go on verifying its body. */
export interface AuthResult {
  accessKeyId: string;
  via: 'header' | 'presigned';
  payload: PayloadMode;
  /** The day's signing key, for chunk and trailer signatures. */
  signingKey: Buffer;
  /** The request's own signature: the first link of a signed chunk chain. */
  seedSignature: string;
  /** `yyyymmdd/region/s3/aws4_request` */
  scope: string;
  /** The request time as signed, `yyyymmddThhmmssZ`. */
  amzDate: string;
}

export interface VerifyInput {
  method: string;
  /** Path and query exactly as received (`req.url`). */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  /** `req.rawHeaders`, so that repeated headers are canonicalised exactly; optional. */
  rawHeaders?: readonly string[];
  /** The server's clock, epoch ms. */
  now: number;
}

export interface VerifyOptions {
  /** The store's region; a signature scoped to another one is refused with that region named. */
  region: string;
  /** Largest accepted difference between the request time and `now`; S3's 15 minutes by default. */
  maxSkewMs?: number;
}

/** The secret of an access key id, or undefined when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

const SERVICE = 's3';
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_EXPIRES_S = 604800;
const STREAMING_MODES: Record<string, PayloadMode> = {
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { type: 'streaming', signed: true, trailer: false },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { type: 'streaming', signed: true, trailer: true },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { type: 'streaming', signed: false, trailer: true },
};

/** Reads an `x-amz-content-sha256` value; undefined when it is none of the forms S3 accepts. */
export function parsePayloadMode(value: string): PayloadMode | undefined {
  if (value === 'UNSIGNED-PAYLOAD') return { type: 'unsigned' };
  const streaming = STREAMING_MODES[value];
  if (streaming !== undefined) return { ...streaming };
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { type: 'sha256', hex: value.toLowerCase() };
  return undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const unsupportedMechanism = (): S3Error =>
  new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');

/**
 * Authenticates a request. Throws an S3Error for anything S3 would refuse: AccessDenied (no
 * signature, expired or not yet valid presigned URL), InvalidRequest (Signature Version 2, missing
 * `x-amz-content-sha256`), InvalidArgument, AuthorizationHeaderMalformed,
 * AuthorizationQueryParametersError, InvalidAccessKeyId, RequestTimeTooSkewed, SignatureDoesNotMatch.
 */
export function verifyRequest(input: VerifyInput, lookupSecret: SecretLookup, opts: VerifyOptions): AuthResult {
  const { path, query } = splitUrl(input.rawUrl);
  const params = queryParams(query);
  const authorization = header(input.headers, 'authorization');
  const v4Query = params.has('X-Amz-Algorithm') || params.has('X-Amz-Credential') || params.has('X-Amz-Signature');
  const v2Query = params.has('AWSAccessKeyId') || (params.has('Signature') && params.has('Expires'));
  if (authorization !== undefined && (v4Query || v2Query)) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: authorization },
    );
  }
  const ctx = { input, path, query, lookupSecret, region: opts.region, maxSkewMs: opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS };
  if (authorization !== undefined) return verifyHeaderAuth(ctx, authorization);
  if (v4Query) return verifyPresigned(ctx, params);
  if (v2Query) throw unsupportedMechanism();
  throw new S3Error('AccessDenied', 'Access Denied: anonymous requests are refused; sign requests with AWS Signature Version 4.');
}

interface Ctx {
  input: VerifyInput;
  path: string;
  query: string;
  lookupSecret: SecretLookup;
  region: string;
  maxSkewMs: number;
}

interface Credential {
  accessKeyId: string;
  dateStamp: string;
  region: string;
  service: string;
  terminal: string;
}

function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length < 5) return undefined;
  const [dateStamp, region, service, terminal] = parts.slice(-4) as [string, string, string, string];
  const accessKeyId = parts.slice(0, -4).join('/');
  if (accessKeyId === '') return undefined;
  return { accessKeyId, dateStamp, region, service, terminal };
}

/** Checks the scope's region, service and terminal; `fail(detail, fields)` builds the right error kind. */
function checkScope(cred: Credential, region: string, fail: (detail: string, fields?: Record<string, string>) => S3Error): void {
  if (!/^\d{8}$/.test(cred.dateStamp)) throw fail(`incorrect date format "${cred.dateStamp}". This date in the credential must be in the format "yyyyMMdd".`);
  if (cred.region !== region) throw fail(`the region '${cred.region}' is wrong; expecting '${region}'`, { Region: region });
  if (cred.service !== SERVICE) throw fail(`incorrect service "${cred.service}". This endpoint belongs to "${SERVICE}".`);
  if (cred.terminal !== 'aws4_request') throw fail(`incorrect terminal "${cred.terminal}". This endpoint uses "aws4_request".`);
}

interface SignedParts {
  credential: Credential;
  amzDate: string;
  signedHeaders: string;
  signature: string;
  payloadHash: string;
  excludeQuery?: string;
}

/** Looks the key up and checks the signature; returns the signing key. */
function checkSignature(ctx: Ctx, p: SignedParts, secret: string): Buffer {
  const scope = credentialScope(p.credential.dateStamp, p.credential.region, SERVICE);
  const canonical = canonicalRequest({
    method: ctx.input.method,
    path: ctx.path,
    query: ctx.query,
    ...(p.excludeQuery !== undefined ? { excludeQuery: p.excludeQuery } : {}),
    headers: ctx.input.headers,
    ...(ctx.input.rawHeaders !== undefined ? { rawHeaders: ctx.input.rawHeaders } : {}),
    signedHeaders: p.signedHeaders,
    payloadHash: p.payloadHash,
  });
  const toSign = stringToSign(p.amzDate, scope, canonical);
  const key = signingKey(secret, p.credential.dateStamp, p.credential.region, SERVICE);
  if (!signaturesEqual(hmacHex(key, toSign), p.signature)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: p.credential.accessKeyId,
        StringToSign: toSign,
        SignatureProvided: p.signature,
        StringToSignBytes: spacedHex(toSign),
        CanonicalRequest: canonical,
        CanonicalRequestBytes: spacedHex(canonical),
      },
    );
  }
  return key;
}

function spacedHex(text: string): string {
  return (Buffer.from(text, 'utf8').toString('hex').match(/../g) ?? []).join(' ');
}

function secretOf(ctx: Ctx, accessKeyId: string): string {
  const secret = ctx.lookupSecret(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  return secret;
}

function parseAuthorizationHeader(value: string): { credential: string; signedHeaders: string; signature: string } {
  const malformed = (detail: string) => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
  const rest = value.slice(SIGV4_ALGORITHM.length);
  if (!/^\s/.test(rest)) throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw malformed(`the authorization component "${item}" is malformed.`);
    fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined || signedHeaders === '' || signature === '') {
    throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  return { credential, signedHeaders, signature };
}

/** The request time from `x-amz-date`, else `Date`; both as ms and as signed (`yyyymmddThhmmssZ`). */
function requestTime(headers: IncomingHttpHeaders): { ms: number; amzDate: string; raw: string } {
  const amz = header(headers, 'x-amz-date');
  if (amz !== undefined) {
    const ms = parseAmzDate(amz.trim());
    if (ms !== undefined) return { ms, amzDate: amz.trim(), raw: amz };
  } else {
    const date = header(headers, 'date');
    const ms = date === undefined ? NaN : Date.parse(date);
    if (date !== undefined && Number.isFinite(ms)) return { ms, amzDate: formatAmzDate(ms), raw: date };
  }
  throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
}

function verifyHeaderAuth(ctx: Ctx, authorization: string): AuthResult {
  const headers = ctx.input.headers;
  const algorithm = authorization.trim().split(/\s/, 1)[0] ?? '';
  if (algorithm === 'AWS' || algorithm.startsWith('AWS4-')) {
    if (algorithm !== SIGV4_ALGORITHM) throw unsupportedMechanism();
  } else {
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  const parsed = parseAuthorizationHeader(authorization.trim());
  const credential = parseCredential(parsed.credential);
  const malformed = (detail: string, fields: Record<string, string> = {}) =>
    new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`, fields);
  if (credential === undefined) throw malformed('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  checkScope(credential, ctx.region, malformed);

  const contentSha = header(headers, 'x-amz-content-sha256');
  if (contentSha === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const payload = parsePayloadMode(contentSha.trim());
  if (payload === undefined) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: contentSha },
    );
  }
  const time = requestTime(headers);
  if (time.amzDate.slice(0, 8) !== credential.dateStamp) throw malformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  const signedList = parsed.signedHeaders.split(';').map((h) => h.toLowerCase());
  if (!signedList.includes('host')) throw malformed('the SignedHeaders must include host.');

  const secret = secretOf(ctx, credential.accessKeyId);
  if (Math.abs(ctx.input.now - time.ms) > ctx.maxSkewMs) {
    throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: time.raw,
      ServerTime: formatIsoSeconds(ctx.input.now),
      MaxAllowedSkewMilliseconds: ctx.maxSkewMs,
    });
  }
  const key = checkSignature(
    ctx,
    { credential, amzDate: time.amzDate, signedHeaders: parsed.signedHeaders, signature: parsed.signature, payloadHash: contentSha.trim() },
    secret,
  );
  return {
    accessKeyId: credential.accessKeyId,
    via: 'header',
    payload,
    signingKey: key,
    seedSignature: parsed.signature.toLowerCase(),
    scope: credentialScope(credential.dateStamp, credential.region, SERVICE),
    amzDate: time.amzDate,
  };
}

function verifyPresigned(ctx: Ctx, params: Map<string, string>): AuthResult {
  const queryError = (message: string, fields: Record<string, string> = {}) => new S3Error('AuthorizationQueryParametersError', message, fields);
  const algorithm = params.get('X-Amz-Algorithm');
  const credentialText = params.get('X-Amz-Credential');
  const amzDate = params.get('X-Amz-Date');
  const expiresText = params.get('X-Amz-Expires');
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const signature = params.get('X-Amz-Signature');
  if (algorithm === undefined || credentialText === undefined || amzDate === undefined || expiresText === undefined || signedHeaders === undefined || signature === undefined) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== SIGV4_ALGORITHM) throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = parseCredential(credentialText);
  if (credential === undefined) {
    throw queryError('Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  checkScope(credential, ctx.region, (detail, fields) => queryError(`Error parsing the X-Amz-Credential parameter; ${detail}`, fields));
  const dateMs = parseAmzDate(amzDate);
  if (dateMs === undefined) throw queryError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (amzDate.slice(0, 8) !== credential.dateStamp) {
    throw queryError('Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  if (!/^-?\d+$/.test(expiresText)) throw queryError('X-Amz-Expires should be a number');
  const expires = Number(expiresText);
  if (expires < 1) throw queryError(`X-Amz-Expires must be at least 1 second; received ${expiresText}`);
  if (expires > MAX_PRESIGNED_EXPIRES_S) throw queryError('X-Amz-Expires must be less than a week (in seconds) that is; 604800');
  if (!signedHeaders.split(';').map((h) => h.toLowerCase()).includes('host')) throw queryError('X-Amz-SignedHeaders must include host');
  // Signers that hoist the header keep its lower-case name.
  const contentSha = params.get('X-Amz-Content-Sha256') ?? params.get('x-amz-content-sha256');
  const payload = contentSha === undefined ? { type: 'unsigned' as const } : parsePayloadMode(contentSha);
  if (payload === undefined || payload.type === 'streaming') {
    throw new S3Error('InvalidArgument', 'X-Amz-Content-Sha256 of a presigned request must be UNSIGNED-PAYLOAD or a valid sha256 value.', {
      ArgumentName: 'X-Amz-Content-Sha256',
      ArgumentValue: contentSha ?? '',
    });
  }

  const secret = secretOf(ctx, credential.accessKeyId);
  const now = ctx.input.now;
  if (dateMs - now > ctx.maxSkewMs) throw new S3Error('AccessDenied', 'Request is not valid yet', { 'X-Amz-Date': amzDate, ServerTime: formatIsoSeconds(now) });
  if (now > dateMs + expires * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expiresText,
      Expires: formatIsoSeconds(dateMs + expires * 1000),
      ServerTime: formatIsoSeconds(now),
    });
  }
  const key = checkSignature(
    ctx,
    { credential, amzDate, signedHeaders, signature, payloadHash: contentSha ?? 'UNSIGNED-PAYLOAD', excludeQuery: 'X-Amz-Signature' },
    secret,
  );
  return {
    accessKeyId: credential.accessKeyId,
    via: 'presigned',
    payload,
    signingKey: key,
    seedSignature: signature.toLowerCase(),
    scope: credentialScope(credential.dateStamp, credential.region, SERVICE),
    amzDate,
  };
}
