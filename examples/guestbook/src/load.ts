/** Synthetic load for experiments: CPU for scaling on CPUUtilization, waiting for drain tests. */

export const LOAD_LIMITS = { workMs: 2_000, slowMs: 30_000 } as const;

/** Keeps this process's only thread busy for `ms`, as a CPU-heavy request would. */
export function burnCpu(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 1_000; i++) x = (x * 31 + i) % 1_000_003;
  }
  return x;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
