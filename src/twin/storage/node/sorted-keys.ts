/**
 * A sorted set of strings (in `compareKeys` order) that stays cheap at 100k+ entries: the keys sit
 * in chunks of at most 1024, so an insert or delete moves at most a chunk, finding a key is two
 * binary searches, and a scan from any key costs O(log n + returned).
 */
import { compareKeys } from './key-order.ts';

const MAX_CHUNK = 1024;

export class SortedKeys {
  #chunks: string[][] = [];
  #size = 0;

  /** Builds the set from keys in any order (duplicates dropped) with one sort. */
  static from(keys: Iterable<string>): SortedKeys {
    const sorted = [...new Set(keys)].sort(compareKeys);
    const set = new SortedKeys();
    for (let i = 0; i < sorted.length; i += MAX_CHUNK / 2) set.#chunks.push(sorted.slice(i, i + MAX_CHUNK / 2));
    set.#size = sorted.length;
    return set;
  }

  get size(): number {
    return this.#size;
  }

  has(key: string): boolean {
    const c = this.#chunkFor(key);
    if (c < 0) return false;
    const chunk = this.#chunks[c]!;
    const i = lowerBound(chunk, key);
    return i < chunk.length && chunk[i] === key;
  }

  /** Adds a key; false when it was there already. */
  add(key: string): boolean {
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#size = 1;
      return true;
    }
    let c = this.#chunkFor(key);
    if (c < 0) c = this.#chunks.length - 1; // greater than every key: append to the last chunk
    const chunk = this.#chunks[c]!;
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.#size++;
    if (chunk.length > MAX_CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
    return true;
  }

  /** Removes a key; false when it was not there. */
  delete(key: string): boolean {
    const c = this.#chunkFor(key);
    if (c < 0) return false;
    const chunk = this.#chunks[c]!;
    const i = lowerBound(chunk, key);
    if (i >= chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.#size--;
    if (chunk.length === 0) this.#chunks.splice(c, 1);
    return true;
  }

  /** Keys from `start` on (after it when `exclusive`), in order; every key when start is undefined. */
  *from(start: string | undefined, exclusive = false): Generator<string> {
    let c = start === undefined ? 0 : this.#chunkFor(start);
    if (c < 0) return;
    let i = 0;
    if (start !== undefined) {
      const chunk = this.#chunks[c]!;
      i = lowerBound(chunk, start);
      if (exclusive && i < chunk.length && chunk[i] === start) i++;
    }
    for (; c < this.#chunks.length; c++, i = 0) {
      const chunk = this.#chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** Index of the first chunk whose last key is >= key; -1 when key is greater than all. */
  #chunkFor(key: string): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#chunks.length ? lo : -1;
  }
}

/** First index whose key is >= key. */
function lowerBound(chunk: readonly string[], key: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(chunk[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
