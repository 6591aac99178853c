/**
 * s3cmd against the twin's object store, configured only by a config file in a temp folder (path
 * style, plain HTTP, SigV4, the twin's region): bucket, small and multipart copies both ways,
 * listing, sync of a folder both ways, delete — every file compared by SHA-256.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startTestStorage } from '../../../helpers/storage.ts';
import { assertEmptyBucket, assertMultipart, assertNoBucket, assertSameTree, clientEnv, ClientRunner, LARGE_BYTES, makeFixtures, skipUnlessOnPath, tempDir, TEST_TIMEOUT_MS } from './client-kit.ts';

const skip = skipUnlessOnPath('s3cmd', 's3cmd');

test('s3cmd: bucket, multipart put, list, sync and delete round-trip byte for byte', { skip, timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = await tempDir(t, 'hastack-s3cmd-');
  const store = await startTestStorage();
  t.after(() => store.close());
  const fx = await makeFixtures(dir);
  const host = new URL(store.storage.endpoint).host;
  const config = path.join(dir, 's3cmd.cfg');
  await writeFile(
    config,
    [
      '[default]',
      `access_key = ${store.storage.credentials.accessKeyId}`,
      `secret_key = ${store.storage.credentials.secretAccessKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      'use_https = False',
      'signature_v2 = False',
      `bucket_location = ${store.env.AWS_REGION}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const runner = new ClientRunner('s3cmd', clientEnv({}), dir);
  t.after(() => runner.killAll());
  // 5 MiB parts: the 20 MiB file goes up in four.
  const s3cmd = (...args: string[]) => runner.run(['-c', config, '--no-progress', '--multipart-chunk-size-mb=5', ...args]);
  const bucket = 's3cmd-round-trip';

  await s3cmd('mb', `s3://${bucket}`);
  await s3cmd('put', path.join(fx.files, 'small.bin'), `s3://${bucket}/small.bin`);
  await s3cmd('put', path.join(fx.files, 'large.bin'), `s3://${bucket}/large.bin`);
  await assertMultipart(store.s3, bucket, 'large.bin', LARGE_BYTES);

  const listed = (await s3cmd('ls', `s3://${bucket}/`)).stdout;
  assert.match(listed, new RegExp(`\\s1500\\s+s3://${bucket}/small\\.bin$`, 'm'));
  assert.match(listed, new RegExp(`\\s${LARGE_BYTES}\\s+s3://${bucket}/large\\.bin$`, 'm'));

  const down = path.join(dir, 'down');
  await s3cmd('get', `s3://${bucket}/small.bin`, path.join(down, 'small.bin'));
  await s3cmd('get', `s3://${bucket}/large.bin`, path.join(down, 'large.bin'));
  await assertSameTree(down, fx.files);

  await s3cmd('sync', `${fx.tree}/`, `s3://${bucket}/tree/`);
  const back = path.join(dir, 'back');
  await s3cmd('sync', `s3://${bucket}/tree/`, `${back}/`);
  await assertSameTree(back, fx.tree);
  const recursive = (await s3cmd('ls', '--recursive', `s3://${bucket}/tree/`)).stdout;
  assert.match(recursive, new RegExp(`s3://${bucket}/tree/sub/c\\.txt$`, 'm'));

  await s3cmd('del', '--recursive', '--force', `s3://${bucket}/`);
  await assertEmptyBucket(store.s3, bucket);
  await s3cmd('rb', `s3://${bucket}`);
  await assertNoBucket(store.s3, bucket);
});
