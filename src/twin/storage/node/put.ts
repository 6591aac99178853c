/**
 * POST /put: a record's bytes and then the record, in one request. The body is exactly `size`
 * bytes of data followed by a JSON trailer `{ record, checksum }`; the sender writes the trailer
 * only once it has checked what it sent, so a request cut off before its trailer commits nothing.
 * The node computes the checksum (`algorithm`) and the block CRC32s as the bytes arrive and
 * commits only if its checksum equals the trailer's: bytes damaged on the way are never stored.
 * Up to INLINE_MAX_BYTES are held in memory and committed through the journal; more are staged
 * to a file (flat memory) and committed with fsyncs.
 */
import type { ChecksumAlgorithm } from '../../s3/checksums.ts';
import { storageError } from '../errors.ts';
import { hasData, type PartRecord, type VersionRecord } from '../records.ts';
import { BLOCK_SIZE, StoredDigest } from './blocks.ts';
import { MAX_JSON_BYTES } from './http-io.ts';
import type { PutResult } from './protocol.ts';
import { checkRecord, invalid, isObject } from './record-check.ts';
import type { StagedBytes, Staging } from './staging.ts';
import { INLINE_MAX_BYTES, type InlineBytes, type ReplicaStore } from './store.ts';

export interface ReceivedPut {
  readonly size: number;
  /** Base64 checksum of the bytes, of the algorithm asked for. */
  readonly checksum: string;
  readonly trailer: Buffer;
  readonly bytes: { readonly inline: InlineBytes } | { readonly staged: StagedBytes };
}

/** Reads a /put body: `size` bytes into memory or a staging file, the rest as the trailer. */
export async function receivePut(body: AsyncIterable<Buffer>, staging: Staging, size: number, algorithm: ChecksumAlgorithm): Promise<ReceivedPut> {
  const inline = size <= INLINE_MAX_BYTES ? Buffer.allocUnsafe(size) : undefined;
  const writer = inline === undefined ? await staging.writer({ md5: false, checksum: algorithm }) : undefined;
  const trailer: Buffer[] = [];
  let trailerBytes = 0;
  let got = 0;
  try {
    for await (const chunk of body) {
      let data = chunk;
      if (got + chunk.length > size) {
        data = chunk.subarray(0, size - got);
        trailer.push(chunk.subarray(size - got));
        trailerBytes += chunk.length - data.length;
        if (trailerBytes > MAX_JSON_BYTES) throw storageError('HASTACK_STORAGE_BODY_TOO_LARGE', `the /put trailer is ${trailerBytes} bytes or more; expected at most ${MAX_JSON_BYTES} bytes of JSON after the ${size} bytes of data`);
      }
      if (data.length === 0) continue;
      if (inline !== undefined) data.copy(inline, got);
      else await writer!.write(data);
      got += data.length;
    }
    if (got < size) throw storageError('HASTACK_STORAGE_STAGE_INCOMPLETE', `the /put body held ${got} bytes of data, fewer than its size=${size}; nothing was kept`);
    const rest = Buffer.concat(trailer);
    if (inline === undefined) {
      const staged = await writer!.finish();
      return { size, checksum: staged.checksum!, trailer: rest, bytes: { staged } };
    }
    const digest = new StoredDigest(algorithm);
    digest.update(inline);
    const { crcs, checksum } = digest.finish();
    return { size, checksum: checksum!, trailer: rest, bytes: { inline: { data: inline, blockSize: BLOCK_SIZE, crcs } } };
  } catch (err) {
    await writer?.destroy();
    throw err;
  }
}

/** Checks the trailer against the bytes received, then commits; staged bytes are consumed either way. */
export async function commitPut(store: ReplicaStore, put: ReceivedPut): Promise<PutResult> {
  const staged = 'staged' in put.bytes ? put.bytes.staged : undefined;
  try {
    const { record, checksum } = parseTrailer(put.trailer);
    if (record.size !== put.size) throw storageError('HASTACK_STORAGE_SIZE_MISMATCH', `record.size is ${record.size} but the /put body held ${put.size} bytes of data`);
    if (checksum !== put.checksum) {
      throw storageError('HASTACK_STORAGE_CHECKSUM_MISMATCH', `the trailer's checksum is ${JSON.stringify(checksum)} but the ${put.size} bytes received have ${JSON.stringify(put.checksum)}; nothing was committed`);
    }
    const applied = staged === undefined ? await store.commitInline(record, (put.bytes as { inline: InlineBytes }).inline) : await store.commitStaged(record, staged);
    return { applied, checksum: put.checksum };
  } catch (err) {
    if (staged !== undefined) await store.staging.discard(staged).catch(() => undefined);
    throw err;
  }
}

function parseTrailer(trailer: Buffer): { record: VersionRecord | PartRecord; checksum: string } {
  let value: unknown;
  try {
    value = JSON.parse(trailer.toString('utf8'));
  } catch (err) {
    throw storageError('HASTACK_STORAGE_INVALID_JSON', `the /put trailer after the data is not valid JSON (${(err as Error).message}); expected { record, checksum }`);
  }
  if (!isObject(value)) throw invalid('trailer', value, 'a JSON object { record, checksum }');
  const record = checkRecord(value['record']);
  if (!hasData(record)) throw invalid('record.type', record.type === 'version' ? `version ${record.kind}` : record.type, 'an object version or a part: /put carries bytes');
  const checksum = value['checksum'];
  if (typeof checksum !== 'string') throw invalid('checksum', checksum, 'the base64 checksum of the data, of the algorithm named in the query');
  return { record: record as VersionRecord | PartRecord, checksum };
}
