/**
 * A bounded whole-number query parameter (`max-keys`, `max-parts`, `part-number-marker`, …), read
 * as S3 reads it: absent → the default, not a number → InvalidArgument, above the cap → the cap.
 */
import { S3Error } from '../s3-error.ts';

export function queryInt(query: URLSearchParams, name: string, def: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return def;
  if (!/^\d{1,10}$/.test(raw)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(Number(raw), max);
}
