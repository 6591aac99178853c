import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createChecksummer, type ChecksumAlgorithm } from '../../../../src/twin/s3/checksums.ts';
import { BLOCK_SIZE, BlockCrcs, StoredDigest } from '../../../../src/twin/storage/node/blocks.ts';

function direct(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksummer(algorithm);
  c.update(data);
  return c.digest().toString('base64');
}

describe('what a node computes of stored bytes', () => {
  const sizes = [0, 1, 4096, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 17, 8 * 1024 * 1024];

  it('GIVEN bytes of any size fed in odd chunks WHEN digested with CRC32 THEN the checksum combined from the blocks equals the CRC32 of all the bytes', () => {
    for (const size of sizes) {
      const data = randomBytes(size);
      const d = new StoredDigest('CRC32');
      for (let at = 0; at < size; at += 65_537) d.update(data.subarray(at, at + 65_537));
      const blocks = new BlockCrcs();
      blocks.update(data);
      const out = d.finish();
      assert.equal(out.checksum, direct('CRC32', data), `${size} bytes`);
      assert.deepEqual(out.crcs, blocks.finish(), `${size} bytes`);
    }
  });

  it('GIVEN another algorithm, or none WHEN digested THEN the checksum is computed over the bytes, or absent', () => {
    const data = randomBytes(BLOCK_SIZE + 5);
    for (const algorithm of ['CRC32C', 'SHA256'] as const) {
      const d = new StoredDigest(algorithm);
      d.update(data);
      assert.equal(d.finish().checksum, direct(algorithm, data));
    }
    const none = new StoredDigest(undefined);
    none.update(data);
    assert.equal(none.finish().checksum, undefined);
  });
});
