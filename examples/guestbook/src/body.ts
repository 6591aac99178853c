/**
 * Reads a request body with a size limit and parses it by Content-Type: JSON for programs,
 * form-urlencoded for the HTML page's form, multipart/form-data (multipart.ts) for the form when it
 * can carry an image, or for a program that sends one.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http.ts';
import { readMultipart, type MultipartBody } from './multipart.ts';

export const BODY_LIMIT_BYTES = 16 * 1024;

export type BodyKind = 'json' | 'form' | 'multipart';

/** The parsed body; for a form or multipart body, `value` holds its text fields. */
export type ParsedBody =
  | { readonly kind: 'json' | 'form'; readonly value: unknown }
  | { readonly kind: 'multipart'; readonly value: Readonly<Record<string, string>>; readonly multipart: MultipartBody };

const ACCEPTED = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

const KINDS: ReadonlyMap<string, BodyKind> = new Map([
  ['application/json', 'json'],
  ['application/x-www-form-urlencoded', 'form'],
  ['multipart/form-data', 'multipart'],
]);

export async function parseBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<ParsedBody> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const kind: BodyKind | undefined = KINDS.get(type);
  if (kind === undefined) {
    throw new HttpError(415, {
      error: 'unsupported_media_type',
      message: `Content-Type ${type === '' ? '(none)' : type} is not supported; send ${ACCEPTED.slice(0, -1).join(', ')} or ${ACCEPTED.at(-1)!}`,
      received: type === '' ? null : type,
      expected: ACCEPTED,
    });
  }
  if (kind === 'multipart') {
    const multipart = await readMultipart(req);
    return { kind, value: multipart.fields, multipart };
  }
  const text = (await readLimited(req, limit)).toString('utf8');
  if (kind === 'form') return { kind, value: Object.fromEntries(new URLSearchParams(text)) };
  try {
    return { kind, value: JSON.parse(text) as unknown };
  } catch (e) {
    throw new HttpError(400, {
      error: 'invalid_json',
      message: `the body is not valid JSON: ${(e as Error).message}`,
      expected: 'a JSON object such as {"name": "Ada", "message": "Hello"}',
    });
  }
}

/** Bodies up to this size are read to the end before a 413, so the client surely gets the answer. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (unread: boolean) =>
    new HttpError(
      413,
      { error: 'payload_too_large', message: `the body is larger than ${limit} bytes`, limit },
      // With part of the body unread the connection cannot carry another request.
      unread ? { Connection: 'close' } : {},
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) throw tooLarge(true);
  // Events rather than for-await: leaving a for-await loop early destroys the request and with
  // it the socket, so the 413 could not be sent. Closing with unread data in the socket would
  // reset the connection before the client reads the answer, hence the draining.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      if (size > DRAIN_LIMIT_BYTES) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge(true));
      }
    };
    req.on('data', onData);
    req.once('end', () => (size > limit ? reject(tooLarge(false)) : resolve(Buffer.concat(chunks))));
    req.once('error', reject);
  });
}
