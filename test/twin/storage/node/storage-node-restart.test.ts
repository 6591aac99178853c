import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isHastackError } from '../../../../src/errors.ts';
import { BlockCrcs, BLOCK_SIZE } from '../../../../src/twin/storage/node/blocks.ts';
import { identityHash, metaNextFile, replicaFiles, stagingFile } from '../../../../src/twin/storage/node/layout.ts';
import { startStorageNode } from '../../../../src/twin/storage/node/launch.ts';
import { encodeMeta } from '../../../../src/twin/storage/node/meta.ts';
import { recordIdentity, type VersionRecord } from '../../../../src/twin/storage/records.ts';
import { storageNodeHarness } from '../../../helpers/storage-node.ts';

const seq = (n: number): string => n.toString(16).padStart(18, '0');

function objectRecord(key: string, n: number, size: number): VersionRecord {
  return { type: 'version', bucket: 'rs', key, versionId: 'null', seq: seq(n), kind: 'object', lastModified: n, size, etag: '"e"', headers: { userMetadata: {} } };
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('storage node restarts', () => {
  const h = storageNodeHarness('hastack-storage-restart-', 'local-1c');
  const start = (dir?: string) => h.start(dir);

  it('GIVEN bytes staged but not committed WHEN the node is killed -9 and restarted THEN nothing is visible and the staging area is empty', async () => {
    const { node, client } = await start();
    await client.stage(randomBytes(500_000));
    assert.equal((await readdir(path.join(h.dataDir, 'staging'))).length, 1);
    node.kill('SIGKILL');
    assert.equal(await node.exited, null);
    const again = await start();
    const health = await again.client.health();
    assert.equal(health.records, 0);
    assert.deepEqual(await readdir(path.join(h.dataDir, 'staging')), []);
    assert.deepEqual((await again.client.inventory()).entries, []);
    again.node.kill('SIGKILL');
    await again.node.exited;
  });

  it('GIVEN a commit that was answered WHEN the node is killed -9 and restarted THEN the record and its bytes are still there', async () => {
    const { node, client } = await start();
    const data = randomBytes(1_000_000);
    const record = objectRecord('kept', 10, data.length);
    const staged = await client.stage(data);
    assert.equal((await client.commit({ stageId: staged.stageId, record })).applied, true);
    await client.commit({ record: { type: 'bucket', bucket: 'rs', seq: seq(11), deleted: false, createdAt: 1 } });
    node.kill('SIGKILL');
    await node.exited;
    const again = await start();
    assert.deepEqual(await again.client.current('rs', 'kept'), record);
    assert.ok((await readAll(await again.client.data(recordIdentity(record)))).equals(data));
    assert.equal((await again.client.buckets()).length, 1);
    assert.equal((await again.client.health()).records, 2);
    await again.node.stop();
  });

  it('GIVEN a folder left between the steps of a commit WHEN the node starts THEN a commit that had moved its bytes is finished and one that had not is undone', async () => {
    const dir = path.join(h.root, 'crafted');
    const first = await start(dir);
    const oldData = randomBytes(10_000);
    const old = objectRecord('moved', 1, oldData.length);
    const s = await first.client.stage(oldData);
    await first.client.commit({ stageId: s.stageId, record: old });
    await first.node.stop();

    // Commit A (moved its bytes, died before renaming its meta): the staging file is gone, the data is new.
    const newData = randomBytes(20_000);
    const crcs = new BlockCrcs(BLOCK_SIZE);
    crcs.update(newData);
    const newer = objectRecord('moved', 2, newData.length);
    const idA = recordIdentity(newer);
    await writeFile(replicaFiles(dir, idA).data, newData);
    await writeFile(metaNextFile(dir, identityHash(idA)), encodeMeta({ record: newer, blockSize: BLOCK_SIZE, crcs: crcs.finish(), stageId: 'a'.repeat(32) }));
    // Commit B (died before moving its bytes): the staging file is still there.
    const never = objectRecord('never', 3, 5);
    const idB = recordIdentity(never);
    await writeFile(stagingFile(dir, 'b'.repeat(32)), 'hello');
    await writeFile(metaNextFile(dir, identityHash(idB)), encodeMeta({ record: never, blockSize: BLOCK_SIZE, crcs: [0], stageId: 'b'.repeat(32) }));
    // Leftover bytes with no meta: removed.
    await copyFile(replicaFiles(dir, idA).data, replicaFiles(dir, 'orphan').data);

    const { node, client } = await start(dir);
    assert.deepEqual(await client.current('rs', 'moved'), newer);
    assert.ok((await readAll(await client.data(idA))).equals(newData));
    assert.equal(await client.current('rs', 'never'), undefined);
    assert.equal((await client.health()).quarantined, 0);
    await assert.rejects(stat(replicaFiles(dir, 'orphan').data), { code: 'ENOENT' });
    await assert.rejects(stat(metaNextFile(dir, identityHash(idB))), { code: 'ENOENT' });
    assert.deepEqual(await readdir(path.join(dir, 'staging')), []);
    await node.stop();
  });

  it('GIVEN commits under way WHEN the node gets SIGTERM THEN it exits 0, and every commit answered applied is there after a restart', async (t) => {
    const { node, client } = await start();
    const stages = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const data = randomBytes(2_000_000);
        return { data, staged: await client.stage(data), record: objectRecord(`term-${i}`, 100 + i, data.length) };
      }),
    );
    const answers = stages.map((s) => client.commit({ stageId: s.staged.stageId, record: s.record }).then(
        (r) => (r.applied ? 'applied' : 'refused'),
        (e: unknown) => (isHastackError(e) && e.code === 'HASTACK_STORAGE_SHUTTING_DOWN' ? 'refused' : 'unknown'),
      ),
    );
    await new Promise((r) => setTimeout(r, 5));
    node.kill('SIGTERM');
    assert.equal(await node.exited, 0);
    const applied = await Promise.all(answers);
    t.diagnostic(`${applied.filter((a) => a === 'applied').length} of ${applied.length} commits answered applied before the stop`);
    const again = await start();
    for (const [i, s] of stages.entries()) {
      const current = await again.client.current('rs', s.record.key);
      if (applied[i] === 'applied') {
        assert.deepEqual(current, s.record);
        assert.ok((await readAll(await again.client.data(recordIdentity(s.record)))).equals(s.data));
      } else if (applied[i] === 'refused') {
        assert.equal(current, undefined, 'a commit refused at the stop leaves nothing');
      }
    }
    await again.node.stop();
  });

  it('GIVEN a registry, a folder in use or an unreadable token WHEN starting THEN the group is registered and removed, and failures are coded with the log tail', async () => {
    const seen: string[] = [];
    const registry = { add: (pgid: number) => seen.push(`+${pgid}`), remove: (pgid: number) => seen.push(`-${pgid}`) };
    const node = await startStorageNode({ dataDir: h.dataDir, zone: 'local-1c', tokenFile: h.tokenFile, registry });
    h.adopt(node);
    assert.deepEqual(seen, [`+${node.pid}`]);
    await assert.rejects(startStorageNode({ dataDir: h.dataDir, zone: 'local-1c', tokenFile: h.tokenFile }), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_STORAGE_START_FAILED' && /HASTACK_STORAGE_DATA_DIR_IN_USE/.test(e.message));
    await node.stop();
    assert.deepEqual(seen, [`+${node.pid}`, `-${node.pid}`]);
    assert.equal(groupAlive(node.pid), false);
    await assert.rejects(startStorageNode({ dataDir: h.dataDir, zone: 'local-1c', tokenFile: path.join(h.root, 'missing') }), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_STORAGE_START_FAILED' && /HASTACK_STORAGE_TOKEN_UNREADABLE/.test(e.message));
  });

  it('GIVEN a node started by a process WHEN that process is killed -9 THEN the node stops too (its lifeline ended)', async () => {
    const launch = pathToFileURL(path.resolve('src/twin/storage/node/launch.ts')).href;
    const parentScript = `
      const { startStorageNode } = await import(${JSON.stringify(launch)});
      const node = await startStorageNode({ dataDir: ${JSON.stringify(path.join(h.root, 'orphan'))}, zone: 'local-1c', tokenFile: ${JSON.stringify(h.tokenFile)} });
      process.stdout.write(node.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let nodePid: number | undefined;
    try {
      nodePid = await new Promise<number>((resolve, reject) => {
        let out = '';
        parent.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(Number(out.trim()));
        });
        parent.once('exit', (code) => reject(new Error(`the parent exited (code ${code}) before the node was ready`)));
      });
      assert.equal(groupAlive(nodePid), true);
      parent.kill('SIGKILL');
      const until = Date.now() + 15_000;
      while (groupAlive(nodePid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.equal(groupAlive(nodePid), false, 'the node outlived the process that started it');
    } finally {
      parent.kill('SIGKILL');
      if (nodePid !== undefined && groupAlive(nodePid)) process.kill(-nodePid, 'SIGKILL');
    }
  });

  it('GIVEN a paused node WHEN a metadata call or a byte stream waits on it THEN each fails with a timeout code instead of hanging', async () => {
    const { node, client } = await start(path.join(h.root, 'paused'));
    const data = randomBytes(8 * 1024 * 1024);
    const record = objectRecord('slow', 1, data.length);
    const staged = await client.stage(data);
    await client.commit({ stageId: staged.stageId, record });
    const quick = h.client(node.url, { timeoutMs: 300, stallTimeoutMs: 500 });
    const stream = await quick.data(recordIdentity(record));
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    node.kill('SIGSTOP');
    try {
      const t0 = Date.now();
      await assert.rejects(quick.health(), { code: 'HASTACK_STORAGE_NODE_TIMEOUT' });
      stream.resume();
      await assert.rejects(readAll(stream), { code: 'HASTACK_STORAGE_NODE_TIMEOUT' });
      assert.ok(first.length > 0);
      const s = quick.stageStream();
      s.body.on('error', () => {});
      s.body.write(Buffer.alloc(10));
      await assert.rejects(s.done, { code: 'HASTACK_STORAGE_NODE_TIMEOUT' });
      assert.ok(Date.now() - t0 < 5000, `timeouts took ${Date.now() - t0} ms`);
    } finally {
      node.kill('SIGCONT');
    }
    assert.equal((await client.health()).records, 1, 'the node serves again once resumed');
    await node.stop();
  });

  it('GIVEN a stopped node WHEN the client calls it THEN it rejects with a code naming the zone and the route', async () => {
    const { node, client } = await start();
    await node.stop();
    await assert.rejects(client.health(), (e: unknown) => isHastackError(e) && e.code === 'HASTACK_STORAGE_NODE_UNREACHABLE' && e.details?.['zone'] === 'local-1c' && e.details['route'] === '/health');
    const s = client.stageStream();
    s.body.on('error', () => {});
    s.body.end(Buffer.from('x'));
    await assert.rejects(s.done, { code: 'HASTACK_STORAGE_NODE_UNREACHABLE' });
  });
});
