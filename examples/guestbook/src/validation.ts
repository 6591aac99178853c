/**
 * Input rules for an entry. Every problem is reported together, each naming the field, what was
 * received (described, never echoed in full) and what is expected.
 */
export interface EntryInput {
  readonly name: string;
  readonly message: string;
}

export interface Problem {
  readonly field: string;
  readonly problem: 'missing' | 'wrong type' | 'too long' | 'empty' | 'invalid characters' | 'invalid' | 'too many' | 'too large';
  readonly received: string;
  readonly expected: string;
}

export const LIMITS = { name: 80, message: 500, idempotencyKey: 200 } as const;

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: Problem[] };

export function validateEntry(body: unknown): Validated<EntryInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      problems: [{ field: '(body)', problem: 'wrong type', received: describe(body), expected: 'an object with "name" and "message"' }],
    };
  }
  const fields = body as Record<string, unknown>;
  const problems: Problem[] = [];
  // Newlines and tabs are fine in a message; other control characters (NUL above all, which
  // PostgreSQL text cannot hold) are not, and a name is one line.
  const name = text(fields, 'name', LIMITS.name, /[\u0000-\u001f\u007f]/, problems);
  const message = text(fields, 'message', LIMITS.message, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/, problems);
  if (problems.length > 0 || name === undefined || message === undefined) return { ok: false, problems };
  return { ok: true, value: { name, message } };
}

/** The key may come from the Idempotency-Key header or, for the HTML form, a hidden field. */
export function validateIdempotencyKey(value: string | undefined, field: string): Problem | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
    return {
      field,
      problem: value.length > LIMITS.idempotencyKey ? 'too long' : 'invalid',
      received: `${value.length} characters${/[^\x21-\x7e]/.test(value) ? ' including spaces or non-ASCII' : ''}`,
      expected: `1–${LIMITS.idempotencyKey} visible ASCII characters, e.g. a UUID`,
    };
  }
  return undefined;
}

function text(fields: Record<string, unknown>, field: string, max: number, forbidden: RegExp, problems: Problem[]): string | undefined {
  const expected = `a string of 1–${max} characters`;
  const raw = fields[field];
  if (raw === undefined || raw === null) {
    problems.push({ field, problem: 'missing', received: raw === null ? 'null' : 'nothing', expected });
    return undefined;
  }
  if (typeof raw !== 'string') {
    problems.push({ field, problem: 'wrong type', received: describe(raw), expected });
    return undefined;
  }
  const value = raw.trim();
  const length = [...value].length;
  if (length === 0) {
    problems.push({ field, problem: 'empty', received: raw.length === 0 ? 'an empty string' : 'only whitespace', expected });
  } else if (length > max) {
    problems.push({ field, problem: 'too long', received: `a string of ${length} characters`, expected });
  } else if (forbidden.test(value)) {
    problems.push({ field, problem: 'invalid characters', received: 'a string with control characters', expected: `${expected}, without control characters` });
  } else {
    return value;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean') return `a ${typeof v} (${String(v)})`;
  return typeof v === 'object' ? 'an object' : v === undefined ? 'nothing' : `a ${typeof v}`;
}
