/**
 * Readiness: can this instance serve a request that needs the database? A `SELECT 1` with a short
 * timeout answers it, judged with a grace (readiness-rule.ts) so that a database blip — a failover
 * of a few seconds — does not take every instance out of the load balancer at once. A check's
 * answer is cached for a second and concurrent checks share one query, so a load balancer probing
 * from several nodes (or a flood of probes) costs at most one query a second.
 */
import { afterCheck, judgeReadiness, REACHABLE, type DbReachability, type ReadinessVerdict } from './readiness-rule.ts';

export type ReadinessResult = ReadinessVerdict;

export interface ReadinessOptions {
  /** Throws when the database cannot be reached; its message becomes the reason. */
  readonly check: () => Promise<void>;
  /** @default 1000 */
  readonly timeoutMs?: number;
  /** How long a check's answer is reused. @default 1000 */
  readonly cacheMs?: number;
  /** How long the database may be unreachable before this instance reports not ready, in ms. @default 15000 */
  readonly graceMs?: number;
  readonly now?: () => number;
}

export class Readiness {
  #state: DbReachability = REACHABLE;
  #checkedAt: number | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(private readonly o: ReadinessOptions) {}

  /** Checks the database unless a check ran in the last `cacheMs`, and judges the result now. */
  async get(): Promise<ReadinessResult> {
    const now = this.o.now ?? Date.now;
    if (this.#checkedAt === undefined || now() - this.#checkedAt >= (this.o.cacheMs ?? 1000)) {
      this.#inFlight ??= this.#run().finally(() => {
        this.#inFlight = undefined;
      });
      await this.#inFlight;
    }
    return judgeReadiness(this.#state, now(), this.o.graceMs ?? 15_000);
  }

  async #run(): Promise<void> {
    const now = this.o.now ?? Date.now;
    const timeoutMs = this.o.timeoutMs ?? 1000;
    const startedAt = now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.o.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.#state = afterCheck(this.#state, { ok: true }, startedAt);
    } catch (e) {
      this.#state = afterCheck(this.#state, { ok: false, reason: e instanceof Error ? e.message : String(e) }, startedAt);
    } finally {
      clearTimeout(timer);
    }
    this.#checkedAt = now();
  }
}
