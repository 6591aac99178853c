/**
 * Coalesced directory fsyncs. A rename is durable once its directory is fsynced; commits landing
 * in the same folder at once share fsyncs: a caller waits for the next fsync that starts after its
 * call, and every caller arriving while one runs is covered by the single one queued behind it.
 */
import { fsyncPath } from '../../../util/fsync-path.ts';

interface DirState {
  running: boolean;
  /** The fsync that has not started yet: callers join it. */
  waiting: { promise: Promise<void>; start: () => void } | undefined;
}

export class DirSyncer {
  readonly #dirs = new Map<string, DirState>();
  #count = 0;

  /** fsync calls issued so far (for tests and health). */
  get fsyncs(): number {
    return this.#count;
  }

  /** Resolves once an fsync of dir that started after this call has finished. */
  sync(dir: string): Promise<void> {
    let s = this.#dirs.get(dir);
    if (s === undefined) this.#dirs.set(dir, (s = { running: false, waiting: undefined }));
    if (s.waiting !== undefined) return s.waiting.promise;
    const state = s;
    let start!: () => void;
    const promise = new Promise<void>((resolve, reject) => {
      start = () => {
        state.waiting = undefined;
        state.running = true;
        this.#count++;
        fsyncPath(dir)
          .then(resolve, reject)
          .finally(() => {
            state.running = false;
            if (state.waiting !== undefined) state.waiting.start();
            else this.#dirs.delete(dir);
          });
      };
    });
    state.waiting = { promise, start };
    if (!state.running) start();
    return promise;
  }
}
