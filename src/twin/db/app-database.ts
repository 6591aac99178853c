/**
 * An application's database as RDS gives one: a login role that owns exactly one database and
 * nothing else (no superuser, no CREATEDB, no CREATEROLE, no replication), and a database other
 * roles cannot connect to. Re-running it with the same names is safe: the role's password is reset
 * and the rest is left as is.
 */
import pg from 'pg';
import { dbError } from './errors.ts';
import { scramSha256Verifier } from './scram.ts';

export interface AppDatabase {
  readonly database: string;
  readonly owner: string;
  readonly password: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const PASSWORD = /^[\x21-\x7e]{8,128}$/;

export function checkAppDatabaseInput(database: string, owner: string, password: string, superuser: string): void {
  const problems: string[] = [];
  for (const [field, value] of [
    ['database', database],
    ['owner', owner],
  ] as const) {
    if (!IDENTIFIER.test(value)) {
      problems.push(
        `${field} ${JSON.stringify(value)} must be a lowercase identifier: a letter or underscore, then letters, digits or underscores, at most 63`,
      );
    } else if (value.startsWith('pg_')) {
      problems.push(`${field} ${JSON.stringify(value)} must not start with pg_ (reserved by PostgreSQL)`);
    }
  }
  if (owner === superuser) problems.push(`owner must not be the superuser ${JSON.stringify(superuser)}`);
  if (['postgres', 'template0', 'template1'].includes(database)) {
    problems.push(`database ${JSON.stringify(database)} is one of PostgreSQL's own`);
  }
  // The received password is never echoed, only its length.
  if (!PASSWORD.test(password)) {
    problems.push(`password must be 8–128 printable ASCII characters without spaces (received ${password.length} characters)`);
  }
  if (problems.length > 0) {
    throw dbError('HASTACK_DB_INVALID_NAME', problems.join('; '), { details: { problems } });
  }
}

/**
 * Runs as the superuser. `connect(database)` opens a superuser client to the named database.
 */
export async function createAppDatabase(
  connect: (database: string) => Promise<pg.Client>,
  input: AppDatabase,
): Promise<void> {
  const { database, owner, password } = input;
  const db = pg.escapeIdentifier(database);
  const role = pg.escapeIdentifier(owner);
  const verifier = pg.escapeLiteral(scramSha256Verifier(password));
  const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';

  const admin = await connect('postgres');
  try {
    const roleExists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [owner])).rowCount === 1;
    await admin.query(`${roleExists ? 'ALTER' : 'CREATE'} ROLE ${role} WITH ${attrs} PASSWORD ${verifier}`);
    const dbExists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
    if (dbExists) {
      await admin.query(`ALTER DATABASE ${db} OWNER TO ${role}`);
    } else {
      // CREATE DATABASE cannot run in a transaction block; pg sends simple queries one by one.
      await admin.query(`CREATE DATABASE ${db} OWNER ${role} ENCODING 'UTF8' TEMPLATE template1`);
    }
    // By default every role may connect to every database and make temp tables in it.
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC');
  } finally {
    await admin.end().catch(() => undefined);
  }

  // Before PostgreSQL 15 anyone could create objects in `public`; give the schema to the owner.
  const inside = await connect(database);
  try {
    await inside.query(`ALTER SCHEMA public OWNER TO ${role}`);
    await inside.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
  } finally {
    await inside.end().catch(() => undefined);
  }
}
