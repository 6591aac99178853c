/**
 * Copies one stream into several, at the pace of the slowest live one, and lets a failed or stalled
 * destination drop out without stopping the others: the write goes on while enough replicas keep
 * up, and the caller decides afterwards whether enough did. Memory stays at one chunk in flight
 * per destination plus the destinations' own buffers.
 */
import type { Readable, Writable } from 'node:stream';

export interface FanOutSink {
  readonly body: Writable;
  /** Called once when this destination fails or stalls; the fan-out stops writing to it. */
  drop(reason: Error): void;
}

export interface FanOutOptions {
  /** A destination that accepts nothing for this long while others wait is dropped. @default 5000 */
  readonly stallMs?: number;
  /** Stop early once fewer destinations than this remain. */
  readonly minLive: number;
  /** End every live destination when the source ends. @default true */
  readonly end?: boolean;
}

/**
 * Resolves with the destinations still live after the source ended (each ended, unless `end` is
 * false: then the caller ends or destroys them); rejects with the
 * source's error, or when fewer than minLive remain (every sink then dropped).
 */
export function fanOut(source: Readable, sinks: readonly FanOutSink[], opts: FanOutOptions): Promise<FanOutSink[]> {
  const stallMs = opts.stallMs ?? 5000;
  return new Promise((resolve, reject) => {
    const live = new Set(sinks);
    const waiting = new Set<FanOutSink>();
    let stallTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      for (const s of live) s.body.off('drain', onDrainOf.get(s)!);
      if (err !== undefined) {
        for (const s of live) s.drop(err);
        source.resume();
        reject(err);
      } else resolve([...live]);
    };

    const drop = (s: FanOutSink, reason: Error): void => {
      if (!live.delete(s)) return;
      waiting.delete(s);
      s.body.off('drain', onDrainOf.get(s)!);
      s.drop(reason);
      if (live.size < opts.minLive) finish(new Error(`only ${live.size} of ${sinks.length} replicas kept up: ${reason.message}`));
      else maybeResume();
    };

    const maybeResume = (): void => {
      if (waiting.size > 0 || settled) return;
      clearTimeout(stallTimer);
      stallTimer = undefined;
      source.resume();
    };

    const onDrainOf = new Map<FanOutSink, () => void>();
    for (const s of sinks) {
      const onDrain = (): void => {
        waiting.delete(s);
        maybeResume();
      };
      onDrainOf.set(s, onDrain);
      s.body.on('drain', onDrain);
      s.body.once('error', (e: Error) => drop(s, e));
      s.body.once('close', () => {
        if (!s.body.writableFinished) drop(s, new Error('the replica closed its stream early'));
      });
    }

    const onData = (chunk: Buffer): void => {
      for (const s of live) {
        if (!s.body.write(chunk)) waiting.add(s);
      }
      if (waiting.size > 0) {
        source.pause();
        stallTimer ??= setTimeout(() => {
          for (const s of [...waiting]) drop(s, new Error(`the replica accepted nothing for ${stallMs} ms`));
        }, stallMs);
      }
    };
    const onEnd = (): void => {
      if (opts.end !== false) for (const s of live) s.body.end();
      finish();
    };
    const onError = (e: Error): void => finish(e);

    if (sinks.length < opts.minLive) {
      finish(new Error(`only ${sinks.length} replicas could be reached`));
      return;
    }
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
  });
}
