/**
 * The CRC of a concatenation from the CRCs of its pieces and their lengths (zlib's crc32_combine,
 * generalised to CRC32C and CRC64NVME). CompleteMultipartUpload uses it for a FULL_OBJECT
 * checksum, so the object's CRC is known without reading its bytes again. All three CRCs are
 * reflected, with initial value and final xor all ones, which is what makes combining exact.
 */
import type { ChecksumAlgorithm } from './checksums.ts';

interface CrcParams {
  readonly width: number;
  /** The reflected polynomial. */
  readonly poly: bigint;
}

const PARAMS: Partial<Record<ChecksumAlgorithm, CrcParams>> = {
  CRC32: { width: 32, poly: 0xedb88320n },
  CRC32C: { width: 32, poly: 0x82f63b78n },
  CRC64NVME: { width: 64, poly: 0x9a6c9329ac4bc9b5n },
};

/** Whether an algorithm's full-object value can be combined from its parts'. */
export function isCombinable(algorithm: ChecksumAlgorithm): boolean {
  return PARAMS[algorithm] !== undefined;
}

/** a·b modulo the polynomial, in the reflected bit order (x^0 is the top bit). */
function multModP(a: bigint, b: bigint, { width, poly }: CrcParams): bigint {
  let m = 1n << BigInt(width - 1);
  let p = 0n;
  for (;;) {
    if ((a & m) !== 0n) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = (b & 1n) !== 0n ? (b >> 1n) ^ poly : b >> 1n;
  }
  return p;
}

const tables = new Map<CrcParams, bigint[]>();

/** x^(2^k) mod p for k = 0, 1, …: 64 entries cover any length in bytes below 2^60. */
function powerTable(params: CrcParams): bigint[] {
  let t = tables.get(params);
  if (t === undefined) {
    t = [1n << BigInt(params.width - 2)];
    for (let k = 1; k < 64; k++) t.push(multModP(t[k - 1]!, t[k - 1]!, params));
    tables.set(params, t);
  }
  return t;
}

/** x^(8·bytes) mod p. */
function shiftForBytes(bytes: number, params: CrcParams): bigint {
  const table = powerTable(params);
  let p = 1n << BigInt(params.width - 1);
  let n = BigInt(bytes);
  let k = 3;
  while (n > 0n) {
    if ((n & 1n) !== 0n) p = multModP(table[k]!, p, params);
    n >>= 1n;
    k++;
  }
  return p;
}

function toBig(raw: Buffer): bigint {
  return BigInt(`0x${raw.toString('hex') || '0'}`);
}

function toBuffer(v: bigint, width: number): Buffer {
  return Buffer.from(v.toString(16).padStart(width / 4, '0'), 'hex');
}

/**
 * The base64 CRC of the pieces concatenated in order, from each piece's base64 CRC and byte length.
 * Throws for an algorithm that is not a CRC.
 */
export function combineCrcs(algorithm: ChecksumAlgorithm, pieces: readonly { readonly checksum: string; readonly size: number }[]): string {
  const params = PARAMS[algorithm];
  if (params === undefined) throw new Error(`${algorithm} checksums cannot be combined`);
  let crc: bigint | undefined;
  for (const piece of pieces) {
    const next = toBig(Buffer.from(piece.checksum, 'base64'));
    crc = crc === undefined ? next : multModP(shiftForBytes(piece.size, params), crc, params) ^ next;
  }
  return toBuffer(crc ?? 0n, params.width).toString('base64');
}
