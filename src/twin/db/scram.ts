/**
 * A SCRAM-SHA-256 verifier computed on our side (as psql's \password does), so a role's plaintext
 * password never reaches the server, where a failed statement or `log_statement` could log it.
 * @see https://www.postgresql.org/docs/current/auth-password.html
 * @see https://datatracker.ietf.org/doc/html/rfc7677
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default `scram_iterations`. */
const ITERATIONS = 4096;

/**
 * Only printable ASCII, because PostgreSQL normalises other passwords with SASLprep before hashing
 * and this verifier does not.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** 32 random bytes as URL-safe base64: printable ASCII, nothing to quote in a connection string. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}
