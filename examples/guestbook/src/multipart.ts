/**
 * Reads a multipart/form-data body (the HTML form once it can carry an image) with busboy, within
 * limits: one file of at most MAX_IMAGE_BYTES, a few small fields. A file is held in memory (5 MiB
 * at most) until the whole entry has been checked; what it may contain is decided by
 * attachment-rules.ts, not here.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { HttpError } from './http.ts';
import { MAX_IMAGE_BYTES } from './image-type.ts';

/** One file part as received. */
export interface FilePart {
  /** The form field that carried it. */
  readonly field: string;
  /** The file name the client gave ('' for none, as a browser sends for an empty file input). */
  readonly filename: string;
  /** The Content-Type the client declared for it. */
  readonly declaredType: string;
  /** Its bytes, or the first `MAX_IMAGE_BYTES` of them when `truncated`. */
  readonly bytes: Buffer;
  /** More bytes came than the limit allows. */
  readonly truncated: boolean;
}

/** A multipart body: its text fields (the last value of a repeated name wins) and files. */
export interface MultipartBody {
  readonly fields: Readonly<Record<string, string>>;
  /** At most one: a further file is skipped unread and noted in `tooManyFiles`. */
  readonly files: readonly FilePart[];
  readonly tooManyFiles: boolean;
  /** More fields or parts came than the limits allow; the rest were skipped. */
  readonly tooManyFields: boolean;
}

export const MULTIPART_LIMITS = {
  files: 1,
  fileBytes: MAX_IMAGE_BYTES,
  fields: 10,
  /** Per field: more than any valid field needs, as the JSON body's limit. */
  fieldBytes: 16 * 1024,
  parts: 12,
  /**
   * A body up to this size is read to the end even when it breaks a limit, so the client surely
   * gets the answer (closing with unread data resets the connection before the client reads it).
   * A larger one is refused at once, or as soon as it grows past this, and the connection closed.
   */
  drainBytes: 2 * MAX_IMAGE_BYTES,
} as const;

/** Reads the whole body; throws an HttpError for a malformed body (400) or one past drainBytes (413). */
export function readMultipart(req: IncomingMessage, limits = MULTIPART_LIMITS): Promise<MultipartBody> {
  const tooLarge = (received: string) =>
    new HttpError(
      413,
      {
        error: 'payload_too_large',
        message: `the body is too large: ${received}; an image may be at most ${limits.fileBytes} bytes (5 MiB)`,
        field: 'image',
        received,
        expected: `one image of at most ${limits.fileBytes} bytes and fields of at most ${limits.fieldBytes} bytes each`,
        limit: limits.fileBytes,
      },
      { Connection: 'close' },
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.drainBytes) return Promise.reject(tooLarge(`a body of ${declared} bytes`));

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { files: limits.files, fileSize: limits.fileBytes, fields: limits.fields, fieldSize: limits.fieldBytes, parts: limits.parts },
    });
  } catch (e) {
    return Promise.reject(malformed(e));
  }

  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    const files: FilePart[] = [];
    const fileEnds: Promise<void>[] = [];
    let tooManyFiles = false;
    let tooManyFields = false;
    let received = 0;
    let settled = false;
    const settle = (err: unknown, body?: MultipartBody) => {
      if (settled) return;
      settled = true;
      if (err === undefined) resolve(body!);
      else reject(err);
    };
    const stopReading = () => {
      req.unpipe(parser);
      req.off('data', count);
      req.pause();
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.drainBytes) {
        stopReading();
        settle(tooLarge(`a body of more than ${limits.drainBytes} bytes`));
      }
    };

    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      fileEnds.push(
        new Promise<void>((done) =>
          stream.once('end', () => {
            files.push({ field, filename: info.filename ?? '', declaredType: info.mimeType, bytes: Buffer.concat(chunks), truncated: stream.truncated === true });
            done();
          }),
        ),
      );
    });
    parser.on('filesLimit', () => (tooManyFiles = true));
    parser.on('fieldsLimit', () => (tooManyFields = true));
    parser.on('partsLimit', () => (tooManyFields = true));
    parser.once('error', (e) => {
      // Read what is left (up to drainBytes), so the 400 reaches the client.
      req.unpipe(parser);
      req.resume();
      settle(malformed(e));
    });
    parser.once('close', () => {
      void Promise.all(fileEnds).then(() => settle(undefined, { fields: Object.fromEntries(fields), files, tooManyFiles, tooManyFields }));
    });
    req.on('data', count);
    req.once('error', (e) => settle(e));
    req.once('close', () => {
      if (!req.complete) settle(new Error('the client closed the connection before the body ended'));
    });
    req.pipe(parser);
  });
}

function malformed(e: unknown): HttpError {
  return new HttpError(400, {
    error: 'invalid_multipart',
    message: `the body is not valid multipart/form-data: ${e instanceof Error ? e.message : String(e)}`,
    expected: 'a multipart/form-data body with a boundary, as an HTML form with enctype="multipart/form-data" sends',
  });
}
