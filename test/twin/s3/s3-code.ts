import assert from 'node:assert/strict';
import { isS3Error } from '../../../src/twin/s3/s3-error.ts';

/** An `assert.throws` matcher: an S3Error with this code and (some of) these fields. */
export function s3Code(code: string, fields: Record<string, string | number> = {}) {
  return (e: unknown) => {
    assert.ok(isS3Error(e), `expected an S3Error, got ${String(e)}`);
    assert.equal(e.code, code);
    for (const [k, v] of Object.entries(fields)) assert.equal(e.fields[k], v, k);
    return true;
  };
}
