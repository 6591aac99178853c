/**
 * The storage node's internal HTTP API, spoken only by the S3 gateway and the repairer over
 * loopback. Every request carries `authorization: Bearer <token>` (the token is in a 0600 file of
 * the state folder); anything else gets 401. JSON in and out unless noted; errors are
 * `{ "code": "HASTACK_STORAGE_…", "message": "…" }` with a 4xx/5xx status.
 *
 *   GET  /health                      → NodeHealth
 *   POST /stage?checksum=   body=bytes → StageResult  bytes fsynced in staging, invisible
 *   POST /commit           CommitRequest → CommitResult    makes a record durable and visible
 *   POST /put?size=&checksum=  body=bytes+trailer → PutResult   stage and commit in one request:
 *                                        `size` bytes, then the JSON trailer { record, checksum };
 *                                        committed only if the node's checksum of the bytes equals
 *                                        the trailer's (see put.ts)
 *   POST /abort            { stageIds }  → {}              drops staged bytes
 *   GET  /record?id=<identity> (recordIdentity, URL-encoded) → StoredRecord | 404
 *   GET  /current?bucket=&key=         → VersionRecord | 404   the key's greatest-seq version record
 *                                        (markers and tombstones included: the caller decides)
 *   GET  /current?bucket=&key=&bytes=small → u32be JSON length, the VersionRecord's JSON, then its
 *                                        bytes when it has at most 256 KiB and they read back
 *                                        verified at once (else none: ask /data) | 404
 *   GET  /versions?bucket=&key=        → VersionRecord[]   every version record of one key, newest first
 *   GET  /data?id=<identity>&start=&end=  → bytes (inclusive end, both optional), each block
 *                                        verified before it is sent; a bad block ends the response
 *                                        early (socket destroyed) and quarantines the replica
 *   GET  /list?bucket=&prefix=&after=&limit=&all=0|1
 *                                      → NDJSON of VersionRecord sorted by key, then seq descending.
 *                                        all=0: the greatest-seq record of each key only (current view);
 *                                        all=1: every version record. `after` is a key (exclusive);
 *                                        `limit` counts records; a last line {"next": key} says there is more.
 *   GET  /buckets                      → BucketRecord[] (deleted ones included)
 *   GET  /uploads?bucket=              → UploadRecord[] (all states)
 *   GET  /parts?bucket=&uploadId=      → PartRecord[] (greatest seq per part number, ascending)
 *   POST /assemble         AssembleRequest → AssembleResult  build a completed upload's object from
 *                                        local part files, without the bytes crossing the network
 *   GET  /inventory?after=&limit=      → NDJSON of InventoryEntry sorted by identity, every record
 *                                        type; a last line {"next": identity} says there is more
 *   GET  /digest?buckets=256           → { ranges: string[] } hash of the inventory split into
 *                                        ranges by identity hash, for cheap anti-entropy compares
 */
import type { ChecksumAlgorithm } from '../../s3/checksums.ts';
import type { Seq, StoredRecord, VersionRecord } from '../records.ts';

export interface NodeHealth {
  readonly zone: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly records: number;
  readonly bytes: number;
  /** Replicas the scrubber or a read found damaged and moved aside since start. */
  readonly quarantined: number;
  readonly scrub: { readonly passes: number; readonly lastPassAt: number | undefined; readonly bytesVerified: number };
  /**
   * Commits made durable through the journal since start, the sync rounds that took, and how a
   * checkpoint makes the journaled files durable (one syncfs, or an fsync per file).
   */
  readonly journal: { readonly commits: number; readonly syncs: number; readonly checkpoint: 'syncfs' | 'fsync' };
}

export interface StageResult {
  readonly stageId: string;
  readonly size: number;
  /** Hex MD5 of the bytes as the node wrote them. */
  readonly md5: string;
  /** Present when the stage request named `?checksum=<ALGORITHM>`: base64. */
  readonly checksum?: string;
}

export interface CommitRequest {
  /** The staged bytes for a record that has data (object version or part); absent otherwise. */
  readonly stageId?: string;
  readonly record: StoredRecord;
}

/** `applied: false` when the node already holds a record of the same identity with a greater or equal seq. */
export interface CommitResult {
  readonly applied: boolean;
}

export interface PutResult extends CommitResult {
  /** The node's base64 checksum of the bytes (equal to the trailer's, or the put was refused). */
  readonly checksum: string;
}

export interface AssembleRequest {
  readonly bucket: string;
  readonly uploadId: string;
  /** The parts in order, each with the etag the client listed. */
  readonly parts: readonly { readonly partNumber: number; readonly etag: string }[];
  /** The new object version; its size must equal the sum of the parts. */
  readonly record: VersionRecord;
  /** Compute this full-object checksum while concatenating. */
  readonly checksum?: ChecksumAlgorithm;
}

export type AssembleResult =
  | { readonly ok: true; readonly checksum?: string }
  | { readonly ok: false; readonly missing: readonly number[] };

export interface InventoryEntry {
  readonly id: string;
  readonly seq: Seq;
  readonly hasData: boolean;
}
