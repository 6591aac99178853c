import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { isAttachmentId } from '../../examples/guestbook/src/attachment-key.ts';
import { regionOfZone } from '../../examples/guestbook/src/attachments.ts';
import { sniffImageType } from '../../examples/guestbook/src/image-type.ts';
import { classifyStorageFailure } from '../../examples/guestbook/src/storage-retry.ts';
import { startTestStorage, type TestStorage } from '../helpers/storage.ts';
import { postJson, startApp, startGuestbookDatabase, until, type GuestbookDatabase, type RunningApp } from './guestbook-harness.ts';

const BUCKET = 'guestbook-attachments';
const ZONES = ['local-1a', 'local-1b', 'local-1c'];

interface Attachment {
  url: string;
  contentType: string;
}
interface EntryJson {
  id: number;
  name: string;
  message: string;
  attachment: Attachment | null;
}
interface ProblemJson {
  field: string;
  problem: string;
  received: string;
  expected: string;
}

/** CRC-32 as PNG chunks use it. */
function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A valid 1×1 PNG: one red pixel, RGB, 8 bits. */
function onePixelPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression, filter and interlace methods stay 0
  const scanline = Buffer.from([0, 0xff, 0x00, 0x00]); // filter byte 0, then one red pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanline)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

interface FileSpec {
  readonly field?: string;
  readonly filename: string;
  readonly type: string;
  readonly bytes: Buffer;
}

/** Posts a multipart/form-data entry, as the page's form (or a program) does. */
function postMultipart(base: string, fields: Record<string, string>, files: readonly FileSpec[], headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field ?? 'image', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.filename);
  return fetch(`${base}/entries`, { method: 'POST', body: form, headers, redirect: 'manual' });
}

describe('guestbook image attachments in a bucket', () => {
  let gdb: GuestbookDatabase;
  let storage: TestStorage;
  let app: RunningApp;
  const apps: RunningApp[] = [];
  const png = onePixelPng();

  const launch = async (env: Record<string, string>): Promise<RunningApp> => {
    const a = await startApp({ DATABASE_URL: gdb.databaseUrl, AWS_EC2_METADATA_DISABLED: 'true', ...env });
    apps.push(a);
    await until('the app to be ready', async () => ((await fetch(`${a.base}/readyz`)).status === 200 ? true : undefined), 20_000);
    return a;
  };
  const rows = async (message: string) =>
    Number((await gdb.superuser<{ n: string }>('SELECT count(*) AS n FROM entries WHERE message = $1', [message]))[0]!.n);
  const objectCount = async () =>
    (await storage.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'attachments/' }))).KeyCount ?? 0;

  before(async () => {
    gdb = await startGuestbookDatabase();
    // A table as the guestbook made it before attachments, with a row in it, made by the app's own
    // role (the owner, as the app's schema creation would have made it).
    const c = new pg.Client({ connectionString: gdb.databaseUrl });
    await c.connect();
    try {
      await c.query(`CREATE TABLE entries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, message text NOT NULL,
        idempotency_key text UNIQUE, instance_id text NOT NULL, zone text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
      await c.query("INSERT INTO entries (name, message, instance_id, zone) VALUES ('Old', 'written before images', 'i-old', 'local-1a')");
    } finally {
      await c.end();
    }
    storage = await startTestStorage({ buckets: [{ name: BUCKET }] });
    app = await launch(storage.env);
  });

  after(async () => {
    for (const a of apps) await a.kill();
    await storage?.close();
    await gdb?.remove();
  });

  it('GIVEN a bucket WHEN the app starts THEN it says so, the form is multipart with an image input, and entries from before images have attachment null', async () => {
    assert.match(app.output(), /image attachments in bucket guestbook-attachments/);
    const html = await (await fetch(`${app.base}/`)).text();
    assert.match(html, /<form method="post" action="\/entries" enctype="multipart\/form-data">/);
    assert.match(html, /<input type="file" name="image" accept="image\/png,image\/jpeg,image\/gif,image\/webp">/);
    const { entries } = (await (await fetch(`${app.base}/entries`)).json()) as { entries: EntryJson[] };
    const old = entries.find((e) => e.message === 'written before images');
    assert.ok(old, 'the row written before the migration is listed');
    assert.equal(old.attachment, null);
  });

  it('GIVEN a 1×1 PNG WHEN posted with an entry THEN it is stored under attachments/<uuid>, shown on the page and in JSON, and served back byte for byte', async () => {
    const message = `with a picture ${randomUUID()}`;
    const r = await postMultipart(app.base, { name: 'Ada', message }, [{ filename: 'dot.png', type: 'image/png', bytes: png }]);
    assert.equal(r.status, 201, await r.clone().text());
    const { entry } = (await r.json()) as { entry: EntryJson };
    assert.ok(entry.attachment);
    assert.equal(entry.attachment.contentType, 'image/png');
    const id = /^\/attachments\/([0-9a-f-]{36})$/.exec(entry.attachment.url)?.[1];
    assert.ok(id, entry.attachment.url);

    const stored = await storage.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `attachments/${id}` }));
    assert.equal(stored.ContentType, 'image/png');
    assert.equal(stored.ContentLength, png.length);

    const { entries } = (await (await fetch(`${app.base}/entries`)).json()) as { entries: EntryJson[] };
    assert.deepEqual(entries.find((e) => e.id === entry.id)?.attachment, entry.attachment);
    const page = await fetch(`${app.base}/`);
    assert.match(page.headers.get('content-security-policy') ?? '', /img-src 'self'/);
    assert.ok((await page.text()).includes(`<img src="/attachments/${id}" alt="Image attached by Ada" loading="lazy">`));

    const img = await fetch(`${app.base}${entry.attachment.url}`);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.equal(img.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = img.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/);
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), png);

    const head = await fetch(`${app.base}${entry.attachment.url}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'image/png');
    assert.equal(head.headers.get('content-length'), String(png.length));

    const again = await fetch(`${app.base}${entry.attachment.url}`, { headers: { 'If-None-Match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
  });

  it('GIVEN the page form WHEN a browser posts it with an image THEN it redirects to / (303), and a bad image renders the page with the problem (400)', async () => {
    const page = await (await fetch(`${app.base}/`)).text();
    const key = /name="idempotency_key" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const message = `from the form ${key}`;
    const browser = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const ok = await postMultipart(app.base, { idempotency_key: key, name: 'Form', message }, [{ filename: 'dot.png', type: 'image/png', bytes: png }], browser);
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/');
    // An empty file input, as a browser sends it, is no image at all.
    const plain = await postMultipart(app.base, { idempotency_key: randomUUID(), name: 'Form', message: `${message} (no image)` }, [{ filename: '', type: 'application/octet-stream', bytes: Buffer.alloc(0) }], browser);
    assert.equal(plain.status, 303);
    const bad = await postMultipart(app.base, { idempotency_key: randomUUID(), name: 'Form', message: `${message} (bad)` }, [{ filename: 'notes.png', type: 'image/png', bytes: Buffer.from('just text') }], browser);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await bad.text(), /<li>image: invalid \(received a file of 9 bytes declared as image\/png whose content is not a PNG, JPEG, GIF, WebP image;/);
    const { entries } = (await (await fetch(`${app.base}/entries`)).json()) as { entries: EntryJson[] };
    assert.equal(entries.find((e) => e.message === message)?.attachment?.contentType, 'image/png');
    assert.equal(entries.find((e) => e.message === `${message} (no image)`)?.attachment, null);
    assert.equal(await rows(`${message} (bad)`), 0);
  });

  it('GIVEN bad uploads WHEN posted THEN each is refused naming the image field, what was received and what is accepted, and nothing is written', async () => {
    const objectsBefore = await objectCount();
    const cases: { what: string; files: FileSpec[]; status: number; error: string; problem: string; received: RegExp }[] = [
      { what: 'a text file renamed .png', files: [{ filename: 'fake.png', type: 'image/png', bytes: Buffer.from('this is not a picture\n') }], status: 400, error: 'invalid_entry', problem: 'invalid', received: /declared as image\/png whose content is not a PNG/ },
      { what: 'a PNG declared as JPEG', files: [{ filename: 'dot.jpg', type: 'image/jpeg', bytes: png }], status: 400, error: 'invalid_entry', problem: 'invalid', received: /declared as image\/jpeg whose content is a PNG image/ },
      { what: 'a text file', files: [{ filename: 'notes.txt', type: 'text/plain', bytes: Buffer.from('hello') }], status: 400, error: 'invalid_entry', problem: 'wrong type', received: /declared as text\/plain/ },
      { what: 'a 6 MiB file', files: [{ filename: 'big.png', type: 'image/png', bytes: Buffer.concat([png, Buffer.alloc(6 * 1024 * 1024)]) }], status: 413, error: 'payload_too_large', problem: 'too large', received: /more than 5242880 bytes/ },
      { what: 'two files', files: [{ filename: 'a.png', type: 'image/png', bytes: png }, { filename: 'b.png', type: 'image/png', bytes: png }], status: 400, error: 'invalid_entry', problem: 'too many', received: /more than one file/ },
    ];
    for (const c of cases) {
      const message = `refused: ${c.what} ${randomUUID()}`;
      const r = await postMultipart(app.base, { name: 'Eve', message }, c.files, { 'Idempotency-Key': randomUUID() });
      assert.equal(r.status, c.status, c.what);
      const body = (await r.json()) as { error: string; message: string; problems: ProblemJson[] };
      assert.equal(body.error, c.error, c.what);
      const p = body.problems.find((x) => x.field === 'image');
      assert.ok(p, `${c.what}: a problem names the image field: ${JSON.stringify(body)}`);
      assert.equal(p.problem, c.problem, c.what);
      assert.match(p.received, c.received, c.what);
      assert.match(p.expected, /image\/png, image\/jpeg, image\/gif, image\/webp\) of at most 5242880 bytes/, c.what);
      assert.equal(await rows(message), 0, `${c.what}: no row`);
    }
    assert.equal(await objectCount(), objectsBefore, 'no object was stored for a refused upload');

    // A file in another field is refused too, and name and message problems come with it.
    const other = await postMultipart(app.base, { name: '', message: 'x' }, [{ field: 'avatar', filename: 'dot.png', type: 'image/png', bytes: png }]);
    assert.equal(other.status, 400);
    const problems = ((await other.json()) as { problems: ProblemJson[] }).problems;
    assert.deepEqual(problems.map((p) => [p.field, p.problem]), [['name', 'empty'], ['avatar', 'invalid']]);
  });

  it('GIVEN attachment ids WHEN one is malformed or unknown THEN 404', async () => {
    for (const id of ['not-a-uuid', randomUUID().toUpperCase(), `${randomUUID()}x`, '..%2Fsecret', '', randomUUID()]) {
      const r = await fetch(`${app.base}/attachments/${id}`);
      assert.equal(r.status, 404, id);
      assert.equal(((await r.json()) as { error: string }).error, 'not_found', id);
    }
  });

  it('GIVEN one Idempotency-Key WHEN a post with an image is retried, one after the other and racing THEN one entry, the same attachment', async () => {
    const key = randomUUID();
    const message = `retried ${key}`;
    const post = () => postMultipart(app.base, { name: 'Ada', message }, [{ filename: 'dot.png', type: 'image/png', bytes: png }], { 'Idempotency-Key': key });
    const first = await post();
    assert.equal(first.status, 201);
    const created = ((await first.json()) as { entry: EntryJson }).entry;
    const replay = await post();
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(((await replay.json()) as { entry: EntryJson }).entry, created);
    assert.equal(await rows(message), 1);

    const raceKey = randomUUID();
    const raceMessage = `raced ${raceKey}`;
    const statuses = await Promise.all(
      Array.from({ length: 4 }, () =>
        postMultipart(app.base, { name: 'Racer', message: raceMessage }, [{ filename: 'dot.png', type: 'image/png', bytes: png }], { 'Idempotency-Key': raceKey }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    assert.deepEqual([...statuses].sort(), [200, 200, 200, 201]);
    assert.equal(await rows(raceMessage), 1);
  });

  it('GIVEN no BUCKET_GUESTBOOK_ATTACHMENTS WHEN the app runs THEN the form has no file input, posting still works, and an image is refused', async () => {
    const plain = await launch({});
    assert.match(plain.output(), /image attachments off/);
    const html = await (await fetch(`${plain.base}/`)).text();
    assert.doesNotMatch(html, /type="file"/);
    assert.doesNotMatch(html, /multipart/);
    const message = `no bucket ${randomUUID()}`;
    const r = await postJson(plain.base, { name: 'Bob', message });
    assert.equal(r.status, 201);
    assert.equal(((await r.json()) as { entry: EntryJson }).entry.attachment, null);
    const form = await fetch(`${plain.base}/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'Bob', message: `${message} (form)`, idempotency_key: randomUUID() }).toString(),
      redirect: 'manual',
    });
    assert.equal(form.status, 303);
    const image = await postMultipart(plain.base, { name: 'Bob', message: `${message} (image)` }, [{ filename: 'dot.png', type: 'image/png', bytes: png }]);
    assert.equal(image.status, 400);
    const p = ((await image.json()) as { problems: ProblemJson[] }).problems[0]!;
    assert.equal(p.field, 'image');
    assert.match(p.expected, /not enabled/);
    assert.equal(await rows(`${message} (image)`), 0);
    assert.equal((await fetch(`${plain.base}/attachments/${randomUUID()}`)).status, 404);
  });

  it('GIVEN the store down in every zone WHEN an image is posted or fetched THEN 503 storage_unavailable after brief retries, and no row is written', async () => {
    const kept = await postMultipart(app.base, { name: 'Ada', message: `kept ${randomUUID()}` }, [{ filename: 'dot.png', type: 'image/png', bytes: png }]);
    assert.equal(kept.status, 201);
    const url = ((await kept.json()) as { entry: EntryJson }).entry.attachment!.url;
    for (const z of ZONES) storage.storage.zoneOut(z);
    try {
      const message = `during the outage ${randomUUID()}`;
      const t0 = Date.now();
      const r = await postMultipart(app.base, { name: 'Ada', message }, [{ filename: 'dot.png', type: 'image/png', bytes: png }], { 'Idempotency-Key': randomUUID() });
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(((await r.json()) as { error: string }).error, 'storage_unavailable');
      assert.ok(Date.now() - t0 >= 1_000, 'it retried before giving up');
      assert.equal(await rows(message), 0);
      const img = await fetch(`${app.base}${url}`);
      assert.equal(img.status, 503);
      assert.equal(((await img.json()) as { error: string }).error, 'storage_unavailable');
      // Entries without an image do not need the store.
      assert.equal((await postJson(app.base, { name: 'Ada', message: `${message} (text only)` })).status, 201);
    } finally {
      for (const z of ZONES) await storage.storage.zoneBack(z);
    }
    await until('the attachment to be served again', async () => ((await fetch(`${app.base}${url}`)).status === 200 ? true : undefined), 15_000);
  });
});

describe('guestbook attachment rules', () => {
  it('GIVEN leading bytes WHEN sniffed THEN each accepted format is told by its signature, anything else is none', () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
    assert.equal(sniffImageType(onePixelPng()), 'image/png');
    assert.equal(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')), 'image/jpeg');
    assert.equal(sniffImageType(bytes('GIF89a', [1, 0, 1, 0])), 'image/gif');
    assert.equal(sniffImageType(bytes('GIF87a')), 'image/gif');
    assert.equal(sniffImageType(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')), 'image/webp');
    for (const other of [bytes('GIF88a'), bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), bytes('<svg xmlns="http://www.w3.org/2000/svg">'), bytes([0x89, 0x50, 0x4e]), Buffer.alloc(0)]) {
      assert.equal(sniffImageType(other), undefined, other.toString('latin1'));
    }
  });

  it('GIVEN ids, zones and storage errors THEN ids must be lower-case v4 UUIDs, a zone names its region, and only "cannot serve now" is retried', () => {
    assert.ok(isAttachmentId(randomUUID()));
    for (const bad of [randomUUID().toUpperCase(), 'a'.repeat(36), `../${randomUUID()}`, '00000000-0000-1000-8000-000000000000']) assert.ok(!isAttachmentId(bad), bad);
    assert.equal(regionOfZone('us-east-1a'), 'us-east-1');
    assert.equal(regionOfZone('local-1b'), 'local-1');
    assert.equal(regionOfZone('unknown'), undefined);
    const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    assert.equal(classifyStorageFailure(s3Error('ServiceUnavailable', 503)).kind, 'connection');
    assert.equal(classifyStorageFailure(s3Error('SlowDown', 503)).kind, 'connection');
    assert.equal(classifyStorageFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind, 'connection');
    assert.equal(classifyStorageFailure(s3Error('NoSuchKey', 404)).kind, 'other');
    assert.equal(classifyStorageFailure(s3Error('AccessDenied', 403)).kind, 'other');
    assert.equal(classifyStorageFailure(s3Error('NotImplemented', 501)).kind, 'other');
  });
});
