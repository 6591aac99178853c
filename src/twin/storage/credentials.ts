/**
 * The twin's S3 credentials: an access key id and secret shaped like AWS's, generated once per
 * state folder and kept there 0600. Instances and `hastack env` get them through the standard
 * variables; the S3 endpoint refuses every other key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The twin's S3 credentials: made once, kept 0600 in the state folder. */
export function readOrCreateCredentials(dir: string): S3Credentials {
  const file = path.join(dir, 'credentials.json');
  if (existsSync(file)) {
    try {
      const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<S3Credentials>;
      if (typeof c.accessKeyId === 'string' && /^[A-Z0-9]{20}$/.test(c.accessKeyId) && typeof c.secretAccessKey === 'string' && c.secretAccessKey.length === 40) {
        return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
      }
    } catch {
      // A torn file is replaced, never trusted.
    }
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = 'AKIA' + [...randomBytes(16)].map((b) => alphabet[b % 32]).join('');
  const secret = randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'A' : 'B'));
  const creds = { accessKeyId: id, secretAccessKey: secret };
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

