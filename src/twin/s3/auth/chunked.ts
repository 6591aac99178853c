/**
 * Decodes an `aws-chunked` request body into the object's bytes, as a streaming Transform:
 *
 *     hex-size[;chunk-signature=sig]\r\n <data> \r\n … 0[;chunk-signature=sig]\r\n [trailers\r\n] \r\n
 *
 * Signed bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) chain each chunk's signature on the
 * previous one, starting from the request's own; a signed trailer section ends with
 * `x-amz-trailer-signature`. Unsigned ones (STREAMING-UNSIGNED-PAYLOAD-TRAILER) carry no signatures.
 *
 * Memory stays flat whatever the body's size: data passes through as slices of the incoming
 * buffers, hashed incrementally; only a chunk-size line (a few KiB at most) or the trailer section
 * (16 KiB at most) is ever held. A chunk's bytes go downstream before its signature (which follows
 * them) is checked when a chunk spans several reads: a failure errors the stream, and the consumer
 * discards what it wrote.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3-error.ts';
import { chunkStringToSign, EMPTY_SHA256, hmacHex, sha256Hex, signaturesEqual, trailerStringToSign } from './canonical.ts';

/** What signed chunks are checked against: from the request's AuthResult. */
export interface ChunkSigning {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  /** The request's signature, which the first chunk's signature chains on. */
  seedSignature: string;
}

export interface AwsChunkedOptions {
  /** `x-amz-decoded-content-length`: exactly this many object bytes must come out. */
  decodedLength: number;
  /** Present for signed chunks; absent for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
  signing?: ChunkSigning;
  /** Whether a trailer section may follow the last chunk (the `…-TRAILER` modes). */
  trailer: boolean;
  /** Lower-case trailer names from `x-amz-trailer`; each must arrive. */
  declaredTrailers?: readonly string[];
  /** Longest chunk-size line accepted, CRLF included; 4 KiB by default. */
  maxLineBytes?: number;
  /** Largest trailer section accepted; 16 KiB by default. */
  maxTrailerBytes?: number;
}

/** S3 refuses signed chunks below this size, but for the last one. */
const MIN_SIGNED_CHUNK = 8192;
const CRLF = Buffer.from('\r\n');

type State = 'line' | 'data' | 'dataEnd' | 'tail';

const malformed = (detail: string) => new S3Error('InvalidRequest', `The aws-chunked request body is malformed: ${detail}`);
const incomplete = () => new S3Error('IncompleteBody', 'The request body ended before the aws-chunked encoding was complete.');

/** The aws-chunked decoder. `trailers` holds the parsed trailers (lower-case names) once it has ended. */
export class AwsChunkedDecoder extends Transform {
  private readonly opts: Required<Omit<AwsChunkedOptions, 'signing'>> & { signing: ChunkSigning | undefined };
  private state: State = 'line';
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private dataEndSeen = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  private chunkSize = 0;
  private chunkCount = 0;
  private previousSize = -1;
  private previousSignature: string;
  private decoded = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private readonly trailerMap = new Map<string, string>();

  constructor(options: AwsChunkedOptions) {
    super();
    this.opts = {
      decodedLength: options.decodedLength,
      signing: options.signing,
      trailer: options.trailer,
      declaredTrailers: (options.declaredTrailers ?? []).map((t) => t.toLowerCase()),
      maxLineBytes: options.maxLineBytes ?? 4096,
      maxTrailerBytes: options.maxTrailerBytes ?? 16384,
    };
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  /** Trailers received (lower-case names), complete once the stream has ended. */
  get trailers(): ReadonlyMap<string, string> {
    return this.trailerMap;
  }

  /** Object bytes decoded so far. */
  get decodedBytes(): number {
    return this.decoded;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.state !== 'tail') throw incomplete();
      this.finishTail();
      if (this.decoded !== this.opts.decodedLength) throw incomplete();
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  private consume(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'line': {
          const nl = chunk.indexOf(0x0a, off);
          const end = nl === -1 ? chunk.length : nl + 1;
          if (this.pending.length + (end - off) > this.opts.maxLineBytes) {
            throw malformed(`a chunk-size line is longer than ${this.opts.maxLineBytes} bytes.`);
          }
          if (nl === -1) {
            this.pending = Buffer.concat([this.pending, chunk.subarray(off)]);
            return;
          }
          const line = this.pending.length === 0 ? chunk.subarray(off, nl + 1) : Buffer.concat([this.pending, chunk.subarray(off, nl + 1)]);
          this.pending = Buffer.alloc(0);
          off = nl + 1;
          this.startChunk(line);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - off);
          const slice = chunk.subarray(off, off + n);
          this.chunkHash?.update(slice);
          this.remaining -= n;
          this.decoded += n;
          off += n;
          // The chunk's last bytes go out only once its signature is checked.
          if (this.remaining === 0) {
            this.verifyChunk();
            this.state = 'dataEnd';
          }
          this.push(slice);
          break;
        }
        case 'dataEnd': {
          while (this.dataEndSeen < 2 && off < chunk.length) {
            if (chunk[off] !== CRLF[this.dataEndSeen]) throw malformed(`chunk ${this.chunkCount}'s data is not followed by CRLF.`);
            this.dataEndSeen++;
            off++;
          }
          if (this.dataEndSeen === 2) {
            this.dataEndSeen = 0;
            this.state = 'line';
          }
          break;
        }
        case 'tail': {
          const rest = chunk.subarray(off);
          this.tailBytes += rest.length;
          if (this.tailBytes > this.opts.maxTrailerBytes) throw malformed(`the trailer section is longer than ${this.opts.maxTrailerBytes} bytes.`);
          if (!this.opts.trailer && this.tailBytes > 2) throw malformed('bytes follow the final chunk.');
          this.tail.push(Buffer.from(rest));
          return;
        }
      }
    }
  }

  /** Parses `hex-size[;ext…]\r\n`, checks the chunk before it, and prepares the next state. */
  private startChunk(lineWithLf: Buffer): void {
    if (lineWithLf.length < 2 || lineWithLf[lineWithLf.length - 2] !== 0x0d) throw malformed('a chunk-size line does not end with CRLF.');
    const line = lineWithLf.toString('latin1', 0, lineWithLf.length - 2);
    const semi = line.indexOf(';');
    const sizeText = semi === -1 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw malformed(`"${truncate(sizeText)}" is not a hexadecimal chunk size.`);
    const size = parseInt(sizeText, 16);
    this.chunkCount++;
    if (this.opts.signing !== undefined) {
      const m = semi === -1 ? null : /^chunk-signature=([0-9a-fA-F]{64})$/.exec(line.slice(semi + 1));
      if (m === null) throw malformed(`chunk ${this.chunkCount} has no chunk-signature.`);
      this.chunkSignature = m[1]!;
      if (size > 0 && this.previousSize >= 0 && this.previousSize < MIN_SIGNED_CHUNK) {
        throw new S3Error('InvalidChunkSizeError', `Only the last chunk is allowed to have a size less than ${MIN_SIGNED_CHUNK} bytes`, {
          Chunk: this.chunkCount - 1,
          BadChunkSize: this.previousSize,
        });
      }
      this.chunkHash = size > 0 ? createHash('sha256') : undefined;
    }
    if (this.decoded + size > this.opts.decodedLength) {
      throw malformed(`the chunks hold more than the ${this.opts.decodedLength} bytes x-amz-decoded-content-length declares.`);
    }
    this.previousSize = size;
    this.chunkSize = size;
    if (size === 0) {
      this.verifyChunk();
      this.state = 'tail';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private verifyChunk(): void {
    const signing = this.opts.signing;
    if (signing === undefined) return;
    const hash = this.chunkSize === 0 || this.chunkHash === undefined ? EMPTY_SHA256 : this.chunkHash.digest('hex');
    const expected = hmacHex(signing.signingKey, chunkStringToSign(signing.amzDate, signing.scope, this.previousSignature, hash));
    if (!signaturesEqual(expected, this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', `The signature of chunk ${this.chunkCount} does not match: check the signing key and the chunk signature chain.`, {
        Chunk: this.chunkCount,
        SignatureProvided: this.chunkSignature,
      });
    }
    this.previousSignature = expected;
    this.chunkHash = undefined;
  }

  /** Parses the bytes after the final chunk: nothing, or trailer lines then an empty line. */
  private finishTail(): void {
    let text = Buffer.concat(this.tail).toString('latin1');
    if (text.startsWith('\r\n')) text = text.slice(2);
    if (text !== '' && !text.endsWith('\r\n')) throw incomplete();
    const lines = text.split('\r\n');
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (!this.opts.trailer && lines.length > 0) throw malformed('bytes follow the final chunk.');
    let trailerSignature: string | undefined;
    const signedLines: string[] = [];
    for (const line of lines) {
      if (line === '') throw malformed('the trailer section has an empty line before its end.');
      const colon = line.indexOf(':');
      if (colon <= 0) throw malformed(`trailer line "${truncate(line)}" is not name:value.`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (trailerSignature !== undefined) throw malformed('x-amz-trailer-signature is not the last trailer.');
      if (name === 'x-amz-trailer-signature') {
        trailerSignature = value;
        continue;
      }
      signedLines.push(`${line}\n`);
      this.trailerMap.set(name, value);
    }
    const signing = this.opts.signing;
    if (signing !== undefined && this.opts.trailer) {
      if (trailerSignature === undefined) throw malformed('the trailer section has no x-amz-trailer-signature.');
      const hash = sha256Hex(Buffer.from(signedLines.join(''), 'latin1'));
      const expected = hmacHex(signing.signingKey, trailerStringToSign(signing.amzDate, signing.scope, this.previousSignature, hash));
      if (!signaturesEqual(expected, trailerSignature)) {
        throw new S3Error('SignatureDoesNotMatch', 'The trailer signature does not match: check the signing key and the chunk signature chain.', {
          SignatureProvided: trailerSignature,
        });
      }
    }
    for (const name of this.opts.declaredTrailers) {
      if (!this.trailerMap.has(name)) throw new S3Error('IncompleteBody', `The trailer ${name} declared in x-amz-trailer did not arrive.`);
    }
  }
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
