/**
 * One-at-a-time sections per key. A storage node runs the commit of an identity, and the moment a
 * reader opens that identity's file, under the identity's lock, so a reader never pairs one
 * commit's bytes with another's block checksums; the S3 endpoint runs a conditional write's check
 * and commit under the key's lock, so two `If-None-Match: *` writes cannot both succeed.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Whether a section of `key` is running or waiting (a synchronous reader then takes its turn with run()). */
  held(key: string): boolean {
    return this.#tails.has(key);
  }

  /** Runs fn once every earlier section of the same key has finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = prev === undefined ? mine : prev.then(() => mine);
    this.#tails.set(key, tail);
    if (prev !== undefined) await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
