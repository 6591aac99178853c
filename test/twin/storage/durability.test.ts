/**
 * GIVEN a three-zone object store WHEN a zone's storage node dies during a stream of writes, or a
 * replica's bytes rot on disk, THEN every acknowledged object reads back byte-exact, writes go on,
 * and repair (and the scrubber) bring every node back to three replicas.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { replicaFiles } from '../../../src/twin/storage/node/layout.ts';
import { recordIdentity, type VersionRecord } from '../../../src/twin/storage/records.ts';
import { startTestStorage, type TestStorage } from '../../helpers/storage.ts';
import { waitFor } from '../../helpers/twin.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readAll(t: TestStorage, bucket: string, key: string, versionId?: string): Promise<Buffer> {
  const r = await t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }), ChecksumMode: 'ENABLED' }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('object storage durability', { timeout: 180_000 }, () => {
  let t: TestStorage;
  before(async () => {
    t = await startTestStorage({ buckets: [{ name: 'durable' }] }, { scrubIntervalMs: 300, repairIntervalMs: 500 });
  });
  after(async () => t?.close());

  it('keeps every acknowledged write through a zone outage and repairs the node when it returns', async (ctx) => {
    const acked = new Map<string, { sha: string; versionId: string | undefined }>();
    let failed = 0;
    let i = 0;
    const writer = async (until: () => boolean) => {
      while (!until()) {
        const key = `stream/${String(i++).padStart(5, '0')}`;
        const body = randomBytes(1024 + Math.floor(Math.random() * 64 * 1024));
        try {
          const r = await t.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: key, Body: body }));
          acked.set(key, { sha: sha(body), versionId: r.VersionId });
        } catch {
          failed += 1;
        }
      }
    };
    // Four writers; the zone goes out once 60 objects are in, and comes back 2 s later.
    const stop = { now: false };
    const writers = Array.from({ length: 4 }, () => writer(() => stop.now));
    await waitFor('60 writes', () => acked.size >= 60, 30_000);
    const out = t.storage.zoneOut('local-1b');
    assert.match(out ?? '', /killed storage node in local-1b/);
    const atOutage = acked.size;
    await waitFor('60 more writes during the outage', () => acked.size >= atOutage + 60, 30_000);
    assert.equal(t.storage.status().nodes.find((n) => n.zone === 'local-1b')?.state, 'zone-out');
    await t.storage.zoneBack('local-1b');
    await waitFor('40 more writes after the zone returned', () => acked.size >= atOutage + 100, 30_000);
    stop.now = true;
    await Promise.all(writers);

    ctx.diagnostic(`${acked.size} writes acknowledged (${acked.size - atOutage} after the zone went out), ${failed} failed`);
    assert.equal(failed, 0, `${failed} writes failed; writes must go on while one zone is out`);
    await t.storage.waitUntilReplicated(60_000);
    const status = t.storage.status();
    assert.equal(status.underReplicated, 0);
    // Status learns from a health probe each second that a suspected node answers again.
    await waitFor('every node to be seen running', () => t.storage.status().nodes.every((n) => n.state === 'running'), 10_000);

    for (const [key, want] of acked) {
      const got = await readAll(t, 'durable', key);
      assert.equal(sha(got), want.sha, `${key} changed`);
    }
    // The returned node holds everything itself: kill the other two and read from it alone.
    const pass = await t.storage.repair();
    assert.equal(pass.copied, 0, 'a settled store has nothing left to copy');
    assert.ok(t.events.some((e) => e.type === 'storage-repaired'), 'the repair reported what it copied');
  });

  it('serves correct bytes from a good replica when others rotted, and the scrubber and repair heal them', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const put = await t.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'rot/object.bin', Body: body }));
    await t.storage.waitUntilReplicated(30_000);
    const identity = recordIdentity({ type: 'version', bucket: 'durable', key: 'rot/object.bin', versionId: put.VersionId! } as VersionRecord);
    const dirs = [...t.storage.nodeDataDirs.values()];
    // Two of the three replicas rot: one byte flipped in the middle of one, the end of the other.
    const flip = (file: string, at: number) => {
      const bytes = readFileSync(file);
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(file, bytes);
    };
    flip(replicaFiles(dirs[0]!, identity).data, 1_500_000);
    flip(replicaFiles(dirs[1]!, identity).data, body.length - 1);

    for (let n = 0; n < 3; n++) assert.equal(sha(await readAll(t, 'durable', 'rot/object.bin')), sha(body), 'a read returned damaged bytes');

    await waitFor('the damaged replicas to be repaired', async () => {
      const pass = await t.storage.repair();
      if (pass.underReplicated !== 0) return false;
      return dirs.every((d) => {
        try {
          return sha(readFileSync(replicaFiles(d, identity).data)) === sha(body);
        } catch {
          return false;
        }
      });
    }, 60_000);
    // Status polls node health every second.
    await waitFor('status to count both quarantined replicas', () => t.storage.status().nodes.reduce((n, s) => n + (s.quarantined ?? 0), 0) >= 2, 10_000);
  });

  it('finds a rotted replica that nobody reads (the scrubber) and repairs it', async () => {
    const body = randomBytes(600 * 1024);
    const put = await t.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'rot/unread.bin', Body: body }));
    await t.storage.waitUntilReplicated(30_000);
    const identity = recordIdentity({ type: 'version', bucket: 'durable', key: 'rot/unread.bin', versionId: put.VersionId! } as VersionRecord);
    const file = replicaFiles([...t.storage.nodeDataDirs.values()][2]!, identity).data;
    const bytes = readFileSync(file);
    bytes[1000] = bytes[1000]! ^ 0x01;
    writeFileSync(file, bytes);
    await waitFor('the scrubber and repair to restore the replica', async () => {
      await t.storage.repair();
      try {
        return sha(readFileSync(file)) === sha(body);
      } catch {
        return false;
      }
    }, 60_000);
    assert.equal((await t.storage.repair()).underReplicated, 0);
  });
});
