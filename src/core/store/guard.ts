import type { Approval, ApprovalState } from '../approvals/types.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../../log.js';
import { MemoryStore } from './memory.js';
import type { AuditEntry, AuditQuery, Store } from './store.js';

/** Whether the store takes writes now; when not, since when and why (in the operator's words). */
export type StoreHealth = { writable: true } | { writable: false; reason: string; since: number; full: boolean };

export interface GuardOptions {
  log: Logger;
  now: () => number;
  /**
   * Keep deduplication claims, button payloads and key-values (conversation memory, card copies) in this
   * process's memory while the store cannot write, so read-only commands keep answering. Right for a
   * store only this process uses (SQLite); wrong for a shared one (Redis with several replicas), where a
   * claim held only here would let another replica handle the same event: there, writes fail and the
   * webhook answers 503 so the platform retries.
   */
  fallback: boolean;
  /** Each failed write, by operation (/metrics: opsbot_store_write_failures_total). */
  onWriteFailure?: (op: string) => void;
}

/**
 * The store as the rest of the app sees it: it knows whether the underlying store can write (a full
 * disk, a read-only file, a store that went away) and says so — in readiness, in /metrics, and to chat
 * users as "storage is full — changes are refused" — instead of a bare internal error. Approvals and
 * the audit log never fall back to memory: a change is refused before anything runs, and a missed audit
 * line is counted. One place for this, whatever the store.
 */
export class GuardedStore implements Store {
  readonly #inner: Store;
  readonly #o: GuardOptions;
  readonly #memory = new MemoryStore();
  /** Whether anything went to memory since the last prune found it empty: reads skip it otherwise. */
  #inMemory = false;
  #health: StoreHealth = { writable: true };

  constructor(inner: Store, o: GuardOptions) {
    this.#inner = inner;
    this.#o = o;
  }

  health(): StoreHealth {
    return this.#health;
  }

  /** Tries a real write (readiness): throws with the reason when the store cannot write; recovers the health when it can. */
  async probe(): Promise<void> {
    try {
      await this.#write('probe', () => this.#inner.putKv('readyz', this.#o.now(), 60_000, this.#o.now()));
    } catch (err) {
      throw new Error(`cannot write: ${(err as StoreUnavailableError).reason}`);
    }
  }

  /** Runs a write against the store, keeping the health up to date; a failure is thrown as StoreUnavailableError. */
  async #write<T>(op: string, run: () => Promise<T>): Promise<T> {
    let out: T;
    try {
      out = await run();
    } catch (err) {
      throw this.#failed(op, err);
    }
    if (!this.#health.writable) {
      this.#o.log.warn({ downForMs: this.#o.now() - this.#health.since }, 'the store writes again; changes are accepted');
      this.#health = { writable: true };
    }
    return out;
  }

  /** A write, or where allowed (ephemeral data), the same write to memory when the store refuses it. */
  async #ephemeral<T>(op: string, run: (s: Store) => Promise<T>): Promise<T> {
    try {
      return await this.#write(op, () => run(this.#inner));
    } catch (err) {
      if (!this.#o.fallback) throw err;
      this.#inMemory = true;
      return run(this.#memory);
    }
  }

  async #read<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.#unavailable(err);
    }
  }

  #failed(op: string, err: unknown): StoreUnavailableError {
    this.#o.onWriteFailure?.(op);
    const e = this.#unavailable(err);
    if (this.#health.writable) {
      this.#health = { writable: false, reason: e.reason, since: this.#o.now(), full: e.full };
      this.#o.log.error({ op, reason: e.reason }, 'the store cannot write: changes are refused until it can (read-only commands still answer)');
    }
    return e;
  }

  #unavailable(err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    const code = (err as { code?: unknown }).code;
    const message = (err as Error)?.message ?? String(err);
    const reason = typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
    const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || /disk is full|no space left/i.test(message);
    return new StoreUnavailableError(reason, full, err);
  }

  // --- approvals: durable or refused ------------------------------------------------------------

  insertApproval(a: Approval): Promise<boolean> {
    return this.#write('approval', () => this.#inner.insertApproval(a));
  }
  getApproval(id: string): Promise<Approval | undefined> {
    return this.#read(() => this.#inner.getApproval(id));
  }
  updateApproval(next: Approval, expectedVersion: number): Promise<boolean> {
    return this.#write('approval', () => this.#inner.updateApproval(next, expectedVersion));
  }
  listApprovals(filter: { states?: readonly ApprovalState[]; expiresBefore?: number; limit?: number }): Promise<Approval[]> {
    return this.#read(() => this.#inner.listApprovals(filter));
  }

  // --- ephemeral: memory while the store cannot write (when allowed) -------------------------------

  async claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    // A key claimed in memory during an outage stays claimed there, whatever the store says later.
    if (this.#inMemory && this.#memory.holds(key, now)) return false;
    return this.#ephemeral('claim', async (s) => {
      // Falling back: a claim the store holds from before the outage still counts.
      if (s === this.#memory && (await this.#read(() => this.#inner.holdsClaim(key, now)))) return false;
      return s.claim(key, ttlMs, now);
    });
  }
  holdsClaim(key: string, now: number): Promise<boolean> {
    if (this.#inMemory && this.#memory.holds(key, now)) return Promise.resolve(true);
    return this.#read(() => this.#inner.holdsClaim(key, now));
  }
  extendClaim(key: string, ttlMs: number, now: number): Promise<void> {
    return this.#ephemeral('claim', async (s) => {
      if (s === this.#memory) await s.claim(key, ttlMs, now); // held in the store, now kept here
      await s.extendClaim(key, ttlMs, now);
    });
  }
  async releaseClaim(key: string): Promise<void> {
    if (this.#inMemory) await this.#memory.releaseClaim(key);
    await this.#ephemeral('claim', (s) => s.releaseClaim(key));
  }
  /** The shared send limit, where the store has one (Redis); a failure lets the send go (the local limit still holds). */
  get rateTake(): Store['rateTake'] {
    const inner = this.#inner;
    return inner.rateTake ? (key, cap, windowMs, now) => (inner.rateTake as NonNullable<Store['rateTake']>).call(inner, key, cap, windowMs, now).catch(() => 0) : undefined;
  }

  /** Pub/sub, where the store has it (Redis): passed through; `Bus` delivers locally otherwise. */
  get publish(): Store['publish'] {
    const inner = this.#inner;
    return inner.publish ? (channel, message) => (inner.publish as NonNullable<Store['publish']>).call(inner, channel, message) : undefined;
  }
  get subscribe(): Store['subscribe'] {
    const inner = this.#inner;
    return inner.subscribe ? (channel, on) => (inner.subscribe as NonNullable<Store['subscribe']>).call(inner, channel, on) : undefined;
  }

  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<{ token: number } | undefined> {
    return this.#ephemeral('lease', (s) => s.acquireLease(name, owner, ttlMs, now));
  }
  async releaseLease(name: string, owner: string): Promise<void> {
    if (this.#inMemory) await this.#memory.releaseLease(name, owner);
    await this.#ephemeral('lease', (s) => s.releaseLease(name, owner));
  }
  putCard(id: string, value: unknown, now: number): Promise<void> {
    return this.#ephemeral('card', (s) => s.putCard(id, value, now));
  }
  async getCard<T>(id: string): Promise<T | undefined> {
    const mem = this.#inMemory ? await this.#memory.getCard<T>(id) : undefined;
    return mem ?? this.#read(() => this.#inner.getCard<T>(id));
  }
  async putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void> {
    await this.#ephemeral('kv', (s) => s.putKv(key, value, ttlMs, now));
    // Written to the store again: an older copy in memory must not shadow it.
    if (this.#inMemory && this.#health.writable) await this.#memory.deleteKv(key);
  }
  async getKv<T>(key: string, now: number): Promise<T | undefined> {
    const mem = this.#inMemory ? await this.#memory.getKv<T>(key, now) : undefined;
    return mem ?? this.#read(() => this.#inner.getKv<T>(key, now));
  }
  async deleteKv(key: string): Promise<boolean> {
    const mem = this.#inMemory ? await this.#memory.deleteKv(key) : false;
    try {
      return (await this.#write('kv', () => this.#inner.deleteKv(key))) || mem;
    } catch (err) {
      if (!this.#o.fallback) throw err;
      return mem;
    }
  }

  async updateKv<T>(key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T> {
    const inMemory = this.#inMemory ? await this.#memory.getKv<T>(key, now) : undefined;
    if (inMemory === undefined) {
      try {
        return await this.#write('kv', () => this.#inner.updateKv(key, f, ttlMs, now));
      } catch (err) {
        if (!this.#o.fallback) throw err;
      }
    }
    // The store refuses writes (or the newest copy was written to memory during an outage): carry on
    // in memory, from the newest copy there or else the store's (which can still be read).
    this.#inMemory = true;
    const base = inMemory ?? (await this.#inner.getKv<T>(key, now).catch(() => undefined));
    const next = await this.#memory.updateKv<T>(key, () => f(base), ttlMs, now);
    if (inMemory !== undefined && this.#health.writable) {
      // The store writes again: the copy goes back to it, and memory stops shadowing it.
      await this.#write('kv', () => this.#inner.putKv(key, next, ttlMs, now)).then(
        () => this.#memory.deleteKv(key),
        () => undefined,
      );
    }
    return next;
  }

  // --- audit: durable or counted as a gap (by Audit) ----------------------------------------------

  appendAudit(e: AuditEntry): Promise<void> {
    return this.#write('audit', () => this.#inner.appendAudit(e));
  }
  queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    return this.#read(() => this.#inner.queryAudit(q));
  }

  async prune(now: number, cardsBefore: number, auditBefore?: number): Promise<void> {
    if (this.#inMemory) {
      await this.#memory.prune(now, cardsBefore);
      if (this.#health.writable && this.#memory.empty) this.#inMemory = false;
    }
    await this.#write('prune', () => this.#inner.prune(now, cardsBefore, auditBefore));
  }
  sizeBytes(): number | undefined {
    return this.#inner.sizeBytes?.();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
