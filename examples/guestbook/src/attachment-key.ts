/**
 * How an attachment is named: a random UUID is its id, `attachments/<id>` its object key in the
 * bucket, `/attachments/<id>` its URL. An id is checked against a strict pattern before it goes
 * anywhere near the bucket. Pure.
 */

/** The object key prefix of every attachment. */
export const ATTACHMENT_KEY_PREFIX = 'attachments/';

/** The URL path prefix attachments are served under. */
export const ATTACHMENT_URL_PREFIX = '/attachments/';

/** A version 4 UUID in lower case, as crypto.randomUUID() makes them. */
const ATTACHMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True when `id` is a well-formed attachment id. */
export function isAttachmentId(id: string): boolean {
  return ATTACHMENT_ID.test(id);
}

/** The object key of the attachment `id`. */
export function attachmentKey(id: string): string {
  return ATTACHMENT_KEY_PREFIX + id;
}

/** The URL an attachment stored under `key` is served at, or undefined for a key of another shape. */
export function attachmentUrl(key: string): string | undefined {
  const id = key.startsWith(ATTACHMENT_KEY_PREFIX) ? key.slice(ATTACHMENT_KEY_PREFIX.length) : '';
  return isAttachmentId(id) ? ATTACHMENT_URL_PREFIX + id : undefined;
}
