/**
 * A bucket's keys in order, as a read quorum of nodes sees them: each node's listing is read page by
 * page and merged, so a key held by any answering replica appears once, with every replica's
 * records for it merged by version (the newest record of each version wins).
 */
import { mergeVersions, unavailable, type ClusterMember, type StorageCluster } from './cluster.ts';
import { compareKeys } from './node/key-order.ts';
import type { VersionRecord } from './records.ts';

export interface MergedKey {
  readonly key: string;
  /** Newest first, one per version; tombstones included (callers skip them). */
  readonly records: readonly VersionRecord[];
}

export interface MergedListOptions {
  readonly bucket: string;
  readonly prefix?: string;
  /** Exclusive. */
  readonly after?: string;
  /** Every version of each key (ListObjectVersions), or each node's newest record per key. */
  readonly all: boolean;
  /** Records per node page. @default 1000 */
  readonly pageSize?: number;
}

class NodeCursor {
  private buffer: VersionRecord[] = [];
  private nextAfter: string | undefined;
  private exhausted = false;

  constructor(
    readonly member: ClusterMember,
    private readonly opts: MergedListOptions,
  ) {
    this.nextAfter = opts.after;
  }

  async fill(): Promise<void> {
    while (this.buffer.length === 0 && !this.exhausted) {
      const page = await this.member.client.list({
        bucket: this.opts.bucket,
        ...(this.opts.prefix === undefined ? {} : { prefix: this.opts.prefix }),
        ...(this.nextAfter === undefined ? {} : { after: this.nextAfter }),
        limit: this.opts.pageSize ?? 1000,
        all: this.opts.all,
      });
      this.buffer = [...page.records];
      if (page.next === undefined) this.exhausted = true;
      else this.nextAfter = page.next;
    }
  }

  headKey(): string | undefined {
    return this.buffer[0]?.key;
  }

  /** Removes and returns this node's records for `key` (refilling across a page end). */
  async take(key: string): Promise<VersionRecord[]> {
    const out: VersionRecord[] = [];
    for (;;) {
      while (this.buffer[0]?.key === key) out.push(this.buffer.shift()!);
      if (this.buffer.length > 0 || this.exhausted) return out;
      await this.fill();
    }
  }
}

/** Yields keys in ascending order (UTF-8 byte order, as S3 lists). */
export async function* mergedList(cluster: StorageCluster, opts: MergedListOptions): AsyncGenerator<MergedKey> {
  const needed = cluster.readQuorum;
  const all = cluster.members().map((m) => new NodeCursor(m, opts));
  const settled = await Promise.allSettled(all.map((c) => c.fill()));
  let cursors = all.filter((_, i) => settled[i]!.status === 'fulfilled');
  for (const [i, s] of settled.entries()) if (s.status === 'rejected') cluster.markDown(all[i]!.member.zone);
  const check = (): void => {
    if (cursors.length < needed) {
      throw unavailable('list', cursors.length, needed);
    }
  };
  check();
  for (;;) {
    let key: string | undefined;
    for (const c of cursors) {
      const h = c.headKey();
      if (h !== undefined && (key === undefined || compareKeys(h, key) < 0)) key = h;
    }
    if (key === undefined) return;
    const lists: VersionRecord[][] = [];
    const failed: NodeCursor[] = [];
    await Promise.all(
      cursors.map(async (c) => {
        try {
          lists.push(await c.take(key));
        } catch {
          failed.push(c);
          cluster.markDown(c.member.zone);
        }
      }),
    );
    if (failed.length > 0) {
      cursors = cursors.filter((c) => !failed.includes(c));
      check();
    }
    yield { key, records: mergeVersions(lists) };
  }
}
