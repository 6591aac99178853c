import type { Clock } from './clock.ts';
import type { TwinEvent } from './events.ts';

/** The region's event log: bounded, newest last, with listeners (the host, and controllers that only mark themselves dirty). */
export class EventLog {
  private readonly items: TwinEvent[] = [];
  private readonly listeners = new Set<(e: TwinEvent) => void>();

  constructor(private readonly capacity: number, private readonly clock: Clock, host?: (e: TwinEvent) => void) {
    if (host) this.listeners.add(host);
  }

  emit(e: Omit<TwinEvent, 'at'> & { at?: number }): void {
    const event: TwinEvent = { ...e, at: e.at ?? this.clock.now() };
    this.items.push(event);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own; the log and the other listeners go on
      }
    }
  }

  subscribe(l: (e: TwinEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  list(): readonly TwinEvent[] {
    return this.items;
  }
}
