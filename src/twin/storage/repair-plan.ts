/**
 * Anti-entropy as a pure decision: given each node's inventory (identity → seq), which records are
 * missing or stale where, and how many are held by fewer replicas than wanted. The repairer does the
 * copying; this only decides.
 */
import type { InventoryEntry } from './node/protocol.ts';

export interface RepairCopy {
  readonly id: string;
  readonly seq: string;
  readonly hasData: boolean;
  /** Zones holding the winning record: where to copy from. */
  readonly from: readonly string[];
  /** Zones that lack it or hold an older record. */
  readonly to: readonly string[];
}

export interface RepairPlan {
  readonly copies: readonly RepairCopy[];
  /** Records with bytes (object versions, parts) whose newest record is on fewer than `replicas` nodes. */
  readonly underReplicated: number;
  /** Records of any kind, as the union of every inventory. */
  readonly records: number;
}

/**
 * @param inventories zone → that node's entries; a zone whose node cannot be read is absent (it
 *   cannot be repaired now, and it counts as not holding anything).
 */
export function planRepair(inventories: ReadonlyMap<string, readonly InventoryEntry[]>, replicas: number): RepairPlan {
  const winners = new Map<string, InventoryEntry>();
  const holders = new Map<string, Map<string, string>>();
  for (const [zone, entries] of inventories) {
    for (const e of entries) {
      const w = winners.get(e.id);
      if (w === undefined || e.seq > w.seq) winners.set(e.id, e);
      let h = holders.get(e.id);
      if (h === undefined) holders.set(e.id, (h = new Map()));
      h.set(zone, e.seq);
    }
  }
  const copies: RepairCopy[] = [];
  let underReplicated = 0;
  for (const [id, w] of winners) {
    const h = holders.get(id)!;
    const from = [...h].filter(([, seq]) => seq === w.seq).map(([zone]) => zone);
    const to = [...inventories.keys()].filter((zone) => h.get(zone) !== w.seq);
    if (to.length > 0) copies.push({ id, seq: w.seq, hasData: w.hasData, from, to });
    if (w.hasData && from.length < replicas) underReplicated += 1;
  }
  return { copies, underReplicated, records: winners.size };
}
