import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../../src/errors.ts';
import { createChecksummer } from '../../../../src/twin/s3/checksums.ts';
import { NodeClient, putTrailer } from '../../../../src/twin/storage/node-client.ts';
import { decodeEntries, encodeEntry, Journal, segmentFiles } from '../../../../src/twin/storage/node/journal.ts';
import { replicaFiles } from '../../../../src/twin/storage/node/layout.ts';
import { INLINE_MAX_BYTES } from '../../../../src/twin/storage/node/store.ts';
import { recordIdentity, type VersionRecord } from '../../../../src/twin/storage/records.ts';
import { storageNodeHarness } from '../../../helpers/storage-node.ts';

const seq = (n: number): string => n.toString(16).padStart(18, '0');

function objectRecord(key: string, n: number, size: number): VersionRecord {
  return { type: 'version', bucket: 'jr', key, versionId: 'null', seq: seq(n), kind: 'object', lastModified: n, size, etag: '"e"', headers: { userMetadata: {} } };
}

function crc32(data: Buffer): string {
  const c = createChecksummer('CRC32');
  c.update(data);
  return c.digest().toString('base64');
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('journal entries', () => {
  const entries = [
    { meta: '{"a":1}', data: randomBytes(100) },
    { meta: '{"b":2}', data: undefined },
    { meta: '{"c":"ü"}', data: randomBytes(5000) },
  ];
  const bytes = Buffer.concat(entries.flatMap((e) => encodeEntry(e.meta, e.data)));

  it('GIVEN whole entries WHEN decoded THEN every meta and byte comes back, nothing torn', () => {
    const out = decodeEntries(bytes);
    assert.equal(out.torn, 0);
    assert.deepEqual(
      out.entries.map((e) => [e.meta, e.data?.toString('hex')]),
      entries.map((e) => [e.meta, e.data?.toString('hex')]),
    );
  });

  it('GIVEN a last entry cut anywhere (a crash mid-append) WHEN decoded THEN the entries before it are kept and the rest counted as torn', () => {
    const lastLength = Buffer.concat(encodeEntry(entries[2]!.meta, entries[2]!.data)).length;
    const lastStart = bytes.length - lastLength;
    for (const cut of [1, 7, 8, 20, 4000, lastLength - 1]) {
      const end = lastStart + cut;
      const out = decodeEntries(bytes.subarray(0, end));
      assert.equal(out.entries.length, 2, `cut at ${end}`);
      assert.equal(out.torn, end - lastStart);
    }
  });

  it('GIVEN a flipped byte inside an entry WHEN decoded THEN decoding stops before it (its CRC fails)', () => {
    const damaged = Buffer.from(bytes);
    const secondStart = Buffer.concat(encodeEntry(entries[0]!.meta, entries[0]!.data)).length;
    damaged.writeUInt8(damaged.readUInt8(secondStart + 14) ^ 0xff, secondStart + 14);
    const out = decodeEntries(damaged);
    assert.equal(out.entries.length, 1);
    assert.equal(out.torn, damaged.length - secondStart);
  });
});

describe('journal segments', () => {
  it('GIVEN a segment past its size WHEN more is appended THEN appends move to a new segment, and the old one is deleted only once its commits settled', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-journal-segments-'));
    try {
      const journal = await Journal.open(dir, { segmentBytes: 1000 });
      const first = await Promise.all([journal.append('{"n":1}', randomBytes(600)), journal.append('{"n":2}', randomBytes(600))]);
      const later = await journal.append('{"n":3}', randomBytes(10));
      const files = (await segmentFiles(dir)).map((f) => path.basename(f));
      assert.deepEqual(files, ['0000000000000001.log', '0000000000000002.log'], 'sealed at 1000 bytes; the next entry went to segment 2');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await segmentFiles(dir)).length, 2, 'segment 1 waits for its commits to write their files');
      const written = path.join(dir, 'written');
      await writeFile(written, 'x');
      for (const t of first) t.settle([written, path.join(dir, 'gone-since')], dir);
      await waitUntil(async () => (await segmentFiles(dir)).length === 1);
      assert.deepEqual((await segmentFiles(dir)).map((f) => path.basename(f)), ['0000000000000002.log']);
      later.settle([], undefined);
      await journal.close();
      assert.deepEqual(await segmentFiles(dir), [], 'a clean close checkpoints the last segment too');
      await assert.rejects(journal.append('{}', undefined), /closed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN an fdatasync that fails WHEN entries wait on it THEN they are refused, and later appends go to a new segment and are made durable there', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hastack-journal-eio-'));
    try {
      let failNext = true;
      const synced: number[] = [];
      const syncData = async (fd: number): Promise<void> => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        synced.push(fd);
      };
      const journal = await Journal.open(dir, { syncData });
      const refused = await Promise.allSettled([journal.append('{"n":1}', randomBytes(100)), journal.append('{"n":2}', randomBytes(100))]);
      assert.deepEqual(
        refused.map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'answered')),
        ['EIO', 'EIO'],
        'no entry covered by the failed sync is answered',
      );
      const later = await journal.append('{"n":3}', randomBytes(100));
      assert.equal(journal.appends, 1, 'only the entry after the failure counts as durable');
      assert.equal(synced.length, 1, 'the new segment was synced');
      // The failed segment has no entry left to wait for: it is checkpointed and goes.
      await waitUntil(async () => (await segmentFiles(dir)).length === 1);
      assert.deepEqual((await segmentFiles(dir)).map((f) => path.basename(f)), ['0000000000000002.log'], 'appends moved past the failed segment 1');
      later.settle([], undefined);
      await journal.close();
      assert.deepEqual(await segmentFiles(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntil(ok: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('storage node journal and /put', () => {
  const harness = storageNodeHarness('hastack-journal-', 'local-1a');
  const start = () => harness.start();

  const put = async (client: NodeClient, record: VersionRecord, data: Buffer, checksum = crc32(data)) => {
    const p = client.putStream({ size: data.length, checksum: 'CRC32' });
    p.body.write(data);
    p.body.end(putTrailer(record, checksum));
    return p.done;
  };

  it('GIVEN 64 small puts at once WHEN they are answered THEN each is readable and the journal made them durable in fewer fsyncs than commits', async () => {
    const { node, client } = await start();
    const objects = Array.from({ length: 64 }, (_, i) => ({ record: objectRecord(`group/${i}`, 100 + i, 4096), data: randomBytes(4096) }));
    const results = await Promise.all(objects.map((o) => put(client, o.record, o.data)));
    assert.ok(results.every((r) => r.applied));
    for (const o of objects) assert.ok((await readAll(await client.data(recordIdentity(o.record)))).equals(o.data));
    const { journal } = await client.health();
    assert.equal(journal.commits, 64);
    assert.ok(journal.syncs < journal.commits, `${journal.syncs} fdatasyncs for ${journal.commits} commits`);
    await node.stop();
  });

  it('GIVEN answered journaled puts WHEN the node is killed -9 and their files lost (a machine crash before writeback) THEN a restart replays the journal and every object reads back byte-exact', async () => {
    const { node, client } = await start();
    const objects = Array.from({ length: 20 }, (_, i) => ({ record: objectRecord(`crash/${i}`, 1000 + i, 1000 + i * 97), data: randomBytes(1000 + i * 97) }));
    for (const o of objects) assert.equal((await put(client, o.record, o.data)).applied, true);
    node.kill('SIGKILL');
    await node.exited;
    // What a crash can leave of files that never reached the disk: some empty, some gone.
    for (const [i, o] of objects.entries()) {
      const files = replicaFiles(harness.dataDir, recordIdentity(o.record));
      if (i % 2 === 0) await writeFile(files.data, '');
      else await rm(files.meta, { force: true });
    }
    const again = await start();
    for (const o of objects) {
      assert.deepEqual(await again.client.current('jr', o.record.key), o.record);
      assert.ok((await readAll(await again.client.data(recordIdentity(o.record)))).equals(o.data), o.record.key);
    }
    assert.equal((await again.client.health()).quarantined, 0);
    assert.match(await readFile(path.join(harness.root, 'node.log'), 'utf8'), /"event":"journal-replayed"/);
    assert.equal((await readdir(path.join(harness.dataDir, 'journal'))).length, 1, 'the replayed segments are gone; one new segment');
    await again.node.stop();
  });

  it('GIVEN a put whose trailer checksum differs from its bytes, or one cut off before its trailer WHEN sent THEN nothing is committed and the node keeps serving', async () => {
    const { node, client } = await start();
    const data = randomBytes(3000);
    const wrong = objectRecord('refused/checksum', 5000, data.length);
    await assert.rejects(put(client, wrong, data, crc32(randomBytes(3000))), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_STORAGE_CHECKSUM_MISMATCH' && /nothing was committed/.test(e.message));
    assert.equal(await client.current('jr', 'refused/checksum'), undefined);

    const cut = objectRecord('refused/cut', 5001, data.length);
    const p = client.putStream({ size: data.length, checksum: 'CRC32' });
    p.body.write(data);
    await new Promise((r) => setTimeout(r, 50));
    p.body.destroy();
    await assert.rejects(p.done);
    const ok = objectRecord('after/refusals', 5002, data.length);
    assert.equal((await put(client, ok, data)).applied, true);
    assert.equal(await client.current('jr', cut.key), undefined);
    assert.deepEqual(await client.current('jr', 'after/refusals'), ok);
    await node.stop();
  });

  it('GIVEN a put larger than the journal takes WHEN sent THEN it is staged to a file, committed and read back', async () => {
    const { node, client } = await start();
    const data = randomBytes(INLINE_MAX_BYTES * 3 + 123);
    const record = objectRecord('large/one', 6000, data.length);
    const before = (await client.health()).journal.commits;
    assert.equal((await put(client, record, data)).applied, true);
    assert.equal((await client.health()).journal.commits, before, 'not journaled');
    assert.ok((await readAll(await client.data(recordIdentity(record)))).equals(data));
    await node.stop();
  });
});
