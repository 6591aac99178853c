/**
 * Guestbook entries. A write carries an optional idempotency key with a unique constraint, so a
 * client that retries after a timeout or a failover (not knowing whether its first try committed)
 * never creates a second entry: the retry returns the entry the first try made. An entry may
 * record an image attachment: its object key in the bucket and its type.
 */
import type pg from 'pg';
import { attachmentUrl } from './attachment-key.ts';
import type { Identity } from './identity.ts';
import type { EntryInput } from './validation.ts';

/** An entry's image: where it is served and its type. */
export interface Attachment {
  /** `/attachments/<uuid>`. */
  readonly url: string;
  readonly contentType: string;
}

export interface Entry {
  readonly id: number;
  readonly name: string;
  readonly message: string;
  readonly instanceId: string;
  readonly zone: string;
  readonly createdAt: string;
  /** null for an entry without an image (and every entry made before images existed). */
  readonly attachment: Attachment | null;
}

/** The attachment a new entry records: the object key (`attachments/<uuid>`) and its type. */
export interface AttachmentRef {
  readonly key: string;
  readonly contentType: string;
}

export type CreateResult =
  | { readonly kind: 'created'; readonly entry: Entry }
  | { readonly kind: 'replayed'; readonly entry: Entry }
  /** The key was first used for a different entry. */
  | { readonly kind: 'key-reused'; readonly entry: Entry };

/** A pool or one of its connections: anything that runs a query. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

interface Row {
  id: string;
  name: string;
  message: string;
  instance_id: string;
  zone: string;
  created_at: Date;
  attachment_key: string | null;
  attachment_type: string | null;
}

const COLUMNS = 'id, name, message, instance_id, zone, created_at, attachment_key, attachment_type';

function toAttachment(key: string | null, contentType: string | null): Attachment | null {
  const url = key === null ? undefined : attachmentUrl(key);
  return url === undefined || contentType === null ? null : { url, contentType };
}

const toEntry = (r: Row): Entry => ({
  id: Number(r.id),
  name: r.name,
  message: r.message,
  instanceId: r.instance_id,
  zone: r.zone,
  createdAt: r.created_at.toISOString(),
  attachment: toAttachment(r.attachment_key, r.attachment_type),
});

/** The latest entries, newest first. */
export async function listEntries(db: Queryable, limit = 50): Promise<Entry[]> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM entries ORDER BY created_at DESC, id DESC LIMIT $1`, [limit]);
  return r.rows.map(toEntry);
}

/**
 * The entry an idempotency key already made, as a replay of `input` (`replayed` when it is the
 * same name and message, `key-reused` when not), or undefined when the key is unused.
 */
export async function findByIdempotencyKey(db: Queryable, idempotencyKey: string, input: EntryInput): Promise<CreateResult | undefined> {
  const existing = await db.query<Row>(`SELECT ${COLUMNS} FROM entries WHERE idempotency_key = $1`, [idempotencyKey]);
  const first = existing.rows[0];
  if (first === undefined) return undefined;
  const entry = toEntry(first);
  const same = entry.name === input.name && entry.message === input.message;
  return { kind: same ? 'replayed' : 'key-reused', entry };
}

/**
 * Adds an entry, or with a key already used returns the entry that key made (`replayed` when it
 * is the same entry, `key-reused` when not). Safe to run again after a lost connection when a key
 * is given; without one, running it again could make a second entry.
 */
export async function createEntry(
  db: Queryable,
  input: EntryInput,
  idempotencyKey: string | undefined,
  identity: Identity,
  attachment?: AttachmentRef,
): Promise<CreateResult> {
  // ON CONFLICT waits for a concurrent insert of the same key to commit, then does nothing; the
  // SELECT that follows sees that row. So two racing requests with one key still make one entry.
  const inserted = await db.query<Row>(
    `INSERT INTO entries (name, message, idempotency_key, instance_id, zone, attachment_key, attachment_type)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${COLUMNS}`,
    [input.name, input.message, idempotencyKey ?? null, identity.instanceId, identity.zone, attachment?.key ?? null, attachment?.contentType ?? null],
  );
  const row = inserted.rows[0];
  if (row !== undefined) return { kind: 'created', entry: toEntry(row) };
  const replay = idempotencyKey === undefined ? undefined : await findByIdempotencyKey(db, idempotencyKey, input);
  if (replay === undefined) throw new Error(`entry with idempotency key ${idempotencyKey} vanished`);
  return replay;
}
