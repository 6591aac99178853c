/**
 * The schema is created by the app at startup, idempotently: every instance tries, any may be
 * first, several may start at once. A transaction-scoped advisory lock serialises them, because
 * concurrent CREATE TABLE IF NOT EXISTS can still fail on the catalog's unique index (pg_type).
 */
import type pg from 'pg';

/** Any fixed 64-bit number, the same in every instance. */
const SCHEMA_LOCK = 4_715_001;

const DDL = [
  `CREATE TABLE IF NOT EXISTS entries (
     id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name            text        NOT NULL,
     message         text        NOT NULL,
     idempotency_key text        UNIQUE,
     instance_id     text        NOT NULL,
     zone            text        NOT NULL,
     created_at      timestamptz NOT NULL DEFAULT now()
   )`,
  'CREATE INDEX IF NOT EXISTS entries_created_at_idx ON entries (created_at DESC)',
  // Image attachments: nullable columns, so rows written before them (and entries without an image)
  // stay valid; adding them rewrites nothing. Checked first, because ALTER TABLE locks the table
  // even when there is nothing to add, and every instance runs this at startup.
  `DO $$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'entries'::regclass AND attname = 'attachment_type' AND NOT attisdropped) THEN
       ALTER TABLE entries ADD COLUMN IF NOT EXISTS attachment_key text, ADD COLUMN IF NOT EXISTS attachment_type text;
     END IF;
   END $$`,
];

export async function ensureSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    for (const sql of DDL) await client.query(sql);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/**
 * Keeps trying until the schema exists, with backoff, so an instance launched while the database
 * is failing over comes up (not ready) instead of crash-looping.
 */
export class SchemaKeeper {
  #ready = false;
  #lastError: string | undefined = 'not tried yet';
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly warn: (msg: string) => void,
  ) {}

  get ready(): boolean {
    return this.#ready;
  }

  /** Why the schema is not ready yet. */
  get reason(): string | undefined {
    return this.#ready ? undefined : this.#lastError;
  }

  start(delayMs = 500): void {
    const attempt = async (): Promise<void> => {
      try {
        await ensureSchema(this.pool);
        this.#ready = true;
        this.#lastError = undefined;
      } catch (e) {
        this.#lastError = e instanceof Error ? e.message : String(e);
        this.warn(`schema not ready (${this.#lastError}); retrying in ${delayMs} ms`);
        if (!this.#stopped) {
          this.#timer = setTimeout(() => this.start(Math.min(delayMs * 2, 5_000)), delayMs);
          this.#timer.unref();
        }
      }
    };
    void attempt();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
