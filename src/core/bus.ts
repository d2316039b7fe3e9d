import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import { RetryableError } from './outbound.js';
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
      // One copy for all local subscribers, as one Redis message is parsed once per process.
      const m = JSON.parse(text) as unknown;
      for (const h of handlers) this.#deliver(channel, h, m);
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

  // --- request/reply: a hand-off to the one process that can do something (holds a connection) -----

  readonly #replyChannel = `reply:${randomUUID()}`;
  readonly #waiting = new Map<string, { resolve: (a: unknown) => void; reject: (e: Error) => void }>();
  #replies?: Promise<unknown>;

  /**
   * Answers requests on `channel` (while this process can: end it when it no longer can). The handler's
   * error goes back to the asker as its message.
   */
  serve<Q, A>(channel: string, handler: (q: Q) => Promise<A>): Promise<() => Promise<void>> {
    return this.subscribe<{ id: string; replyTo: string; q: Q }>(`${channel}:req`, (m) => {
      void handler(m.q).then(
        (a) => this.publish(m.replyTo, { id: m.id, ok: true, a }),
        (err: unknown) => this.publish(m.replyTo, { id: m.id, ok: false, error: (err as Error).message ?? String(err), retryable: err instanceof RetryableError }),
      ).catch((err: unknown) => this.#log.warn({ err, channel }, 'bus: reply not sent'));
    });
  }

  /**
   * Asks whoever serves `channel` and waits for the answer, at most `timeoutMs` (then a BusTimeoutError:
   * nobody serves it now, or the server is slow). At most once: a request is never resent here.
   */
  async request<Q, A>(channel: string, q: Q, timeoutMs: number): Promise<A> {
    this.#replies ??= this.subscribe<{ id: string; ok: boolean; a?: unknown; error?: string; retryable?: boolean }>(this.#replyChannel, (m) => {
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (m.ok) w.resolve(m.a);
      else w.reject(m.retryable ? new RetryableError(m.error ?? 'failed') : new BusRemoteError(m.error ?? 'failed'));
    });
    await this.#replies;
    const id = randomUUID();
    return new Promise<A>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new BusTimeoutError(`no answer on ${channel} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#waiting.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a as A);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.publish(`${channel}:req`, { id, replyTo: this.#replyChannel, q }).catch((err: unknown) => {
        this.#waiting.delete(id);
        clearTimeout(timer);
        reject(err as Error);
      });
    });
  }

  #deliver(channel: string, h: (m: unknown) => void, m: unknown): void {
    try {
      h(m);
    } catch (err) {
      this.#log.error({ err, channel }, 'bus subscriber failed');
    }
  }
}

/** Nobody answered a bus request in time (retryable: a new server may take over). */
export class BusTimeoutError extends RetryableError {}
/** The serving process answered with an error (its message). */
export class BusRemoteError extends Error {}
