import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { probeSyncMethod, syncPaths } from '../../src/util/sync-filesystem.ts';

/** Runs fn with PATH set to `dir` alone. */
async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = dir;
  try {
    return await fn();
  } finally {
    process.env['PATH'] = saved;
  }
}

describe('making many files durable at once', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'hastack-syncfs-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('GIVEN a sync tool that refuses --file-system WHEN the method is probed THEN files are fsynced one by one instead', async () => {
    const bin = await tempDir();
    await writeFile(path.join(bin, 'sync'), '#!/bin/sh\necho "sync: unrecognized option --file-system" >&2\nexit 1\n');
    await chmod(path.join(bin, 'sync'), 0o755);
    assert.equal(await withPath(bin, () => probeSyncMethod(bin)), 'fsync');
  });

  it('GIVEN no sync tool at all WHEN the method is probed THEN it is fsync', async () => {
    const empty = await tempDir();
    assert.equal(await withPath(empty, () => probeSyncMethod(empty)), 'fsync');
  });

  it('GIVEN files, one of them gone meanwhile WHEN they are fsynced one by one THEN the gone one is skipped and a missing folder is an error', async () => {
    const d = await tempDir();
    await writeFile(path.join(d, 'a'), 'a');
    await syncPaths('fsync', d, [path.join(d, 'a'), path.join(d, 'gone')], [d]);
    await assert.rejects(syncPaths('fsync', d, [], [path.join(d, 'no-such-folder')]), { code: 'ENOENT' });
  });

  it('GIVEN GNU coreutils on Linux WHEN the method is probed THEN it is one syncfs, and a failing one is reported', { skip: process.platform !== 'linux' && 'syncfs is Linux only' }, async () => {
    const d = await tempDir();
    const method = await probeSyncMethod(d);
    if (method === 'fsync') return void assert.ok(true, 'this sync has no --file-system: the fallback is used');
    await syncPaths('syncfs', d, [], []);
    await assert.rejects(syncPaths('syncfs', path.join(d, 'no-such-path'), [], []), /sync --file-system .*no-such-path/);
  });
});
