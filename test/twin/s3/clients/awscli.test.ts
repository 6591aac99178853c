/**
 * The AWS CLI against the twin's object store, configured only through the variables the twin
 * hands out (AWS_ENDPOINT_URL_S3, keys, AWS_REGION): bucket, small and multipart copies both ways,
 * listing, sync of a folder both ways, delete — every file compared by SHA-256.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startTestStorage } from '../../../helpers/storage.ts';
import { assertEmptyBucket, assertMultipart, assertNoBucket, assertSameFile, assertSameTree, clientEnv, ClientRunner, LARGE_BYTES, makeFixtures, skipUnlessOnPath, tempDir, TEST_TIMEOUT_MS } from './client-kit.ts';

const skip = skipUnlessOnPath('aws', 'awscli');

test('aws s3: bucket, multipart copy, list, sync and delete round-trip byte for byte', { skip, timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = await tempDir(t, 'hastack-awscli-');
  const store = await startTestStorage();
  t.after(() => store.close());
  const fx = await makeFixtures(dir);
  const env = clientEnv({
    ...store.env,
    // Never read the user's config or credentials, nor ask instance metadata.
    AWS_CONFIG_FILE: path.join(dir, 'no-such-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-such-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  const aws = new ClientRunner('aws', env, dir);
  t.after(() => aws.killAll());
  const bucket = 'awscli-round-trip';
  const s3 = (...args: string[]) => aws.run(['s3', ...args, '--no-progress']);

  await aws.run(['s3', 'mb', `s3://${bucket}`]);
  await s3('cp', path.join(fx.files, 'small.bin'), `s3://${bucket}/small.bin`);
  // Above 8 MiB `aws s3 cp` uploads in parts.
  await s3('cp', path.join(fx.files, 'large.bin'), `s3://${bucket}/large.bin`);
  await assertMultipart(store.s3, bucket, 'large.bin', LARGE_BYTES);

  const listed = (await aws.run(['s3', 'ls', `s3://${bucket}/`])).stdout;
  assert.match(listed, /\s1500 small\.bin$/m);
  assert.match(listed, new RegExp(`\\s${LARGE_BYTES} large\\.bin$`, 'm'));

  const down = path.join(dir, 'down');
  await s3('cp', `s3://${bucket}/small.bin`, path.join(down, 'small.bin'));
  await s3('cp', `s3://${bucket}/large.bin`, path.join(down, 'large.bin'));
  await assertSameTree(down, fx.files);
  await assertSameFile(path.join(down, 'large.bin'), path.join(fx.files, 'large.bin'));

  await s3('sync', fx.tree, `s3://${bucket}/tree/`);
  const back = path.join(dir, 'back');
  await s3('sync', `s3://${bucket}/tree/`, back);
  await assertSameTree(back, fx.tree);
  const recursive = (await aws.run(['s3', 'ls', '--recursive', `s3://${bucket}/tree/`])).stdout;
  assert.match(recursive, /\stree\/sub\/c\.txt$/m);

  await aws.run(['s3', 'rm', '--recursive', `s3://${bucket}/`]);
  await assertEmptyBucket(store.s3, bucket);
  await aws.run(['s3', 'rb', `s3://${bucket}`]);
  await assertNoBucket(store.s3, bucket);
});
