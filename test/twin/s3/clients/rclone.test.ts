/**
 * rclone against the twin's object store, configured only by a config file in a temp folder (an
 * `s3` remote, provider Other, path style, the twin's region): bucket, small and multipart copies
 * both ways, listing, sync of a folder both ways, delete — every file compared by SHA-256.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startTestStorage } from '../../../helpers/storage.ts';
import { assertEmptyBucket, assertMultipart, assertNoBucket, assertSameTree, clientEnv, ClientRunner, LARGE_BYTES, makeFixtures, skipUnlessOnPath, tempDir, TEST_TIMEOUT_MS } from './client-kit.ts';

const skip = skipUnlessOnPath('rclone', 'rclone');

test('rclone: bucket, multipart copy, list, sync and delete round-trip byte for byte', { skip, timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = await tempDir(t, 'hastack-rclone-');
  const store = await startTestStorage();
  t.after(() => store.close());
  const fx = await makeFixtures(dir);
  const config = path.join(dir, 'rclone.conf');
  await writeFile(
    config,
    [
      '[twin]',
      'type = s3',
      'provider = Other',
      `access_key_id = ${store.storage.credentials.accessKeyId}`,
      `secret_access_key = ${store.storage.credentials.secretAccessKey}`,
      `endpoint = ${store.storage.endpoint}`,
      `region = ${store.env.AWS_REGION}`,
      'force_path_style = true',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  // No RCLONE_* variable of the caller's may change the remote or the flags.
  const env = Object.fromEntries(Object.entries(clientEnv({})).filter(([k]) => !k.startsWith('RCLONE_')));
  const runner = new ClientRunner('rclone', env, dir);
  t.after(() => runner.killAll());
  // Anything above 5 MiB goes up in 5 MiB parts: four for the 20 MiB file.
  const rclone = (...args: string[]) => runner.run(['--config', config, '--s3-upload-cutoff=5M', '--s3-chunk-size=5M', ...args]);
  const bucket = 'rclone-round-trip';
  const remote = `twin:${bucket}`;

  await rclone('mkdir', remote);
  assert.match((await rclone('lsd', 'twin:')).stdout, new RegExp(`\\s${bucket}$`, 'm'));
  await rclone('copyto', path.join(fx.files, 'small.bin'), `${remote}/small.bin`);
  await rclone('copyto', path.join(fx.files, 'large.bin'), `${remote}/large.bin`);
  await assertMultipart(store.s3, bucket, 'large.bin', LARGE_BYTES);

  const listed = (await rclone('ls', remote)).stdout;
  assert.match(listed, /^\s*1500 small\.bin$/m);
  assert.match(listed, new RegExp(`^\\s*${LARGE_BYTES} large\\.bin$`, 'm'));

  const down = path.join(dir, 'down');
  await rclone('copyto', `${remote}/small.bin`, path.join(down, 'small.bin'));
  await rclone('copyto', `${remote}/large.bin`, path.join(down, 'large.bin'));
  await assertSameTree(down, fx.files);

  await rclone('sync', fx.tree, `${remote}/tree`);
  const back = path.join(dir, 'back');
  await rclone('sync', `${remote}/tree`, back);
  await assertSameTree(back, fx.tree);
  // rclone's own check: sizes and MD5s of the folder against the bucket.
  await rclone('check', fx.tree, `${remote}/tree`);

  await rclone('delete', remote);
  await assertEmptyBucket(store.s3, bucket);
  await rclone('rmdir', remote);
  await assertNoBucket(store.s3, bucket);
});
