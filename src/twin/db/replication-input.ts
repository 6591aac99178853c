/**
 * Checks of the values replication calls put into SQL and configuration files: node names (which
 * are the standbys' application names), the replication role and its password, ports. Each failure
 * names the field, what was received and what was expected.
 */
import { dbError } from './errors.ts';

/** A node name as the twin gives them (`db-a`), used as a standby's application_name. */
export const NODE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const PASSWORD = /^[\x21-\x7e]{8,128}$/;

export function invalidInput(field: string, received: unknown, expected: string) {
  return dbError('HASTACK_DB_INVALID_REPLICATION_INPUT', `${field} ${describe(received)} is invalid: expected ${expected}`, {
    details: { field, expected },
  });
}

export function checkNodeName(field: string, value: string): void {
  if (!NODE_NAME.test(value)) {
    throw invalidInput(field, value, 'a node name: a lowercase letter, then lowercase letters, digits, _ or -, at most 63');
  }
}

export function checkRoleName(field: string, value: string): void {
  if (!ROLE_NAME.test(value) || value.startsWith('pg_') || value === 'postgres') {
    throw invalidInput(field, value, 'a lowercase identifier (a letter or _, then letters, digits or _, at most 63), not postgres nor pg_*');
  }
}

/** The password itself never appears in the message, only its length. */
export function checkPassword(field: string, value: string): void {
  if (!PASSWORD.test(value)) {
    throw dbError(
      'HASTACK_DB_INVALID_REPLICATION_INPUT',
      `${field} is invalid (received ${value.length} characters): expected 8–128 printable ASCII characters without spaces`,
      { details: { field } },
    );
  }
}

export function checkPort(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw invalidInput(field, value, 'a TCP port from 1 to 65535');
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
