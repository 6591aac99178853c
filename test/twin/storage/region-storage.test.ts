/**
 * GIVEN a twin whose spec declares a bucket WHEN it runs THEN instances and `hastack env` get the
 * S3 endpoint, credentials and bucket name; status shows each zone's storage node; a zone outage
 * takes that zone's node down while reads and writes go on; when the zone returns, repair brings
 * the node back to zero objects under-replicated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestTwin, waitFor, type TestTwin } from '../../helpers/twin.ts';

describe('object storage in the twin', { timeout: 240_000 }, () => {
  let t: TestTwin;
  let s3: S3Client;
  before(async () => {
    t = await startTestTwin({ storage: { buckets: [{ name: 'region-files' }] }, capacity: { min: 1, desired: 1, max: 3 } });
    const env = t.twin.env();
    s3 = new S3Client({
      endpoint: env['AWS_ENDPOINT_URL_S3']!,
      region: env['AWS_REGION']!,
      credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! },
      forcePathStyle: true,
    });
  });
  after(async () => {
    s3?.destroy();
    await t?.close();
  });

  it('hands the endpoint, credentials and bucket name to the shell and shows every storage node', () => {
    const env = t.twin.env();
    assert.match(env['AWS_ENDPOINT_URL_S3'] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(env['AWS_ACCESS_KEY_ID'] ?? '', /^AKIA[A-Z0-9]{16}$/);
    assert.equal(env['AWS_SECRET_ACCESS_KEY']?.length, 40);
    assert.equal(env['BUCKET_REGION_FILES'], 'region-files');
    const st = t.twin.status().storage!;
    assert.deepEqual(st.buckets, ['region-files']);
    assert.deepEqual(st.nodes.map((n) => n.zone), ['local-1a', 'local-1b', 'local-1c']);
    for (const n of st.nodes) {
      assert.equal(n.state, 'running');
      assert.ok(n.pid !== undefined && n.port > 0 && n.dataDir.endsWith(`storage/${n.zone}`), JSON.stringify(n));
    }
  });

  it('keeps objects readable and writable through a zone outage, then repairs the returning node', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'region-files', Key: 'before', Body: 'written before the outage' }));
    const message = t.twin.zoneOutage('local-1c');
    assert.match(message, /storage node in local-1c/);
    assert.equal(t.twin.status().storage!.nodes.find((n) => n.zone === 'local-1c')?.state, 'zone-out');
    await s3.send(new PutObjectCommand({ Bucket: 'region-files', Key: 'during', Body: 'written during the outage' }));
    const before = await s3.send(new GetObjectCommand({ Bucket: 'region-files', Key: 'before' }));
    assert.equal(await before.Body!.transformToString(), 'written before the outage');
    t.twin.zoneRestore('local-1c');
    await waitFor('the node to run again', () => t.twin.status().storage!.nodes.every((n) => n.state === 'running'), 30_000);
    await t.twin.storage!.waitUntilReplicated(30_000);
    assert.equal(t.twin.status().storage!.underReplicated, 0);
    const during = await s3.send(new GetObjectCommand({ Bucket: 'region-files', Key: 'during' }));
    assert.equal(await during.Body!.transformToString(), 'written during the outage');
  });

  it('shows each storage node\'s journal: small writes committed through it, in fewer or as many fdatasyncs', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: 'region-files', Key: `journaled/${i}`, Body: `small object ${i}` }))));
    await waitFor('every node to report journaled commits', () => t.twin.status().storage!.nodes.every((n) => (n.journal?.commits ?? 0) >= 8), 10_000);
    for (const n of t.twin.status().storage!.nodes) {
      assert.ok(n.journal!.syncs <= n.journal!.commits, JSON.stringify(n.journal));
      assert.ok(['syncfs', 'fsync'].includes(n.journal!.checkpoint), JSON.stringify(n.journal));
    }
  });

  it('restarts a killed storage node by itself', async () => {
    const pid = t.twin.status().storage!.nodes[0]!.pid;
    assert.match(t.twin.storageKillNode('local-1a'), /killed storage node in local-1a/);
    await waitFor('a new storage node process in local-1a', () => {
      const n = t.twin.status().storage!.nodes[0]!;
      return n.state === 'running' && n.pid !== undefined && n.pid !== pid;
    }, 30_000);
    assert.ok(t.events.some((e) => e.type === 'storage-node-exited'));
  });
});
