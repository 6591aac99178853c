import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { checksumOf } from '../../../../src/twin/s3/checksums.ts';
import { BLOCK_SIZE, crc32 } from '../../../../src/twin/storage/node/blocks.ts';
import { DirSyncer } from '../../../../src/twin/storage/node/dir-sync.ts';
import { ensureLayout } from '../../../../src/twin/storage/node/layout.ts';
import { Staging } from '../../../../src/twin/storage/node/staging.ts';

describe('staging', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-staging-'));
    await ensureLayout(dir);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('GIVEN bytes in odd-sized chunks WHEN staged THEN the file, MD5, checksum and per-block CRC32s match the bytes', async () => {
    const data = randomBytes(BLOCK_SIZE * 2 + 12_345);
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += 70_001) chunks.push(data.subarray(at, at + 70_001));
    const staging = new Staging(dir);
    const staged = await staging.receive(Readable.from(chunks), { checksum: 'SHA256' });
    assert.equal(staged.size, data.length);
    assert.equal(staged.md5, createHash('md5').update(data).digest('hex'));
    assert.equal(staged.checksum, checksumOf('SHA256', data));
    assert.deepEqual(staged.crcs, [0, 1, 2].map((b) => crc32(data.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE))));
    assert.ok((await readFile(staged.file)).equals(data));
    await staging.abort([staged.id]);
    assert.deepEqual(await readdir(path.join(dir, 'staging')), []);
  });

  it('GIVEN a body that fails midway WHEN staged THEN the error comes through and no file is left', async () => {
    const staging = new Staging(dir);
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(2 * 1024 * 1024);
      throw new Error('client went away');
    }
    await assert.rejects(staging.receive(failing()), /client went away/);
    assert.deepEqual(await readdir(path.join(dir, 'staging')), []);
  });

  it('GIVEN staged bytes nobody commits WHEN the expiry passes THEN a sweep removes them, and a taken stage is left to its commit', async () => {
    const staging = new Staging(dir, 1000);
    const old = await staging.receive(Readable.from([Buffer.from('old')]));
    const taken = await staging.receive(Readable.from([Buffer.from('taken')]));
    assert.equal(staging.take(taken.id), taken);
    assert.equal(await staging.sweep(Date.now() + 500), 0);
    assert.equal(await staging.sweep(Date.now() + 1500), 1);
    assert.equal(staging.take(old.id), undefined);
    assert.deepEqual(await readdir(path.join(dir, 'staging')), [taken.id]);
    await staging.discard(taken);
  });
});

describe('directory fsyncs', () => {
  it('GIVEN many commits in one folder at once WHEN each waits for its fsync THEN they share a couple of fsyncs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-dirsync-'));
    try {
      const syncer = new DirSyncer();
      await Promise.all(Array.from({ length: 50 }, () => syncer.sync(dir)));
      assert.ok(syncer.fsyncs <= 2, `${syncer.fsyncs} fsyncs for 50 callers`);
      await syncer.sync(dir);
      assert.ok(syncer.fsyncs >= 2 && syncer.fsyncs <= 3, 'a later caller gets an fsync of its own');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
