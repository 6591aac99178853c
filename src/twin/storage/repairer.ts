/**
 * Anti-entropy repair: a level-triggered loop that compares the nodes' inventory digests and, when
 * they differ, reads the inventories, plans the copies (repair-plan.ts) and copies each winning
 * record (with its bytes, verified on the way out by the node that serves them) to the nodes that
 * lack it. A node back from a zone outage, or one whose damaged replica the scrubber quarantined,
 * is brought up to date this way. One failed copy never stops a pass.
 */
import type { EmitEvent } from '../events.ts';
import type { ClusterMember, StorageCluster } from './cluster.ts';
import type { InventoryEntry } from './node/protocol.ts';
import { planRepair, type RepairCopy } from './repair-plan.ts';

export interface RepairPass {
  readonly at: number;
  readonly ms: number;
  readonly copied: number;
  readonly failed: number;
  readonly underReplicated: number;
  readonly records: number;
  /** Zones whose node could not be read. */
  readonly unreachable: readonly string[];
}

export interface RepairerOptions {
  readonly cluster: StorageCluster;
  /** Replicas wanted of every record. */
  readonly replicas: number;
  readonly intervalMs: number;
  readonly onEvent?: EmitEvent;
  /** Copies in flight at once. @default 4 */
  readonly concurrency?: number;
}

const DIGEST_RANGES = 64;

export class Repairer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RepairPass> | undefined;
  private stopped = false;
  private last: RepairPass | undefined;
  private lastDigests = '';

  constructor(private readonly opts: RepairerOptions) {}

  start(): void {
    this.schedule(0);
  }

  get lastPass(): RepairPass | undefined {
    return this.last;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass().finally(() => this.schedule(this.opts.intervalMs)).catch(() => {});
    }, ms);
    this.timer.unref();
  }

  /** Runs one pass now (or joins the one running). */
  pass(): Promise<RepairPass> {
    this.running ??= this.runPass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runPass(): Promise<RepairPass> {
    const started = Date.now();
    const members = this.opts.cluster.members();
    const digests = await Promise.allSettled(members.map((m) => m.client.digest(DIGEST_RANGES)));
    const reachable = members.filter((_, i) => digests[i]!.status === 'fulfilled');
    const unreachable = members.filter((m) => !reachable.includes(m)).map((m) => m.zone);
    const signature = JSON.stringify(digests.map((d, i) => [members[i]!.zone, d.status === 'fulfilled' ? d.value : null]));
    const allEqual = unreachable.length === 0 && digests.every((d) => d.status === 'fulfilled' && JSON.stringify(d.value) === JSON.stringify((digests[0] as PromiseFulfilledResult<unknown>).value));
    if (allEqual && this.last !== undefined && this.last.underReplicated === 0 && signature === this.lastDigests) {
      return (this.last = { ...this.last, at: started, ms: Date.now() - started, copied: 0, failed: 0 });
    }
    const inventories = new Map<string, InventoryEntry[]>();
    await Promise.all(
      reachable.map(async (m) => {
        try {
          inventories.set(m.zone, await m.client.inventoryAll());
        } catch {
          unreachable.push(m.zone);
        }
      }),
    );
    const plan = planRepair(inventories, this.opts.replicas);
    let copied = 0;
    let failed = 0;
    const queue = [...plan.copies];
    const byZone: ReadonlyMap<string, ClusterMember> = new Map(members.map((m) => [m.zone, m]));
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined && !this.stopped; c = queue.shift()) {
        const n = await this.copy(c, byZone);
        copied += n.copied;
        failed += n.failed;
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 4 }, worker));
    // What was copied is held more widely now; count again from what each node acknowledged.
    const underReplicated = unreachable.length > 0 || failed > 0 ? plan.underReplicated : 0;
    const pass: RepairPass = { at: started, ms: Date.now() - started, copied, failed, underReplicated, records: plan.records, unreachable };
    if (copied > 0 || failed > 0) {
      this.opts.onEvent?.({
        source: 'storage',
        type: 'storage-repaired',
        message: `repair copied ${copied} record${copied === 1 ? '' : 's'}${failed > 0 ? `, ${failed} failed` : ''} in ${pass.ms} ms; ${underReplicated} under-replicated`,
      });
    }
    this.lastDigests = copied > 0 ? '' : signature;
    this.last = pass;
    return pass;
  }

  private async copy(c: RepairCopy, byZone: ReadonlyMap<string, ClusterMember>): Promise<{ copied: number; failed: number }> {
    let copied = 0;
    let failed = 0;
    for (const sourceZone of c.from) {
      const source = byZone.get(sourceZone);
      if (source === undefined) continue;
      try {
        const record = await source.client.record(c.id);
        if (record === undefined || record.seq !== c.seq) continue;
        for (const zone of c.to) {
          const target = byZone.get(zone);
          if (target === undefined) continue;
          try {
            if (!c.hasData) await target.client.commit({ record });
            else {
              const bytes = await source.client.data(c.id, undefined, { seq: record.seq });
              const staged = await target.client.stage(bytes);
              await target.client.commit({ stageId: staged.stageId, record });
            }
            copied += 1;
          } catch {
            failed += 1;
          }
        }
        return { copied, failed };
      } catch {
        // The source failed (gone, or its replica was damaged and quarantined): try the next holder.
      }
    }
    return { copied, failed: failed + (copied === 0 ? c.to.length : 0) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }
}
