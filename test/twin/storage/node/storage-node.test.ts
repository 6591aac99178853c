import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { checksumOf } from '../../../../src/twin/s3/checksums.ts';
import { NodeClient } from '../../../../src/twin/storage/node-client.ts';
import { replicaFiles } from '../../../../src/twin/storage/node/layout.ts';
import { startStorageNode, type StorageNodeProcess } from '../../../../src/twin/storage/node/launch.ts';
import { recordIdentity, type BucketRecord, type PartRecord, type UploadRecord, type VersionRecord } from '../../../../src/twin/storage/records.ts';

const seq = (n: number): string => n.toString(16).padStart(18, '0');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function objectRecord(bucket: string, key: string, n: number, size: number, versionId = 'null'): VersionRecord {
  return { type: 'version', bucket, key, versionId, seq: seq(n), kind: 'object', lastModified: n, size, etag: '"e"', headers: { userMetadata: {} } };
}

function partRecord(bucket: string, uploadId: string, partNumber: number, n: number, data: Buffer): PartRecord {
  return { type: 'part', bucket, key: 'mp', uploadId, partNumber, seq: seq(n), size: data.length, etag: `"${md5(data)}"`, lastModified: n };
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under dir, relative to it. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)));
}

function vmKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN));
}

describe('storage node', () => {
  let root: string;
  let node: StorageNodeProcess;
  let client: NodeClient;
  const token = randomBytes(24).toString('base64url');

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hastack-storage-node-'));
    await writeFile(path.join(root, 'token'), token + '\n', { mode: 0o600 });
    node = await startStorageNode({ dataDir: path.join(root, 'data'), zone: 'local-1a', tokenFile: path.join(root, 'token'), logFile: path.join(root, 'node.log') });
    client = new NodeClient({ url: node.url, token, zone: 'local-1a' });
  });

  after(async () => {
    client?.close();
    await node?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const put = async (record: VersionRecord | PartRecord, data: Buffer): Promise<boolean> => {
    const staged = await client.stage(data);
    return (await client.commit({ stageId: staged.stageId, record })).applied;
  };

  it('GIVEN staged and committed bytes WHEN read back THEN they are byte-exact, with the MD5 and checksum the node computed', async () => {
    const data = randomBytes(300_000);
    const staged = await client.stage(data, { checksum: 'CRC32' });
    assert.equal(staged.size, data.length);
    assert.equal(staged.md5, md5(data));
    assert.equal(staged.checksum, checksumOf('CRC32', data));
    assert.equal(await client.current('b1', 'small'), undefined, 'staged bytes are invisible');
    const record = objectRecord('b1', 'small', 10, data.length);
    assert.deepEqual(await client.commit({ stageId: staged.stageId, record }), { applied: true });
    assert.deepEqual(await client.current('b1', 'small'), record);
    assert.deepEqual(await client.record(recordIdentity(record)), record);
    assert.ok((await readAll(await client.data(recordIdentity(record)))).equals(data));
    const empty = objectRecord('b1', 'empty', 11, 0);
    assert.equal(await put(empty, Buffer.alloc(0)), true);
    assert.equal((await readAll(await client.data(recordIdentity(empty)))).length, 0);
    const health = await client.health();
    assert.equal(health.zone, 'local-1a');
    assert.equal(health.pid, node.pid);
    assert.equal(health.records, 2);
    assert.equal(health.bytes, data.length);
  });

  it('GIVEN a 40 MiB object streamed in WHEN staged, committed and read back THEN it is byte-exact and the node memory does not grow with its size', async (t) => {
    const size = 40 * 1024 * 1024;
    const chunk = 64 * 1024;
    const hash = createHash('md5');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= size) return void this.push(null);
        const c = randomBytes(chunk);
        hash.update(c);
        sent += c.length;
        this.push(c);
      },
    });
    const rssBefore = await vmKiB(node.pid, 'VmRSS');
    const s = client.stageStream();
    source.pipe(s.body);
    const staged = await s.done;
    const expectedMd5 = hash.digest('hex');
    assert.equal(staged.size, size);
    assert.equal(staged.md5, expectedMd5);
    const record = objectRecord('b1', 'big', 20, size);
    assert.equal((await client.commit({ stageId: staged.stageId, record })).applied, true);
    const back = createHash('md5');
    let got = 0;
    for await (const c of await client.data(recordIdentity(record))) {
      back.update(c as Buffer);
      got += (c as Buffer).length;
    }
    assert.equal(got, size);
    assert.equal(back.digest('hex'), expectedMd5);
    const peak = await vmKiB(node.pid, 'VmHWM');
    const growthMiB = (peak - Math.min(peak, rssBefore)) / 1024;
    t.diagnostic(`node RSS before ${Math.round(rssBefore / 1024)} MiB, peak ${Math.round(peak / 1024)} MiB (growth ${growthMiB.toFixed(1)} MiB for a 40 MiB object)`);
    assert.ok(growthMiB < 80, `the node's peak RSS grew by ${growthMiB.toFixed(1)} MiB while a 40 MiB object went through`);
  });

  it('GIVEN staged bytes WHEN aborted, or the stage is cancelled by its signal mid-body THEN the node keeps nothing and a later commit of them is refused', async () => {
    const staged = await client.stage(randomBytes(1000));
    await client.abort([staged.stageId]);
    await assert.rejects(client.commit({ stageId: staged.stageId, record: objectRecord('b1', 'aborted', 1, 1000) }), { code: 'HASTACK_STORAGE_STAGE_NOT_FOUND' });
    const controller = new AbortController();
    const s = client.stageStream({ signal: controller.signal });
    s.body.on('error', () => {});
    s.body.write(randomBytes(100_000));
    controller.abort();
    await assert.rejects(s.done, { code: 'HASTACK_STORAGE_ABORTED' });
    const deadline = Date.now() + 5000;
    while ((await readdir(path.join(node.dataDir, 'staging'))).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await readdir(path.join(node.dataDir, 'staging')), []);
  });

  it('GIVEN a stored record WHEN a commit of the same identity with a lower or equal seq arrives THEN it is not applied and nothing changes', async () => {
    const first = objectRecord('b2', 'k', 100, 3);
    assert.equal(await put(first, Buffer.from('one')), true);
    assert.equal(await put({ ...first, seq: seq(99) }, Buffer.from('old')), false);
    assert.equal(await put({ ...first, seq: seq(100), etag: '"other"' }, Buffer.from('two')), false);
    assert.deepEqual(await client.current('b2', 'k'), first);
    assert.equal((await readAll(await client.data(recordIdentity(first)))).toString(), 'one');
    const newer = { ...first, seq: seq(101), size: 5 };
    assert.equal(await put(newer, Buffer.from('three')), true);
    assert.equal((await readAll(await client.data(recordIdentity(first)))).toString(), 'three');
    // A tombstone removes the bytes and keeps the record.
    const tomb: VersionRecord = { ...first, seq: seq(102), kind: 'tombstone', size: 0 };
    assert.equal((await client.commit({ record: tomb })).applied, true);
    assert.deepEqual(await client.record(recordIdentity(first)), tomb);
    await assert.rejects(client.data(recordIdentity(first)), { code: 'HASTACK_STORAGE_NOT_FOUND' });
    await assert.rejects(stat(replicaFiles(node.dataDir, recordIdentity(first)).data), { code: 'ENOENT' });
    assert.equal(await put({ ...first, seq: seq(101) }, Buffer.from('one')), false, 'the purged version cannot come back');
    assert.equal((await readdir(path.join(node.dataDir, 'staging'))).length, 0, 'stages of refused commits are dropped');
  });

  it('GIVEN an object of several blocks WHEN ranges are read THEN each answer is exactly those bytes, and a range past the end is refused', async () => {
    const data = randomBytes(600_000);
    const record = objectRecord('b3', 'ranged', 200, data.length);
    await put(record, data);
    const id = recordIdentity(record);
    for (const [start, end] of [
      [0, 0],
      [100, 262_144 + 10],
      [262_143, 262_144],
      [data.length - 1, data.length - 1],
      [0, data.length - 1],
      [524_288, 599_999],
    ] as const) {
      assert.ok((await readAll(await client.data(id, { start, end }))).equals(data.subarray(start, end + 1)), `range ${start}-${end}`);
    }
    await assert.rejects(client.data(id, { start: 10, end: data.length }), { code: 'HASTACK_STORAGE_RANGE_INVALID' });
    await assert.rejects(client.data(id, { start: 10, end: 5 }), { code: 'HASTACK_STORAGE_RANGE_INVALID' });
  });

  it('GIVEN versions of several keys WHEN listed with prefix, after, limit and all THEN pages come sorted with a next marker', async () => {
    const keys = ['photos/a', 'photos/b', 'photos/c', 'zz'];
    let n = 300;
    for (const k of keys) await client.commit({ record: { ...objectRecord('lb', k, n++, 0, 'm1'), kind: 'marker' } });
    await put(objectRecord('lb', 'photos/b', n++, 1, 'v2'), Buffer.from('x'));
    const p1 = await client.list({ bucket: 'lb', prefix: 'photos/', limit: 2 });
    assert.deepEqual(p1.records.map((r) => r.key), ['photos/a', 'photos/b']);
    assert.equal(p1.records[1]!.versionId, 'v2', 'the current view shows the greatest seq');
    assert.equal(p1.next, 'photos/b');
    const p2 = await client.list({ bucket: 'lb', prefix: 'photos/', limit: 2, after: p1.next! });
    assert.deepEqual(p2.records.map((r) => r.key), ['photos/c']);
    assert.equal(p2.next, undefined);
    const all = await client.list({ bucket: 'lb', all: true });
    assert.deepEqual(all.records.map((r) => `${r.key}@${r.versionId}`), ['photos/a@m1', 'photos/b@v2', 'photos/b@m1', 'photos/c@m1', 'zz@m1']);
    assert.deepEqual((await client.versions('lb', 'photos/b')).map((r) => r.versionId), ['v2', 'm1']);
    assert.deepEqual(await client.versions('lb', 'nothing'), []);
  });

  it('GIVEN bucket, upload and part records WHEN listed and assembled THEN the object is the parts concatenated, a missing part is named, and completion drops the parts', async () => {
    const bucket: BucketRecord = { type: 'bucket', bucket: 'mpb', seq: seq(400), deleted: false, createdAt: 1, versioning: 'Enabled' };
    assert.equal((await client.commit({ record: bucket })).applied, true);
    assert.deepEqual((await client.buckets()).find((b) => b.bucket === 'mpb'), bucket);
    const upload: UploadRecord = { type: 'upload', bucket: 'mpb', key: 'mp', uploadId: 'up1', seq: seq(401), state: 'open', initiated: 1, headers: { userMetadata: {} } };
    await client.commit({ record: upload });
    assert.deepEqual(await client.uploads('mpb'), [upload]);
    const parts = [randomBytes(300_000), randomBytes(123_457), randomBytes(5)];
    const recs = parts.map((d, i) => partRecord('mpb', 'up1', i + 1, 402 + i, d));
    for (const [i, r] of [...recs.entries()].reverse()) assert.equal(await put(r, parts[i]!), true);
    assert.deepEqual((await client.parts('mpb', 'up1')).map((p) => p.partNumber), [1, 2, 3]);
    const whole = Buffer.concat(parts);
    const object = { ...objectRecord('mpb', 'mp', 410, whole.length, 'v1'), etag: '"x-3"' };
    const listed = recs.map((r) => ({ partNumber: r.partNumber, etag: r.etag }));
    assert.deepEqual(await client.assemble({ bucket: 'mpb', uploadId: 'up1', parts: [listed[0]!, { partNumber: 2, etag: '"wrong"' }, { partNumber: 9, etag: '"x"' }], record: object }), { ok: false, missing: [2, 9] });
    assert.equal(await client.current('mpb', 'mp'), undefined, 'a failed assembly leaves nothing visible');
    const done = await client.assemble({ bucket: 'mpb', uploadId: 'up1', parts: listed, record: object, checksum: 'CRC32C' });
    assert.deepEqual(done, { ok: true, checksum: checksumOf('CRC32C', whole) });
    assert.deepEqual(await client.current('mpb', 'mp'), object);
    assert.ok((await readAll(await client.data(recordIdentity(object)))).equals(whole));
    await client.commit({ record: { ...upload, seq: seq(411), state: 'completed' } });
    assert.deepEqual(await client.parts('mpb', 'up1'), []);
    for (const r of recs) await assert.rejects(stat(replicaFiles(node.dataDir, recordIdentity(r)).data), { code: 'ENOENT' });
    assert.equal(await put({ ...recs[0]!, seq: seq(412) }, parts[0]!), false, 'a part of a completed upload is not taken');
    assert.equal((await client.uploads('mpb'))[0]!.state, 'completed');
  });

  it('GIVEN the inventory WHEN paged and digested THEN every record appears once and digests are stable until a commit', async () => {
    const all = [];
    let after: string | undefined;
    do {
      const page = await client.inventory(after, 3);
      all.push(...page.entries);
      after = page.next;
    } while (after !== undefined);
    assert.equal(all.length, (await client.health()).records);
    assert.equal(new Set(all.map((e) => e.id)).size, all.length);
    const d1 = await client.digest(16);
    assert.equal(d1.ranges.length, 16);
    assert.deepEqual(await client.digest(16), d1);
    await client.commit({ record: { type: 'bucket', bucket: 'digest', seq: seq(500), deleted: false, createdAt: 0 } });
    const d2 = await client.digest(16);
    assert.equal(d2.ranges.filter((d, i) => d !== d1.ranges[i]).length, 1);
  });

  it('GIVEN requests without the token, with bad JSON, unknown routes, oversize or invalid bodies, or a stage cut short THEN each gets a coded 4xx and the node keeps serving', async () => {
    const call = async (p: string, init: RequestInit = {}): Promise<{ status: number; code: string }> => {
      const r = await fetch(`${node.url}${p}`, init);
      return { status: r.status, code: ((await r.json()) as { code: string }).code };
    };
    const auth = { authorization: `Bearer ${token}` };
    assert.deepEqual(await call('/health'), { status: 401, code: 'HASTACK_STORAGE_UNAUTHORIZED' });
    assert.deepEqual(await call('/health', { headers: { authorization: 'Bearer nope' } }), { status: 401, code: 'HASTACK_STORAGE_UNAUTHORIZED' });
    const wrong = new NodeClient({ url: node.url, token: 'wrong', zone: 'local-1a' });
    await assert.rejects(wrong.health(), (e: Error & { code?: string; details?: Record<string, unknown> }) => e.code === 'HASTACK_STORAGE_UNAUTHORIZED' && e.details?.['zone'] === 'local-1a' && e.details['status'] === 401);
    wrong.close();
    assert.deepEqual(await call('/commit', { method: 'POST', headers: auth, body: '{bad' }), { status: 400, code: 'HASTACK_STORAGE_INVALID_JSON' });
    assert.deepEqual(await call('/nope', { headers: auth }), { status: 404, code: 'HASTACK_STORAGE_UNKNOWN_ROUTE' });
    assert.deepEqual(await call('/commit', { headers: auth }), { status: 404, code: 'HASTACK_STORAGE_UNKNOWN_ROUTE' });
    assert.deepEqual(await call('/commit', { method: 'POST', headers: auth, body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) }), { status: 413, code: 'HASTACK_STORAGE_BODY_TOO_LARGE' });
    await assert.rejects(client.commit({ record: { ...objectRecord('b', 'k', 1, 1), seq: 'soon' } }), (e: Error & { code?: string }) => e.code === 'HASTACK_STORAGE_INVALID_REQUEST' && /record\.seq is "soon"/.test(e.message));
    await assert.rejects(client.commit({ record: objectRecord('b', 'k', 1, 1) }), (e: Error & { code?: string }) => e.code === 'HASTACK_STORAGE_INVALID_REQUEST' && /stageId/.test(e.message));
    await assert.rejects(client.commit({ stageId: 'f'.repeat(32), record: objectRecord('b', 'k', 1, 1) }), { code: 'HASTACK_STORAGE_STAGE_NOT_FOUND' });
    const staged = await client.stage(Buffer.from('abc'));
    await assert.rejects(client.commit({ stageId: staged.stageId, record: objectRecord('b', 'k', 1, 4) }), { code: 'HASTACK_STORAGE_SIZE_MISMATCH' });
    assert.equal(await client.current('b', 'k'), undefined);

    // A stage whose body ends early: announce 1 MB, send 1000 bytes, hang up.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(node.port, '127.0.0.1', () => {
        s.write(`POST /stage HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-length: 1000000\r\n\r\n`);
        s.write(randomBytes(1000), () => setTimeout(() => s.destroy(), 100));
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const deadline = Date.now() + 5000;
    while ((await readdir(path.join(node.dataDir, 'staging'))).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await readdir(path.join(node.dataDir, 'staging')), [], 'nothing of the cut stage is kept');
    const log = await readFile(path.join(root, 'node.log'), 'utf8');
    assert.match(log, /"event":"stage-incomplete"/);
    assert.equal((await client.health()).zone, 'local-1a', 'still serving');
  });

  it('GIVEN hostile buckets, keys and upload ids WHEN stored and read THEN they round-trip and nothing is created outside the data folder', async () => {
    const names = ['../../etc/passwd', '/abs', 'a\u0000b', '日本語/ключ/😀', 'k'.repeat(1024), '..', '.', 'a/../../b', '..\\..\\win', '%2e%2e%2f'];
    let n = 600;
    for (const bucket of ['../../etc', '/abs', 'plain']) {
      for (const key of names) {
        const data = Buffer.from(`${bucket}|${key}`);
        const record = objectRecord(bucket, key, n++, data.length, key.slice(0, 40));
        assert.equal(await put(record, data), true);
        assert.deepEqual(await client.current(bucket, key), record);
        assert.ok((await readAll(await client.data(recordIdentity(record)))).equals(data));
      }
    }
    const part = partRecord('../x', '../../up', 1, n++, Buffer.from('p'));
    assert.equal(await put(part, Buffer.from('p')), true);
    assert.equal((await client.list({ bucket: '/abs', limit: 1000 })).records.length, names.length);
    const files = await walk(node.dataDir);
    for (const f of files) assert.match(f, /^(objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.(data|meta)|journal\/\d{16}\.log|node\.lock)$/, `unexpected file ${f}`);
    assert.deepEqual((await readdir(root)).sort(), ['data', 'node.log', 'token']);
  });
});
