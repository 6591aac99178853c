import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { NodeClient } from '../../../../src/twin/storage/node-client.ts';
import { replicaFiles } from '../../../../src/twin/storage/node/layout.ts';
import { startStorageNode, type StorageNodeProcess } from '../../../../src/twin/storage/node/launch.ts';
import { recordIdentity, type PartRecord, type VersionRecord } from '../../../../src/twin/storage/records.ts';

const seq = (n: number): string => n.toString(16).padStart(18, '0');

function objectRecord(key: string, n: number, size: number): VersionRecord {
  return { type: 'version', bucket: 'dmg', key, versionId: 'null', seq: seq(n), kind: 'object', lastModified: n, size, etag: '"e"', headers: { userMetadata: {} } };
}

/** Flips one byte of a file in place. */
async function corrupt(file: string, offset: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Reads a stream to its end or error: the bytes that came, and the error if any. */
async function drain(s: Readable): Promise<{ bytes: Buffer; error?: Error & { code?: string } }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of s) chunks.push(c as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('storage node damage', () => {
  let root: string;
  const token = randomBytes(24).toString('base64url');
  const nodes: StorageNodeProcess[] = [];
  let nodeA: { node: StorageNodeProcess; client: NodeClient } | undefined;
  const clients: NodeClient[] = [];

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-storage-damage-'));
    await writeFile(path.join(root, 'token'), token, { mode: 0o600 });
  });

  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(root, { recursive: true, force: true });
  });

  const start = async (name: string, extra: { scrubIntervalMs?: number; scrubBytesPerSecond?: number } = {}) => {
    const node = await startStorageNode({ dataDir: path.join(root, name), zone: name, tokenFile: path.join(root, 'token'), logFile: path.join(root, `${name}.log`), ...extra });
    nodes.push(node);
    const client = new NodeClient({ url: node.url, token, zone: name });
    clients.push(client);
    const put = async (record: VersionRecord, data: Buffer): Promise<void> => {
      const staged = await client.stage(data);
      assert.equal((await client.commit({ stageId: staged.stageId, record })).applied, true);
    };
    return { node, client, put };
  };

  it('GIVEN a byte flipped in a stored object WHEN it is read THEN the answer ends early before the bad block, and the replica is quarantined and counted', async () => {
    const { node, client, put } = await start('read-a');
    nodeA = { node, client };
    const data = randomBytes(700_000);
    const record = objectRecord('rot', 1, data.length);
    await put(record, data);
    const id = recordIdentity(record);
    const files = replicaFiles(node.dataDir, id);
    await corrupt(files.data, 300_000); // inside block 1 (256 KiB blocks)

    const got = await drain(await client.data(id));
    assert.equal(got.error?.code, 'HASTACK_STORAGE_DATA_TRUNCATED');
    assert.ok(got.bytes.length <= 262_144, `only verified blocks were sent (${got.bytes.length} bytes)`);
    assert.ok(got.bytes.equals(data.subarray(0, got.bytes.length)), 'what came is the intact prefix');

    await until('quarantine', async () => (await client.health()).quarantined === 1);
    // The record stays known (a quorum read must still see it), but no bytes are served for it and
    // the inventory leaves it out, so repair copies a good replica back.
    assert.deepEqual(await client.current('dmg', 'rot'), record, 'the record is still known');
    await assert.rejects(client.data(id), /not|404/i);
    assert.ok(!(await client.inventory()).entries.some((e) => e.id === id), 'a damaged replica is not in the inventory');
    await assert.rejects(stat(files.data), { code: 'ENOENT' });
    assert.equal((await readdir(path.join(node.dataDir, 'quarantine'))).length, 2, 'data and a copy of the meta moved aside');
    assert.match(await readFile(path.join(root, 'read-a.log'), 'utf8'), /"event":"replica-quarantined".*"reason":"read: block 1 does not match its CRC32"/);

    // A range whose first block is damaged fails as well, before any byte.
    const other = objectRecord('rot2', 2, data.length);
    await put(other, data);
    await corrupt(replicaFiles(node.dataDir, recordIdentity(other)).data, 600_000);
    const ranged = await drain(await client.data(recordIdentity(other), { start: 599_990, end: 600_010 }));
    assert.equal(ranged.error?.code, 'HASTACK_STORAGE_DATA_TRUNCATED');
    assert.equal(ranged.bytes.length, 0);
    await until('second quarantine', async () => (await client.health()).quarantined === 2);
    assert.deepEqual((await client.inventory()).entries, []);

    // Repair: the same record with good bytes replaces the damaged replica.
    const staged = await client.stage(data);
    assert.equal((await client.commit({ stageId: staged.stageId, record })).applied, true);
    assert.ok((await drain(await client.data(id))).bytes.equals(data));
    assert.deepEqual((await client.inventory()).entries.map((e) => e.id), [id]);
  });

  it('GIVEN small and large objects WHEN the current record is asked for with its bytes THEN small ones come verified in the same answer, large ones and rotted ones do not, and a rotted one is quarantined', async () => {
    const { node, client, put } = await start('small-read');
    const small = randomBytes(4096);
    const smallRecord = objectRecord('small', 10, small.length);
    await put(smallRecord, small);
    const large = randomBytes(300_000);
    await put(objectRecord('large', 11, large.length), large);

    const got = await client.currentWithBytes('dmg', 'small');
    assert.deepEqual(got?.record, smallRecord);
    assert.ok(got?.bytes?.equals(small), 'a small object comes with its record');
    const big = await client.currentWithBytes('dmg', 'large');
    assert.equal(big?.record.size, large.length);
    assert.equal(big?.bytes, undefined, 'bytes above 256 KiB are read with /data');
    assert.ok((await drain(await client.data(recordIdentity(objectRecord('large', 11, large.length))))).bytes.equals(large));
    assert.equal(await client.currentWithBytes('dmg', 'absent'), undefined);

    await corrupt(replicaFiles(node.dataDir, recordIdentity(smallRecord)).data, 100);
    const rotted = await client.currentWithBytes('dmg', 'small');
    assert.deepEqual(rotted?.record, smallRecord, 'the record is still known');
    assert.equal(rotted?.bytes, undefined, 'bytes that fail their CRC32 are never sent');
    await until('quarantine', async () => (await client.health()).quarantined === 1);
    await assert.rejects(client.data(recordIdentity(smallRecord)), /not|404/i);
    await assert.rejects(fetch(`${node.url}/current?bucket=dmg&key=small&bytes=all`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
      if (r.status !== 400) throw new Error(`status ${r.status}`);
      throw new Error((await r.json() as { message: string }).message);
    }), /query parameter bytes.*"all".*expected small/);
  });

  it('GIVEN a part whose file rotted WHEN an upload is assembled THEN that part is named missing, quarantined, and nothing is committed', async () => {
    const { node, client } = nodeA!;
    const parts = [randomBytes(400_000), randomBytes(400_000)];
    const recs = parts.map((d, i): PartRecord => ({ type: 'part', bucket: 'dmg', key: 'mp', uploadId: 'u1', partNumber: i + 1, seq: seq(50 + i), size: d.length, etag: `"p${i}"`, lastModified: 1 }));
    for (const [i, r] of recs.entries()) {
      const staged = await client.stage(parts[i]!);
      await client.commit({ stageId: staged.stageId, record: r });
    }
    const before = (await client.health()).quarantined;
    await corrupt(replicaFiles(node.dataDir, recordIdentity(recs[1]!)).data, 300_000);
    const object = objectRecord('mp', 60, 800_000);
    const result = await client.assemble({ bucket: 'dmg', uploadId: 'u1', parts: recs.map((r) => ({ partNumber: r.partNumber, etag: r.etag })), record: object });
    assert.deepEqual(result, { ok: false, missing: [2] });
    assert.equal((await client.health()).quarantined, before + 1);
    assert.equal(await client.current('dmg', 'mp'), undefined);
    assert.ok(!(await client.inventory()).entries.some((e) => e.id === recordIdentity(recs[1]!)), 'the damaged part awaits repair');
    assert.deepEqual(await readdir(path.join(node.dataDir, 'staging')), []);
  });

  it('GIVEN the scrubber running fast WHEN a stored file rots or shrinks unread THEN it quarantines them by itself, verifies the rest, and keeps to its rate', async () => {
    const { node, client, put } = await start('scrub-b', { scrubIntervalMs: 200, scrubBytesPerSecond: 8 * 1024 * 1024 });
    const good = randomBytes(4 * 1024 * 1024);
    const rotten = randomBytes(300_000);
    const short = randomBytes(300_000);
    await put(objectRecord('good', 1, good.length), good);
    await put(objectRecord('rotten', 2, rotten.length), rotten);
    await put(objectRecord('short', 3, short.length), short);
    const total = good.length + rotten.length + short.length;
    await until('a full scrub pass', async () => (await client.health()).scrub.bytesVerified >= total);
    assert.equal((await client.health()).quarantined, 0);

    await corrupt(replicaFiles(node.dataDir, recordIdentity(objectRecord('rotten', 0, 0))).data, 123);
    await truncate(replicaFiles(node.dataDir, recordIdentity(objectRecord('short', 0, 0))).data, 1000);
    await until('the scrubber quarantines both', async () => (await client.health()).quarantined === 2);
    const held = (await client.inventory()).entries.map((e) => e.id);
    assert.deepEqual(held, [recordIdentity(objectRecord('good', 0, 0))], 'only the intact object is held');
    await assert.rejects(client.data(recordIdentity(objectRecord('rotten', 0, 0))), /not|404/i);
    const health = await client.health();
    assert.ok(health.scrub.passes >= 2 && health.scrub.lastPassAt !== undefined && health.scrub.lastPassAt <= Date.now());

    const log = await readFile(path.join(root, 'scrub-b.log'), 'utf8');
    assert.match(log, /"reason":"scrubber: block 0 does not match its CRC32"/);
    const passes = log
      .split('\n')
      .filter((l) => l.includes('"event":"scrub-pass"'))
      .map((l) => JSON.parse(l) as { bytes: number; ms: number });
    const big = passes.find((p) => p.bytes >= good.length);
    assert.ok(big !== undefined);
    // 4 MiB and more at 8 MiB/s takes at least half a second.
    assert.ok(big.ms >= 400, `a pass of ${big.bytes} bytes took ${big.ms} ms at 8 MiB/s`);
  });
});
