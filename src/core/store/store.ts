import type { Approval, ApprovalState } from '../approvals/types.js';

/** One line of the append-only audit log. */
export interface AuditEntry {
  at: number;
  /** command · request · approve · reject · cancel · expire · execute · refuse · auto-approve */
  kind: string;
  /** Policy person id, or `platform:userId` for someone the policy does not know. */
  actor: string;
  platform: string;
  chatId: string;
  command?: string;
  args?: Record<string, unknown>;
  approvalId?: string;
  outcome: 'ok' | 'refused' | 'failed';
  reason?: string;
  durationMs?: number;
}

export interface AuditQuery {
  since?: number;
  before?: number;
  limit?: number;
  oldestFirst?: boolean;
}

/**
 * Durable state: approvals (with compare-and-set transitions), event-dedupe claims with a TTL, cards
 * (console cards and other per-card data), and the append-only audit log. Methods are async so a Redis
 * implementation (WATCH/MULTI or a Lua CAS, SET NX PX for claims) fits the same interface.
 */
export interface Store {
  insertApproval(a: Approval): Promise<boolean>;
  getApproval(id: string): Promise<Approval | undefined>;
  /**
   * Writes `next` only if the stored version still equals `expectedVersion`; `next.version` must be
   * `expectedVersion + 1`. Returns false when another writer won.
   */
  updateApproval(next: Approval, expectedVersion: number): Promise<boolean>;
  listApprovals(filter: { states?: readonly ApprovalState[]; expiresBefore?: number; limit?: number }): Promise<Approval[]>;

  /** True the first time a key is claimed within its TTL (event dedupe). */
  claim(key: string, ttlMs: number, now: number): Promise<boolean>;
  /** Sets a held claim's expiry to `now + ttlMs` (the work is done: keep deduplicating for the window). */
  extendClaim(key: string, ttlMs: number, now: number): Promise<void>;
  /** Drops a claim (the work failed: the platform's redelivery is handled, not ignored). */
  releaseClaim(key: string): Promise<void>;
  /** Whether the key is claimed now — a read, for deduplicating while the store cannot write. */
  holdsClaim(key: string, now: number): Promise<boolean>;

  /**
   * Holds the named lease for `owner` until `now + ttlMs`: acquired when free or lapsed, renewed when
   * `owner` holds it; undefined when another owner holds it. `token` (fencing) grows with every new
   * holder and stays the same across renewals. For work only one process may do at a time (one
   * long connection per bot; scheduled reports).
   */
  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<{ token: number } | undefined>;
  /** Gives the lease back if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;

  /**
   * A send slot under a limit shared by every process of the store (a sliding window of `windowMs`
   * holding at most `cap`): 0 when taken, else how many ms until one frees up. Only shared stores (Redis)
   * have it; a single process's own queue limit is enough otherwise.
   */
  rateTake?(key: string, cap: number, windowMs: number, now: number): Promise<number>;

  /**
   * Messages to every process of the store (Redis PUBLISH/SUBSCRIBE): at most once, to those subscribed
   * at the time, in order per channel. Only shared stores have it; within one process `Bus` delivers
   * locally. `subscribe` resolves once the subscription is active and returns how to end it.
   */
  publish?(channel: string, message: string): Promise<void>;
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;

  putCard(id: string, value: unknown, now: number): Promise<void>;
  getCard<T>(id: string): Promise<T | undefined>;

  /** A small key-value area with a time-to-live (conversation memory). */
  putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void>;
  getKv<T>(key: string, now: number): Promise<T | undefined>;
  deleteKv(key: string): Promise<boolean>;
  /**
   * Read-modify-write of one key-value, atomic against every other writer of the store (other replicas
   * included): `f` gets the current value (undefined if none or expired) and returns the new one, which
   * is written with `ttlMs` and returned. `f` may run more than once (Redis retries on a conflict): keep it pure.
   */
  updateKv<T>(key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T>;

  appendAudit(e: AuditEntry): Promise<void>;
  /** Lines with `since` ≤ at < `before`, newest first (or oldest first: the export before pruning). */
  queryAudit(q: AuditQuery): Promise<AuditEntry[]>;

  /** Drops expired claims and key-values, cards older than `cardsBefore`, audit lines older than `auditBefore`. */
  prune(now: number, cardsBefore: number, auditBefore?: number): Promise<void>;
  /** Bytes on disk, where the store has a file (/metrics: opsbot_store_bytes). */
  sizeBytes?(): number | undefined;
  close(): Promise<void>;
}
