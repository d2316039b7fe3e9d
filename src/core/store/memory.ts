import type { Approval } from '../approvals/types.js';
import type { AuditEntry, AuditQuery, Store } from './store.js';

/** In-process store for tests and `OPSBOT_STORE=memory:` (nothing survives a restart). */
export class MemoryStore implements Store {
  readonly #approvals = new Map<string, string>();
  readonly #claims = new Map<string, number>();
  readonly #cards = new Map<string, { at: number; json: string }>();
  #audit: string[] = [];
  readonly #leases = new Map<string, { owner: string; until: number; token: number }>();
  readonly #kv = new Map<string, { until: number; json: string }>();

  async insertApproval(a: Approval): Promise<boolean> {
    if (this.#approvals.has(a.id)) return false;
    this.#approvals.set(a.id, JSON.stringify(a));
    return true;
  }
  async getApproval(id: string): Promise<Approval | undefined> {
    const v = this.#approvals.get(id);
    return v ? (JSON.parse(v) as Approval) : undefined;
  }
  async updateApproval(next: Approval, expectedVersion: number): Promise<boolean> {
    const cur = this.#approvals.get(next.id);
    if (!cur || (JSON.parse(cur) as Approval).version !== expectedVersion || next.version !== expectedVersion + 1) return false;
    this.#approvals.set(next.id, JSON.stringify(next));
    return true;
  }
  async listApprovals(f: Parameters<Store['listApprovals']>[0]): Promise<Approval[]> {
    const all = [...this.#approvals.values()].map((v) => JSON.parse(v) as Approval);
    return all
      .filter((a) => (!f.states || f.states.includes(a.state)) && (f.expiresBefore === undefined || a.expiresAt <= f.expiresBefore))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, f.limit ?? 100);
  }
  async claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    const until = this.#claims.get(key);
    if (until !== undefined && until > now) return false;
    this.#claims.set(key, now + ttlMs);
    return true;
  }
  async extendClaim(key: string, ttlMs: number, now: number): Promise<void> {
    if (this.#claims.has(key)) this.#claims.set(key, now + ttlMs);
  }
  async releaseClaim(key: string): Promise<void> {
    this.#claims.delete(key);
  }
  async holdsClaim(key: string, now: number): Promise<boolean> {
    return this.holds(key, now);
  }
  /** Whether the key is claimed now (without claiming it). */
  holds(key: string, now: number): boolean {
    const until = this.#claims.get(key);
    return until !== undefined && until > now;
  }
  /** Nothing kept (claims, cards, key-values) — the store guard stops reading it. */
  get empty(): boolean {
    return !this.#claims.size && !this.#cards.size && !this.#kv.size && !this.#approvals.size;
  }
  async acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<{ token: number } | undefined> {
    const cur = this.#leases.get(name);
    if (cur && cur.owner !== owner && cur.until > now) return undefined;
    const token = cur && cur.owner === owner && cur.until > now ? cur.token : (cur?.token ?? 0) + 1;
    this.#leases.set(name, { owner, until: now + ttlMs, token });
    return { token };
  }
  async releaseLease(name: string, owner: string): Promise<void> {
    const cur = this.#leases.get(name);
    if (cur?.owner === owner) this.#leases.set(name, { ...cur, until: 0 });
  }
  async putCard(id: string, value: unknown, now: number): Promise<void> {
    this.#cards.set(id, { at: this.#cards.get(id)?.at ?? now, json: JSON.stringify(value) });
  }
  async getCard<T>(id: string): Promise<T | undefined> {
    const c = this.#cards.get(id);
    return c ? (JSON.parse(c.json) as T) : undefined;
  }
  async putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void> {
    this.#kv.set(key, { until: now + ttlMs, json: JSON.stringify(value) });
  }
  async getKv<T>(key: string, now: number): Promise<T | undefined> {
    const v = this.#kv.get(key);
    return v && v.until > now ? (JSON.parse(v.json) as T) : undefined;
  }
  async deleteKv(key: string): Promise<boolean> {
    return this.#kv.delete(key);
  }
  async updateKv<T>(key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T> {
    const v = this.#kv.get(key);
    const next = f(v && v.until > now ? (JSON.parse(v.json) as T) : undefined);
    this.#kv.set(key, { until: now + ttlMs, json: JSON.stringify(next) });
    return next;
  }
  async appendAudit(e: AuditEntry): Promise<void> {
    this.#audit.push(JSON.stringify(e));
  }
  async queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const out = this.#audit.map((s) => JSON.parse(s) as AuditEntry).filter((e) => (q.since === undefined || e.at >= q.since) && (q.before === undefined || e.at < q.before));
    return (q.oldestFirst ? out : out.reverse()).slice(0, q.limit ?? 100);
  }
  async prune(now: number, cardsBefore: number, auditBefore?: number): Promise<void> {
    if (auditBefore) this.#audit = this.#audit.filter((j) => (JSON.parse(j) as AuditEntry).at >= auditBefore);
    for (const [k, until] of this.#claims) if (until <= now) this.#claims.delete(k);
    for (const [k, c] of this.#cards) if (c.at < cardsBefore) this.#cards.delete(k);
    for (const [k, v] of this.#kv) if (v.until <= now) this.#kv.delete(k);
  }
  async close(): Promise<void> {}
}
