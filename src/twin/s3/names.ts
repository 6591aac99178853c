/**
 * S3's naming rules for buckets (general-purpose buckets) and object keys, as pure checks that
 * throw the S3 error a client would get from S3 itself.
 *
 * Keys are opaque strings: `../x`, `/abs`, `a//b` are all legal keys, because storage never maps a
 * key to a path. Only length (in UTF-8 bytes), well-formed Unicode and NUL are checked.
 */
import { bucketNameProblem } from '../../spec/storage.ts';
import { S3Error } from './s3-error.ts';

/** The longest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` is not a valid general-purpose bucket name (the spec's rule), or undefined when it is. */
export { bucketNameProblem };

/**
 * Throws InvalidBucketName (400, with `BucketName`) unless `name` follows S3's rules for
 * general-purpose buckets.
 */
export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new S3Error('InvalidBucketName', `The specified bucket is not valid: ${JSON.stringify(name)} ${problem}.`, { BucketName: name });
  }
}

/**
 * Throws unless `key` is a key S3 would store: KeyTooLongError (400, with `Size` and
 * `MaxSizeAllowed`) above 1024 UTF-8 bytes; InvalidArgument for an empty key, a lone surrogate
 * (not valid UTF-8) or a NUL character.
 */
export function checkObjectKey(key: string): void {
  if (key.length === 0) {
    throw new S3Error('InvalidArgument', 'Object keys must be at least 1 byte long; the key is empty.', {
      ArgumentName: 'key',
      ArgumentValue: '',
    });
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', { Size: bytes, MaxSizeAllowed: MAX_KEY_BYTES });
  }
  if (LONE_SURROGATE.test(key)) {
    throw new S3Error('InvalidArgument', 'Object keys must be valid UTF-8; the key holds an unpaired surrogate.', {
      ArgumentName: 'key',
      ArgumentValue: key.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD'),
    });
  }
  if (key.includes('\0')) {
    throw new S3Error('InvalidArgument', 'Object keys must not contain the NUL character (U+0000).', {
      ArgumentName: 'key',
      ArgumentValue: key.replaceAll('\0', '\\0'),
    });
  }
}
