/**
 * GIVEN the object store WHEN a large object goes up and comes back as streams THEN the bytes are
 * exact and memory does not grow with the object's size: neither the storage nodes nor the
 * endpoint's process hold the object.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestStorage, type TestStorage } from '../../helpers/storage.ts';

const MiB = 1024 * 1024;

/** Deterministic bytes, made a chunk at a time (never the whole object). */
function generated(size: number, seed: number): Readable {
  let sent = 0;
  let x = seed;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(MiB, size - sent);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        x = (x * 1103515245 + 12345) >>> 0;
        chunk.writeUInt32LE(x, Math.min(i, n - 4));
      }
      sent += n;
      this.push(chunk);
    },
  });
}

async function digest(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream) h.update(c);
  return h.digest('hex');
}

/** Peak resident memory of a process, MiB. */
function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

describe('large objects stream', { timeout: 240_000 }, () => {
  let t: TestStorage;
  before(async () => {
    t = await startTestStorage({ buckets: [{ name: 'big' }] });
  });
  after(async () => t?.close());

  it('moves a 384 MiB object up and down with flat memory', async (ctx) => {
    const size = 384 * MiB;
    const want = await digest(generated(size, 7));
    const rssBefore = process.memoryUsage().rss / MiB;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / MiB)), 50);
    try {
      await t.s3.send(new PutObjectCommand({ Bucket: 'big', Key: 'stream.bin', Body: generated(size, 7), ContentLength: size }));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'big', Key: 'stream.bin' }));
      assert.equal(got.ContentLength, size);
      assert.equal(await digest(got.Body as AsyncIterable<Uint8Array>), want);
    } finally {
      clearInterval(sampler);
    }
    const nodes = t.storage.status().nodes.map((n) => ({ zone: n.zone, peak: n.pid === undefined ? 0 : peakMiB(n.pid) }));
    ctx.diagnostic(`peak RSS: storage nodes ${nodes.map((n) => n.peak.toFixed(0)).join(', ')} MiB; the endpoint's process grew ${(rssPeak - rssBefore).toFixed(0)} MiB`);
    for (const n of nodes) assert.ok(n.peak < 160, `storage node ${n.zone} peaked at ${n.peak.toFixed(0)} MiB for a ${size / MiB} MiB object`);
    // This process runs the endpoint and the SDK client: it may grow by buffers, not by the object.
    assert.ok(rssPeak - rssBefore < 160, `the endpoint's process grew by ${(rssPeak - rssBefore).toFixed(0)} MiB for a ${size / MiB} MiB object`);
  });
});
