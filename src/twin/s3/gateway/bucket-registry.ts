/**
 * The buckets, as the gateway knows them. The gateway is the only writer of bucket records, so after
 * reading them once from a quorum of nodes it keeps them in memory and answers "does this bucket
 * exist, is it versioned" without a round trip; every change is written to a quorum first.
 */
import { S3Error } from '../s3-error.ts';
import { newestEach, type StorageCluster } from '../../storage/cluster.ts';
import type { SeqClock } from '../../storage/seq-clock.ts';
import type { BucketRecord } from '../../storage/records.ts';

export class BucketRegistry {
  private readonly buckets = new Map<string, BucketRecord>();

  constructor(
    private readonly cluster: StorageCluster,
    private readonly clock: SeqClock,
  ) {}

  /**
   * Reads every bucket record from a read quorum, and moves the clock past every seq a quorum
   * holds, so a restarted endpoint (even after the wall clock stepped back) never stamps a change
   * older than one already stored — the nodes would refuse it.
   */
  async load(): Promise<void> {
    await this.cluster.ask('read', this.cluster.readQuorum, async (m) => {
      for (const e of await m.client.inventoryAll()) this.clock.observe(e.seq);
    });
    const answers = await this.cluster.ask('read', this.cluster.readQuorum, (m) => m.client.buckets());
    this.buckets.clear();
    for (const winner of newestEach(answers.map((a) => a.value), (r) => r.bucket)) {
      this.clock.observe(winner.seq);
      this.buckets.set(winner.bucket, winner);
    }
  }

  /** Live buckets, by name. */
  list(): BucketRecord[] {
    return [...this.buckets.values()].filter((b) => !b.deleted).sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
  }

  get(name: string): BucketRecord | undefined {
    const b = this.buckets.get(name);
    return b === undefined || b.deleted ? undefined : b;
  }

  /** The bucket, or NoSuchBucket. */
  require(name: string): BucketRecord {
    const b = this.get(name);
    if (b === undefined) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
    return b;
  }

  async create(name: string, versioning?: 'Enabled'): Promise<{ created: boolean }> {
    if (this.get(name) !== undefined) return { created: false };
    const record: BucketRecord = {
      type: 'bucket',
      bucket: name,
      seq: this.clock.next(),
      deleted: false,
      createdAt: Date.now(),
      ...(versioning === undefined ? {} : { versioning }),
    };
    await this.cluster.commit(record);
    this.buckets.set(name, record);
    return { created: true };
  }

  async setVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<void> {
    const b = this.require(name);
    const record: BucketRecord = { ...b, seq: this.clock.next(), versioning: status };
    await this.cluster.commit(record);
    this.buckets.set(name, record);
  }

  async remove(name: string): Promise<void> {
    const b = this.require(name);
    const record: BucketRecord = { ...b, seq: this.clock.next(), deleted: true };
    await this.cluster.commit(record);
    this.buckets.set(name, record);
  }
}
