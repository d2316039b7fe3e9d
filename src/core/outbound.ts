import { withDeadline } from './deadline.js';
import pRetry from 'p-retry';
import PQueue from 'p-queue';
import type { Logger } from '../log.js';

/** A failure worth another try (429, 5xx, timeouts), possibly with the platform's "retry after". */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface OutboundOptions {
  log: Logger;
  /** Per-key rate limit, e.g. Feishu's 5 messages per second per chat. */
  perKey: { cap: number; intervalMs: number };
  /** Concurrency across all keys. */
  concurrency?: number;
  /** Attempts per call, the first included. */
  attempts?: number;
  /** Timeout of one attempt. */
  timeoutMs?: number;
  /** First backoff; doubles per retry (with jitter). Tests shorten it. */
  minBackoffMs?: number;
  /** The same per-key limit shared with other replicas (PlatformDeps.rate): ms to wait, 0 to go. */
  shared?: SharedRate;
}

/** A per-key limit shared by every replica (the Redis store's sliding window): ms to wait, 0 to go. */
export type SharedRate = (key: string, cap: number, windowMs: number) => Promise<number>;

const MAX_KEYS = 5000;
const MAX_WAIT_MS = 60_000;

/**
 * The one outbound path of every platform adapter: a rate-limited queue per key (chat or message),
 * a global concurrency bound, a timeout per attempt, and bounded retries with exponential backoff that
 * honour the platform's reset hints. Only RetryableError is retried; anything else fails at once.
 */
export class Outbound {
  readonly #o: Required<Omit<OutboundOptions, 'shared'>>;
  /** Only with a shared store: without one, a send does not wait on it at all. */
  readonly #shared: SharedRate | undefined;
  readonly #global: PQueue;
  readonly #queues = new Map<string, PQueue>();

  constructor(o: OutboundOptions) {
    const { shared, ...rest } = o;
    this.#o = { concurrency: 16, attempts: 4, timeoutMs: 10_000, minBackoffMs: 500, ...rest };
    this.#shared = shared;
    this.#global = new PQueue({ concurrency: this.#o.concurrency });
  }

  run<T>(key: string, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#queue(key).add(
      async () => {
        if (this.#shared) await this.#sharedSlot(this.#shared, key);
        return this.#global.add(() =>
          pRetry(
            async () => {
              try {
                return await withDeadline(this.#o.timeoutMs, undefined, fn);
              } catch (err) {
                const e = err as { name?: string };
                if (e?.name === 'TimeoutError' || e?.name === 'AbortError') throw new RetryableError(`${what} timed out after ${this.#o.timeoutMs} ms`);
                if ((err as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED' || (err as { cause?: { code?: string } })?.cause?.code === 'ECONNRESET') {
                  throw new RetryableError(`${what}: ${(err as { cause: { code: string } }).cause.code}`);
                }
                throw err;
              }
            },
            {
              retries: this.#o.attempts - 1,
              minTimeout: this.#o.minBackoffMs,
              maxTimeout: MAX_WAIT_MS,
              factor: 2,
              randomize: true,
              shouldRetry: ({ error }) => error instanceof RetryableError,
              onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
                if (!(error instanceof RetryableError)) return;
                this.#o.log.warn({ what, attempt: attemptNumber, retriesLeft, reason: error.message }, 'outbound call failed; retrying');
                // The platform said when: wait that long (the backoff comes on top).
                if (error.retryAfterMs && retriesLeft > 0) await new Promise((r) => setTimeout(r, Math.min(error.retryAfterMs as number, MAX_WAIT_MS)));
              },
            },
          ),
        );
      },
    ) as Promise<T>;
  }

  /** Waits for a slot under the limit shared with other replicas (bounded: then it goes anyway). */
  async #sharedSlot(shared: SharedRate, key: string): Promise<void> {
    let waited = 0;
    while (waited < MAX_WAIT_MS) {
      const wait = await shared(key, this.#o.perKey.cap, this.#o.perKey.intervalMs);
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
      waited += wait;
    }
  }

  #queue(key: string): PQueue {
    let q = this.#queues.get(key);
    if (!q) {
      q = new PQueue({ concurrency: this.#o.perKey.cap, intervalCap: this.#o.perKey.cap, interval: this.#o.perKey.intervalMs, strict: true });
      this.#queues.set(key, q);
      if (this.#queues.size > MAX_KEYS) {
        for (const [k, old] of this.#queues) {
          if (old.size === 0 && old.pending === 0) this.#queues.delete(k);
          if (this.#queues.size <= MAX_KEYS / 2) break;
        }
      }
    }
    return q;
  }

  /** Calls waiting and running, over every key (the status page's queue depth). */
  stats(): { queued: number; running: number; keys: number } {
    let queued = 0;
    let running = 0;
    for (const q of this.#queues.values()) {
      queued += q.size;
      running += q.pending;
    }
    return { queued, running, keys: this.#queues.size };
  }

  /** Resolves when every queued call has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.onIdle()));
    await this.#global.onIdle();
  }
}
