/**
 * Turns an authenticated request's body into verified object bytes. `planPayload` (pure) reads the
 * headers and decides what to check: the framing (plain with Content-Length, or aws-chunked with
 * `x-amz-decoded-content-length`), the signed SHA-256, Content-MD5, and one flexible checksum (from
 * an `x-amz-checksum-*` header or an `x-amz-trailer`). `openPayload` runs that plan as a stream.
 *
 * Every failure is an S3Error that both rejects `result` and destroys `body`, so a consumer piping
 * `body` into storage stops and discards. `body` ends only after every check passed. On failure the
 * request is unpiped and left to the caller, which answers and then drains or closes it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  BASE64_PATTERN,
  createChecksummer,
  isChecksumValue,
  isChecksumValueHeader,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type Checksummer,
} from '../checksums.ts';
import { S3Error } from '../s3-error.ts';
import { AwsChunkedDecoder } from './chunked.ts';
import type { AuthResult } from './verify.ts';

/** What a verified body amounted to. */
export interface PayloadResult {
  /** Object bytes (decoded, for aws-chunked). */
  size: number;
  /** MD5 of the object bytes, base64: the ETag's source. */
  md5Base64: string;
  /** The flexible checksum the client sent (verified), or the one asked for with `computeChecksum`. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface PayloadOptions {
  /** Largest object accepted; larger ones fail with EntityTooLarge before any byte is read. */
  maxBytes: number;
  /** Checksum to compute when the client names none (S3 stores CRC64NVME by default). */
  computeChecksum?: ChecksumAlgorithm;
  /**
   * Leave `x-amz-checksum-*` headers alone: on CompleteMultipartUpload they describe the whole
   * object, not the request body.
   */
  ignoreChecksumHeaders?: boolean;
}

/** Where the expected flexible checksum comes from. */
export type ChecksumExpectation =
  | { algorithm: ChecksumAlgorithm; source: 'header'; value: string }
  | { algorithm: ChecksumAlgorithm; source: 'trailer'; name: string };

/** Everything `openPayload` checks, decided from the headers alone. */
export interface PayloadPlan {
  framing:
    | { type: 'plain'; length: number | undefined }
    | { type: 'aws-chunked'; decodedLength: number; signed: boolean; trailer: boolean; declaredTrailers: string[] };
  sha256Hex?: string;
  contentMd5?: string;
  checksum?: ChecksumExpectation;
  computeChecksum?: ChecksumAlgorithm;
  maxBytes: number;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const invalidValue = (name: string, where = 'header') => new S3Error('InvalidRequest', `Value for ${name} ${where} is invalid.`);
const multiple = () => new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');

function algorithmOf(name: string, where: string): ChecksumAlgorithm {
  const algorithm = parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length));
  if (algorithm === undefined || name !== name.toLowerCase()) throw invalidValue(name, where);
  return algorithm;
}

/**
 * The flexible checksum a request promises: an `x-amz-checksum-<alg>` header with its value, or
 * a checksum trailer named by `x-amz-trailer`, agreeing with `x-amz-sdk-checksum-algorithm` if set.
 * Throws InvalidRequest for several, unknown or malformed ones.
 */
export function headerChecksum(headers: IncomingHttpHeaders): ChecksumExpectation | undefined {
  const found: ChecksumExpectation[] = [];
  for (const name of Object.keys(headers)) {
    if (!isChecksumValueHeader(name)) continue;
    const algorithm = algorithmOf(name, 'header');
    const value = (header(headers, name) ?? '').trim();
    if (!isChecksumValue(algorithm, value)) throw invalidValue(name);
    found.push({ algorithm, source: 'header', value });
  }
  for (const name of trailerNames(headers)) {
    if (!name.startsWith('x-amz-checksum-')) throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported');
    found.push({ algorithm: algorithmOf(name, 'trailing header'), source: 'trailer', name });
  }
  if (found.length > 1) throw multiple();
  const sdk = header(headers, 'x-amz-sdk-checksum-algorithm');
  if (sdk !== undefined) {
    const algorithm = parseChecksumAlgorithm(sdk);
    if (algorithm === undefined) throw invalidValue('x-amz-sdk-checksum-algorithm');
    if (found.length === 0) {
      throw new S3Error(
        'InvalidRequest',
        'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.',
      );
    }
    if (found[0]!.algorithm !== algorithm) throw invalidValue('x-amz-sdk-checksum-algorithm');
  }
  return found[0];
}

/** Lower-case names listed in `x-amz-trailer`. */
function trailerNames(headers: IncomingHttpHeaders): string[] {
  const raw = header(headers, 'x-amz-trailer');
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
}

function parseLength(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) {
    throw new S3Error('InvalidArgument', `${name} must be a non-negative whole number; received "${value}".`, { ArgumentName: name, ArgumentValue: value });
  }
  return Number(v);
}

const tooLarge = (size: number, max: number) =>
  new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: size, MaxSizeAllowed: max });

/**
 * Decides how to read and check a body. Throws the S3Error that S3 answers before reading:
 * MissingContentLength, EntityTooLarge, InvalidDigest, InvalidRequest, InvalidArgument.
 */
export function planPayload(headers: IncomingHttpHeaders, method: string, auth: AuthResult, opts: PayloadOptions): PayloadPlan {
  let framing: PayloadPlan['framing'];
  if (auth.payload.type === 'streaming') {
    const decodedLength = parseLength(header(headers, 'x-amz-decoded-content-length'), 'x-amz-decoded-content-length');
    if (decodedLength === undefined) {
      throw new S3Error('MissingContentLength', 'You must provide the x-amz-decoded-content-length HTTP header with an aws-chunked body.');
    }
    if (decodedLength > opts.maxBytes) throw tooLarge(decodedLength, opts.maxBytes);
    const { signed, trailer } = auth.payload;
    if (!trailer && trailerNames(headers).length > 0) {
      throw new S3Error('InvalidRequest', 'x-amz-trailer needs x-amz-content-sha256 STREAMING-…-TRAILER.');
    }
    framing = { type: 'aws-chunked', decodedLength, signed, trailer, declaredTrailers: trailerNames(headers) };
  } else {
    const length = parseLength(header(headers, 'content-length'), 'Content-Length');
    if (length === undefined && method.toUpperCase() === 'PUT') throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
    if (length !== undefined && length > opts.maxBytes) throw tooLarge(length, opts.maxBytes);
    if (trailerNames(headers).length > 0) {
      throw new S3Error('InvalidRequest', 'x-amz-trailer needs an aws-chunked body (x-amz-content-sha256 STREAMING-…-TRAILER).');
    }
    framing = { type: 'plain', length };
  }
  const plan: PayloadPlan = { framing, maxBytes: opts.maxBytes };
  if (auth.payload.type === 'sha256') plan.sha256Hex = auth.payload.hex;
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) {
    const v = md5.trim();
    if (!BASE64_PATTERN.test(v) || Buffer.from(v, 'base64').length !== 16) {
      throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': md5 });
    }
    plan.contentMd5 = v;
  }
  if (opts.ignoreChecksumHeaders !== true) {
    const checksum = headerChecksum(headers);
    if (checksum !== undefined) plan.checksum = checksum;
  }
  if (plan.checksum === undefined && opts.computeChecksum !== undefined) plan.computeChecksum = opts.computeChecksum;
  return plan;
}

/** Counts, hashes and finally checks the object bytes; ends only when everything matched. */
class PayloadVerifier extends Transform {
  private size = 0;
  private readonly md5 = createChecksummer('MD5');
  private readonly sha256: Checksummer | undefined;
  private readonly checksummer: Checksummer | undefined;
  /** The flexible checksum this payload is checked against (the client's) or computed with. */
  readonly algorithm: ChecksumAlgorithm | undefined;
  constructor(
    private readonly plan: PayloadPlan,
    private readonly decoder: AwsChunkedDecoder | undefined,
    private readonly onVerified: (result: PayloadResult) => void,
  ) {
    super();
    this.sha256 = plan.sha256Hex !== undefined ? createChecksummer('SHA256') : undefined;
    this.algorithm = plan.checksum?.algorithm ?? plan.computeChecksum;
    this.checksummer = this.algorithm !== undefined ? createChecksummer(this.algorithm) : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.plan.maxBytes) return callback(tooLarge(this.size, this.plan.maxBytes));
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksummer?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      const result = this.finish();
      callback();
      this.onVerified(result);
    } catch (e) {
      callback(e as Error);
    }
  }

  private finish(): PayloadResult {
    const { plan } = this;
    if (plan.framing.type === 'plain' && plan.framing.length !== undefined && this.size !== plan.framing.length) {
      throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
    }
    if (this.sha256 !== undefined) {
      const computed = this.sha256.digest().toString('hex');
      if (computed !== plan.sha256Hex) {
        throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
          ClientComputedContentSHA256: plan.sha256Hex ?? '',
          S3ComputedContentSHA256: computed,
        });
      }
    }
    const md5Base64 = this.md5.digest().toString('base64');
    if (plan.contentMd5 !== undefined && plan.contentMd5 !== md5Base64) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: plan.contentMd5,
        CalculatedDigest: md5Base64,
      });
    }
    const result: PayloadResult = { size: this.size, md5Base64 };
    if (this.checksummer !== undefined && this.algorithm !== undefined) {
      const value = this.checksummer.digest().toString('base64');
      const expected = plan.checksum;
      if (expected !== undefined) {
        let sent: string | undefined;
        if (expected.source === 'header') sent = expected.value;
        else {
          sent = this.decoder?.trailers.get(expected.name);
          if (sent === undefined) throw new S3Error('IncompleteBody', `The trailer ${expected.name} declared in x-amz-trailer did not arrive.`);
          if (!isChecksumValue(expected.algorithm, sent)) throw invalidValue(expected.name, 'trailing header');
        }
        if (sent !== value) throw new S3Error('BadDigest', `The ${expected.algorithm} you specified did not match the calculated checksum.`);
      }
      result.checksum = { algorithm: this.algorithm, value };
    }
    return result;
  }
}

/** A readable that fails at once with `error` (for failures decided before reading). */
function failedBody(error: S3Error): Readable {
  const body = new Readable({ read() {} });
  body.on('error', () => undefined);
  body.destroy(error);
  return body;
}

/**
 * Pipes `req` through the decoder and verifiers its headers call for. `body` yields the object
 * bytes; `result` resolves once they are all read and checked. Errors (S3Error) reject `result`
 * and destroy `body` with the same error; the request is then unpiped and left paused.
 * `checksumAlgorithm` is the flexible checksum computed over the bytes (the client's, else
 * `computeChecksum`); undefined when there is none, or when the headers were refused. `size` is
 * the object's length the headers announce (decoded, for aws-chunked); undefined when they
 * announce none (a POST) or were refused.
 */
export function openPayload(
  req: Readable & { headers: IncomingHttpHeaders; method?: string | undefined },
  auth: AuthResult,
  opts: PayloadOptions,
): { body: Readable; result: Promise<PayloadResult>; checksumAlgorithm: ChecksumAlgorithm | undefined; size: number | undefined } {
  let plan: PayloadPlan;
  try {
    plan = planPayload(req.headers, req.method ?? 'PUT', auth, opts);
  } catch (e) {
    const error = e as S3Error;
    const result = Promise.reject(error);
    result.catch(() => undefined);
    return { body: failedBody(error), result, checksumAlgorithm: undefined, size: undefined };
  }

  const decoder =
    plan.framing.type === 'aws-chunked'
      ? new AwsChunkedDecoder({
          decodedLength: plan.framing.decodedLength,
          trailer: plan.framing.trailer,
          declaredTrailers: plan.framing.declaredTrailers,
          ...(plan.framing.signed
            ? { signing: { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.seedSignature } }
            : {}),
        })
      : undefined;
  let settled = false;
  let reqEnded = false;
  let resolveResult!: (r: PayloadResult) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<PayloadResult>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  result.catch(() => undefined);

  const body = new PayloadVerifier(plan, decoder, (r) => {
    if (settled) return;
    settled = true;
    resolveResult(r);
  });
  // The caller may only await `result`; an unobserved 'error' on body must not crash the process.
  body.on('error', () => undefined);
  const first: Transform = decoder ?? body;

  const fail = (error: unknown): void => {
    if (settled) return;
    settled = true;
    req.unpipe(first);
    decoder?.unpipe(body);
    rejectResult(error);
    decoder?.destroy();
    if (!body.destroyed) body.destroy(error as Error);
  };

  req.on('end', () => {
    reqEnded = true;
  });
  req.on('error', (e) => fail(new S3Error('IncompleteBody', 'The request body ended before all of it arrived.', {}, { cause: e })));
  req.on('close', () => {
    if (!reqEnded) fail(new S3Error('IncompleteBody', 'The request body ended before all of it arrived.'));
  });
  decoder?.on('error', fail);
  body.on('error', fail);
  body.on('close', () => fail(new S3Error('InternalError', 'The payload stream was closed before it was read to the end.')));

  if (decoder !== undefined) decoder.pipe(body);
  req.pipe(first);
  return { body, result, checksumAlgorithm: body.algorithm, size: plan.framing.type === 'plain' ? plan.framing.length : plan.framing.decodedLength };
}
