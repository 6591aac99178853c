import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordIdentity, type StoredRecord, type VersionRecord } from '../../../../src/twin/storage/records.ts';
import { identityHash } from '../../../../src/twin/storage/node/layout.ts';
import { compareKeys } from '../../../../src/twin/storage/node/key-order.ts';
import { RecordIndex, type IndexEntry } from '../../../../src/twin/storage/node/record-index.ts';
import { SortedKeys } from '../../../../src/twin/storage/node/sorted-keys.ts';
import { parseNodeArgs } from '../../../../src/twin/storage/node/args.ts';

const seq = (n: number): string => n.toString(16).padStart(18, '0');

function version(key: string, n: number, versionId = 'null', bucket = 'b'): VersionRecord {
  return { type: 'version', bucket, key, versionId, seq: seq(n), kind: 'object', lastModified: n, size: 1, etag: '"x"', headers: { userMetadata: {} } };
}

function entry(record: StoredRecord): IndexEntry {
  const id = recordIdentity(record);
  return { id, hash: identityHash(id), meta: { record, blockSize: 262144, crcs: [0] } };
}

describe('key order', () => {
  it('GIVEN keys with characters above U+FFFF WHEN compared THEN they sort as their UTF-8 bytes do, as S3 lists them', () => {
    const keys = ['a', '\u{1F600}', '\uFFFD', 'b', 'ab', '', '\uE000', 'é'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...keys].sort(compareKeys), byBytes);
  });
});

describe('SortedKeys', () => {
  it('GIVEN random inserts and deletes WHEN scanned from any key THEN it matches a sorted array', () => {
    const set = new SortedKeys();
    const model = new Set<string>();
    let x = 12345;
    const rand = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const k = `k${rand() % 5000}`;
      if (rand() % 3 === 0) assert.equal(set.delete(k), model.delete(k));
      else assert.equal(set.add(k), !model.has(k) && model.add(k) !== undefined);
    }
    const sorted = [...model].sort(compareKeys);
    assert.equal(set.size, sorted.length);
    assert.deepEqual([...set.from(undefined)], sorted);
    const probe = sorted[Math.floor(sorted.length / 2)]!;
    assert.deepEqual([...set.from(probe, true)], sorted.slice(sorted.indexOf(probe) + 1));
    assert.deepEqual([...set.from('k2')], sorted.filter((k) => compareKeys(k, 'k2') >= 0));
  });
});

describe('RecordIndex', () => {
  it('GIVEN several versions of keys WHEN listed with prefix, after, limit and all THEN pages are sorted by key then newest first, never splitting a key', () => {
    const idx = RecordIndex.build([
      entry(version('a/1', 1)),
      entry(version('a/2', 2, 'v1')),
      entry(version('a/2', 5, 'v2')),
      entry(version('a/3', 3)),
      entry(version('b', 4)),
    ]);
    const current = idx.list({ bucket: 'b', prefix: 'a/', limit: 2 });
    assert.deepEqual(current.records.map((r) => [r.key, r.seq]), [['a/1', seq(1)], ['a/2', seq(5)]]);
    assert.equal(current.next, 'a/2');
    const rest = idx.list({ bucket: 'b', prefix: 'a/', limit: 2, after: current.next! });
    assert.deepEqual(rest.records.map((r) => r.key), ['a/3']);
    assert.equal(rest.next, undefined, 'no next when the prefix has nothing more');
    const all = idx.list({ bucket: 'b', limit: 2, all: true });
    assert.deepEqual(all.records.map((r) => [r.key, r.versionId]), [['a/1', 'null']]);
    assert.equal(all.next, 'a/1', 'a key whose versions would overflow the page starts the next page');
    const all2 = idx.list({ bucket: 'b', limit: 2, all: true, after: 'a/1' });
    assert.deepEqual(all2.records.map((r) => [r.key, r.versionId]), [['a/2', 'v2'], ['a/2', 'v1']]);
    assert.equal(idx.list({ bucket: 'nope', limit: 10 }).records.length, 0);
  });

  it('GIVEN 100k keys inserted one by one WHEN paged through 1000 at a time THEN every key comes once, in order, quickly', () => {
    const idx = new RecordIndex();
    const n = 100_000;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) idx.set(entry(version(`key/${((i * 7919) % n).toString().padStart(6, '0')}`, i + 1)));
    const insertMs = Date.now() - t0;
    const t1 = Date.now();
    let after: string | undefined;
    let count = 0;
    let last = '';
    for (;;) {
      const page = idx.list({ bucket: 'b', prefix: 'key/', limit: 1000, ...(after !== undefined ? { after } : {}) });
      for (const r of page.records) {
        assert.ok(compareKeys(r.key, last) > 0);
        last = r.key;
      }
      count += page.records.length;
      if (page.next === undefined) break;
      after = page.next;
    }
    const listMs = Date.now() - t1;
    assert.equal(count, n);
    assert.ok(insertMs < 10_000 && listMs < 5_000, `insert ${insertMs} ms, list ${listMs} ms`);
  });

  it('GIVEN records replaced and removed WHEN asked THEN current, versions, parts, uploads, bytes and inventory follow', () => {
    const idx = new RecordIndex();
    idx.set(entry(version('k', 1, 'v1')));
    idx.set(entry(version('k', 3, 'v3')));
    idx.set(entry({ ...version('k', 4, 'v1'), kind: 'marker', size: 0 }));
    assert.equal(idx.current('b', 'k')?.versionId, 'v1');
    assert.deepEqual(idx.versions('b', 'k').map((r) => r.seq), [seq(4), seq(3)]);
    assert.equal(idx.bytes, 1);
    idx.set(entry({ type: 'upload', bucket: 'b', key: 'm', uploadId: 'u', seq: seq(5), state: 'open', initiated: 0, headers: { userMetadata: {} } }));
    for (const p of [2, 1]) idx.set(entry({ type: 'part', bucket: 'b', key: 'm', uploadId: 'u', partNumber: p, seq: seq(5 + p), size: 1, etag: '"e"', lastModified: 0 }));
    assert.deepEqual(idx.parts('b', 'u').map((p) => p.partNumber), [1, 2]);
    assert.equal(idx.uploads('b').length, 1);
    const inv = idx.inventory(undefined, 2);
    assert.equal(inv.entries.length, 2);
    const inv2 = idx.inventory(inv.next, 100);
    assert.equal(inv.entries.length + inv2.entries.length, idx.size);
    assert.equal(inv2.next, undefined);
    idx.delete(recordIdentity(version('k', 0, 'v3')));
    assert.deepEqual(idx.versions('b', 'k').map((r) => r.versionId), ['v1']);
  });

  it('GIVEN two indexes WHEN one record differs THEN exactly one digest range differs, and equal inventories digest equally', () => {
    const records = Array.from({ length: 500 }, (_, i) => version(`k${i}`, i + 1));
    const a = RecordIndex.build(records.map(entry));
    const b = new RecordIndex();
    for (const r of [...records].reverse()) b.set(entry(r));
    assert.deepEqual(a.digest(256), b.digest(256));
    b.set(entry(version('k7', 1000)));
    const da = a.digest(256);
    const db = b.digest(256);
    const differing = da.filter((d, i) => d !== db[i]).length;
    assert.equal(differing, 1);
    const range = Number.parseInt(identityHash(recordIdentity(version('k7', 0))).slice(0, 2), 16);
    assert.notEqual(da[range], db[range], 'the range is the first byte of the identity hash');
  });
});

describe('node flags', () => {
  it('GIVEN flags WHEN parsed THEN values come back, and a bad one is refused with a code naming it', () => {
    assert.deepEqual(parseNodeArgs(['--data-dir', 'd', '--zone', 'z', '--token-file=t', '--scrub-interval-ms', '100']), {
      dataDir: 'd',
      zone: 'z',
      tokenFile: 't',
      port: 0,
      scrubIntervalMs: 100,
    });
    assert.throws(() => parseNodeArgs(['--data-dir', 'd', '--zone', 'z', '--token-file', 't', '--port', 'x']), (e: Error & { code?: string }) => e.code === 'HASTACK_STORAGE_INVALID_ARGUMENT' && /--port/.test(e.message));
    assert.throws(() => parseNodeArgs(['--zone', 'z', '--token-file', 't']), /--data-dir is missing/);
    assert.equal(parseNodeArgs(['--data-dir', 'd', '--zone', 'z', '--token-file', 't', '--lifeline', 'stdin']).lifeline, 'stdin');
    assert.throws(() => parseNodeArgs(['--data-dir', 'd', '--zone', 'z', '--token-file', 't', '--lifeline', 'fd3']), /--lifeline is "fd3"; expected stdin/);
  });
});
