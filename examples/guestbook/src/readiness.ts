/**
 * Readiness: can this instance serve a request that needs the database? A `SELECT 1` with a short
 * timeout answers it. The answer is cached for a second and concurrent checks share one query, so a
 * load balancer probing from several nodes (or a flood of probes) costs at most one query a second.
 */
export interface ReadinessResult {
  readonly ready: boolean;
  readonly reason?: string;
}

export interface ReadinessOptions {
  /** Throws when not ready; its message becomes the reason. */
  readonly check: () => Promise<void>;
  /** @default 1000 */
  readonly timeoutMs?: number;
  /** How long an answer is reused. @default 1000 */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export class Readiness {
  #cached: { at: number; result: ReadinessResult } | undefined;
  #inFlight: Promise<ReadinessResult> | undefined;

  constructor(private readonly o: ReadinessOptions) {}

  get(): Promise<ReadinessResult> {
    const now = (this.o.now ?? Date.now)();
    if (this.#cached !== undefined && now - this.#cached.at < (this.o.cacheMs ?? 1000)) {
      return Promise.resolve(this.#cached.result);
    }
    this.#inFlight ??= this.#run().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #run(): Promise<ReadinessResult> {
    const timeoutMs = this.o.timeoutMs ?? 1000;
    let timer: NodeJS.Timeout | undefined;
    let result: ReadinessResult;
    try {
      await Promise.race([
        this.o.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      result = { ready: true };
    } catch (e) {
      result = { ready: false, reason: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
    this.#cached = { at: (this.o.now ?? Date.now)(), result };
    return result;
  }
}
