/**
 * The whole-object checksum a CompleteMultipartUpload request may carry (`x-amz-checksum-<alg>`,
 * and `x-amz-checksum-type`): S3 checks it against the checksum it computes for the new object
 * (the full-object CRC, or the composite `…-N`) and refuses the request when they differ. Pure.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checksumHeader, isChecksumValue, isChecksumValueHeader, parseChecksumAlgorithm, type ChecksumAlgorithm, type ChecksumType } from '../checksums.ts';
import { S3Error } from '../s3-error.ts';

/** A full-object value is base64 of the digest; a composite one is that, then `-<parts>`. */
function wellFormed(algorithm: ChecksumAlgorithm, value: string): boolean {
  const m = /^([^-]*)(?:-([1-9]\d{0,4}))?$/.exec(value);
  return m !== null && isChecksumValue(algorithm, m[1]!);
}

/**
 * Checks the whole-object checksum headers of a CompleteMultipartUpload against the upload and the
 * checksum computed for the object (undefined when the upload has none).
 *
 * @throws S3Error InvalidRequest for several checksum headers, a malformed value, an algorithm or
 *   `x-amz-checksum-type` other than the upload's; BadDigest when the value differs from the
 *   computed one.
 */
export function checkFinalChecksum(
  headers: IncomingHttpHeaders,
  upload: { readonly algorithm: ChecksumAlgorithm; readonly type: ChecksumType } | undefined,
  computed: string | undefined,
): void {
  const rawType = headers['x-amz-checksum-type'];
  const type = (Array.isArray(rawType) ? rawType[0] : rawType)?.trim().toUpperCase();
  if (type !== undefined && type !== upload?.type) {
    throw new S3Error(
      'InvalidRequest',
      `The upload was created using the ${upload?.type ?? 'no'} checksum mode; x-amz-checksum-type must match it (received ${JSON.stringify(type)}).`,
    );
  }
  const sent = Object.keys(headers).filter((name) => isChecksumValueHeader(name));
  if (sent.length === 0) return;
  if (sent.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const name = sent[0]!;
  const algorithm = parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length));
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  if (algorithm === undefined || !wellFormed(algorithm, value)) throw new S3Error('InvalidRequest', `Value for ${name} header is invalid.`);
  if (upload === undefined || computed === undefined || algorithm !== upload.algorithm) {
    throw new S3Error(
      'InvalidRequest',
      `The upload was created using ${upload === undefined ? 'no checksum algorithm' : `the ${upload.algorithm.toLowerCase()} checksum algorithm`}; ${name} cannot be checked against it.`,
    );
  }
  if (value !== computed) {
    throw new S3Error('BadDigest', `The ${checksumHeader(algorithm)} you specified did not match the calculated checksum.`);
  }
}
