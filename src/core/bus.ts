import type { Logger } from '../log.js';
import type { Store } from './store/store.js';

/** The largest message the bus carries (a card is a few KB; a bigger message is a bug, dropped and logged). */
export const MAX_BUS_MESSAGE = 256 * 1024;

/**
 * Messages between the replicas of one store: console live updates, and hand-offs to the replica that
 * holds a platform's one long connection. Over Redis pub/sub where the store is shared; within the
 * process otherwise (one process is every replica there is). Delivery is at most once, to whoever is
 * subscribed — what needs to survive a crash is written to the store, not sent here.
 */
export class Bus {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #local = new Map<string, Set<(m: unknown) => void>>();

  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /** Does a message reach other processes (a shared store)? */
  get shared(): boolean {
    return Boolean(this.#store.publish && this.#store.subscribe);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    const text = JSON.stringify(message);
    if (text.length > MAX_BUS_MESSAGE) {
      this.#log.error({ channel, bytes: text.length }, 'bus message too large; dropped');
      return;
    }
    if (this.#store.publish && this.#store.subscribe) return this.#store.publish(channel, text);
    // Local: asynchronously, as over Redis, so a publisher never runs its subscribers' code inline.
    const handlers = [...(this.#local.get(channel) ?? [])];
    queueMicrotask(() => {
      for (const h of handlers) this.#deliver(channel, h, JSON.parse(text) as unknown);
    });
  }

  async subscribe<T>(channel: string, onMessage: (m: T) => void): Promise<() => Promise<void>> {
    const h = onMessage as (m: unknown) => void;
    if (this.#store.subscribe) {
      return this.#store.subscribe(channel, (text) => {
        let m: unknown;
        try {
          m = JSON.parse(text);
        } catch {
          this.#log.warn({ channel }, 'bus message is not JSON; ignored');
          return;
        }
        this.#deliver(channel, h, m);
      });
    }
    const set = this.#local.get(channel) ?? new Set();
    set.add(h);
    this.#local.set(channel, set);
    return async () => void set.delete(h);
  }

  #deliver(channel: string, h: (m: unknown) => void, m: unknown): void {
    try {
      h(m);
    } catch (err) {
      this.#log.error({ err, channel }, 'bus subscriber failed');
    }
  }
}
