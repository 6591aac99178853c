/**
 * Reads a small request body (an XML document) in full, through the same signature and checksum
 * checks as object bytes, refusing more than `limit` bytes.
 */
import { openPayload } from '../auth/payload.ts';
import { S3Error } from '../s3-error.ts';
import type { RequestContext } from './context.ts';

export interface SmallBodyOptions {
  /**
   * Leave `x-amz-checksum-*` headers unchecked against the body: on CompleteMultipartUpload they
   * carry the whole object's checksum, not the XML's.
   */
  readonly ignoreChecksumHeaders?: boolean;
}

export async function readSmallBody(ctx: RequestContext, limit: number, opts: SmallBodyOptions = {}): Promise<Buffer> {
  const declared = Number(ctx.req.headers['x-amz-decoded-content-length'] ?? ctx.req.headers['content-length'] ?? 0);
  if (declared > limit) throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (${declared} bytes; at most ${limit} are accepted).`);
  const { body, result } = openPayload(ctx.req, ctx.auth, { maxBytes: limit, ...(opts.ignoreChecksumHeaders === true ? { ignoreChecksumHeaders: true } : {}) });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (more than ${limit} bytes).`);
    chunks.push(chunk as Buffer);
  }
  await result;
  return Buffer.concat(chunks);
}
