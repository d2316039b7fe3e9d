import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Approval, ApprovalState } from '../approvals/types.js';
import type { AuditEntry, AuditQuery, Store } from './store.js';

/** Schema migrations, applied in order; PRAGMA user_version records how many ran. */
const MIGRATIONS: string[] = [
  `CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     version INTEGER NOT NULL,
     chat_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX approvals_state_expiry ON approvals(state, expires_at);
   CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
   CREATE TABLE cards (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX audit_at ON audit(at);
   CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`,
  `CREATE TABLE kv (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX kv_expiry ON kv(expires_at);`,
  // Audit retention: rows older than the retention cutoff (kept in \`retention\`, moved by prune) may be
  // deleted; everything newer stays append-only, so the log cannot be trimmed by hand.
  `CREATE TABLE retention (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   DROP TRIGGER audit_no_delete;
   CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
     WHEN OLD.at >= COALESCE((SELECT value FROM retention WHERE name = 'audit_before'), 0)
     BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`,
  // Leases: one holder at a time, with a fencing token that grows with every new holder.
  `CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL, token INTEGER NOT NULL);`,
];

/**
 * The default store: one SQLite file under ./data, WAL mode (readers never block the writer), every
 * approval transition a single `UPDATE … WHERE version = ?`. better-sqlite3 is synchronous, so each
 * statement is atomic within this process; WAL and busy_timeout cover other processes (npm run audit).
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #s: ReturnType<SqliteStore['prepare']>;
  /** Writes waiting for this event-loop turn's transaction, in arrival order. */
  readonly #pending: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  /** Key-values and cards written or deleted in the pending batch: reads see them before the commit. */
  readonly #pendingKv = new Map<string, { data: string; until: number } | null>();
  readonly #pendingCards = new Map<string, string>();

  readonly #file: string;

  constructor(file: string, opts: { readonly?: boolean } = {}) {
    this.#file = file;
    if (file !== ':memory:' && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    this.#db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#migrate();
    }
    this.#s = this.prepare();
  }

  /** How many migrations the file has. */
  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  #migrate(): void {
    const have = this.schemaVersion;
    if (have > MIGRATIONS.length) throw new Error(`the store was written by a newer opsbot (schema ${have}, this build knows ${MIGRATIONS.length})`);
    for (let v = have; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v] as string);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private prepare() {
    const db = this.#db;
    return {
      insert: db.prepare('INSERT OR IGNORE INTO approvals (id, state, version, chat_id, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT data FROM approvals WHERE id = ?'),
      cas: db.prepare('UPDATE approvals SET state = ?, version = ?, expires_at = ?, data = ? WHERE id = ? AND version = ?'),
      // Inserts, or takes over an expired claim; `changes` is 1 exactly when the caller now holds it.
      claim: db.prepare('INSERT INTO claims (key, expires_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?'),
      claimExtend: db.prepare('UPDATE claims SET expires_at = ? WHERE key = ?'),
      claimRelease: db.prepare('DELETE FROM claims WHERE key = ?'),
      claimHeld: db.prepare('SELECT 1 FROM claims WHERE key = ? AND expires_at > ?'),
      // Free or lapsed → taken (token + 1); held by the same owner → renewed (same token); else untouched.
      leaseAcquire: db.prepare(`INSERT INTO leases (name, owner, until, token) VALUES (@name, @owner, @until, 1)
        ON CONFLICT(name) DO UPDATE SET
          token = CASE WHEN leases.owner = excluded.owner AND leases.until > @now THEN leases.token ELSE leases.token + 1 END,
          owner = excluded.owner, until = excluded.until
        WHERE leases.owner = excluded.owner OR leases.until <= @now
        RETURNING token`),
      leaseRelease: db.prepare('UPDATE leases SET until = 0 WHERE name = ? AND owner = ?'),
      cardPut: db.prepare('INSERT INTO cards (id, created_at, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data'),
      cardGet: db.prepare('SELECT data FROM cards WHERE id = ?'),
      kvPut: db.prepare('INSERT INTO kv (key, expires_at, data) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data'),
      kvGet: db.prepare('SELECT data FROM kv WHERE key = ? AND expires_at > ?'),
      kvDelete: db.prepare('DELETE FROM kv WHERE key = ?'),
      pruneKv: db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      audit: db.prepare('INSERT INTO audit (at, data) VALUES (?, ?)'),
      auditNewest: db.prepare('SELECT data FROM audit WHERE at >= ? AND at < ? ORDER BY seq DESC LIMIT ?'),
      auditOldest: db.prepare('SELECT data FROM audit WHERE at >= ? AND at < ? ORDER BY seq ASC LIMIT ?'),
      pruneClaims: db.prepare('DELETE FROM claims WHERE expires_at <= ?'),
      pruneCards: db.prepare('DELETE FROM cards WHERE created_at < ?'),
      auditCutoff: db.prepare("INSERT INTO retention (name, value) VALUES ('audit_before', ?) ON CONFLICT(name) DO UPDATE SET value = MAX(retention.value, excluded.value)"),
      pruneAudit: db.prepare('DELETE FROM audit WHERE at < (SELECT value FROM retention WHERE name = ?)'),
    };
  }

  async insertApproval(a: Approval): Promise<boolean> {
    return this.#s.insert.run(a.id, a.state, a.version, a.chatId, a.createdAt, a.expiresAt, JSON.stringify(a)).changes === 1;
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    const row = this.#s.get.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Approval) : undefined;
  }

  async updateApproval(next: Approval, expectedVersion: number): Promise<boolean> {
    if (next.version !== expectedVersion + 1) return false;
    return this.#s.cas.run(next.state, next.version, next.expiresAt, JSON.stringify(next), next.id, expectedVersion).changes === 1;
  }

  async listApprovals(f: { states?: readonly ApprovalState[]; expiresBefore?: number; limit?: number }): Promise<Approval[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (f.states?.length) {
      where.push(`state IN (${f.states.map(() => '?').join(',')})`);
      params.push(...f.states);
    }
    if (f.expiresBefore !== undefined) {
      where.push('expires_at <= ?');
      params.push(f.expiresBefore);
    }
    const sql = `SELECT data FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, f.limit ?? 100) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as Approval);
  }

  /**
   * Writes arriving in the same event-loop turn (a burst of webhook deliveries: claims, key-values,
   * cards, audit lines) share one transaction — one commit instead of one per write, each write still
   * atomic and in order, and each caller's promise settled only once its write is committed. Reads of
   * a key-value or card written in the pending batch see it (read-your-writes). If the batch fails as a
   * whole, its writes are retried one by one, so one bad write fails alone.
   */
  #write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending.splice(0);
    if (!batch.length) return;
    this.#pendingKv.clear();
    this.#pendingCards.clear();
    let out: unknown[];
    try {
      out = this.#db.transaction(() => batch.map((w) => w.run()))();
    } catch {
      for (const w of batch) {
        try {
          w.resolve(this.#db.transaction(w.run)());
        } catch (err) {
          w.reject(err);
        }
      }
      return;
    }
    batch.forEach((w, i) => w.resolve(out[i]));
  }

  claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    return this.#write(() => this.#s.claim.run(key, now + ttlMs, now).changes === 1);
  }

  async extendClaim(key: string, ttlMs: number, now: number): Promise<void> {
    await this.#write(() => this.#s.claimExtend.run(now + ttlMs, key));
  }

  async releaseClaim(key: string): Promise<void> {
    await this.#write(() => this.#s.claimRelease.run(key));
  }

  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<{ token: number } | undefined> {
    return this.#write(() => {
      const row = this.#s.leaseAcquire.get({ name, owner, until: now + ttlMs, now }) as { token: number } | undefined;
      return row ? { token: row.token } : undefined;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#write(() => this.#s.leaseRelease.run(name, owner));
  }

  async holdsClaim(key: string, now: number): Promise<boolean> {
    return this.#s.claimHeld.get(key, now) !== undefined;
  }

  async putCard(id: string, value: unknown, now: number): Promise<void> {
    const data = JSON.stringify(value);
    this.#pendingCards.set(id, data);
    await this.#write(() => this.#s.cardPut.run(id, now, data));
  }

  async getCard<T>(id: string): Promise<T | undefined> {
    const pending = this.#pendingCards.get(id);
    if (pending !== undefined) return JSON.parse(pending) as T;
    const row = this.#s.cardGet.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  async putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void> {
    const data = JSON.stringify(value);
    const until = now + ttlMs;
    this.#pendingKv.set(key, { data, until });
    await this.#write(() => this.#s.kvPut.run(key, until, data));
  }

  async getKv<T>(key: string, now: number): Promise<T | undefined> {
    const pending = this.#pendingKv.get(key);
    if (pending !== undefined) return pending && pending.until > now ? (JSON.parse(pending.data) as T) : undefined;
    const row = this.#s.kvGet.get(key, now) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  async deleteKv(key: string): Promise<boolean> {
    const had = this.#pendingKv.get(key);
    this.#pendingKv.set(key, null);
    const deleted = await this.#write(() => this.#s.kvDelete.run(key).changes > 0);
    return deleted || Boolean(had);
  }

  updateKv<T>(key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T> {
    // Read and write inside the batch's transaction, with no await between: nothing else writes in between.
    return this.#write(() => {
      const row = this.#s.kvGet.get(key, now) as { data: string } | undefined;
      const next = f(row ? (JSON.parse(row.data) as T) : undefined);
      const data = JSON.stringify(next);
      this.#s.kvPut.run(key, now + ttlMs, data);
      this.#pendingKv.set(key, { data, until: now + ttlMs });
      return next;
    });
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    const data = JSON.stringify(e);
    await this.#write(() => this.#s.audit.run(e.at, data));
  }

  async queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    this.#flush();
    const rows = (q.oldestFirst ? this.#s.auditOldest : this.#s.auditNewest).all(q.since ?? 0, q.before ?? Number.MAX_SAFE_INTEGER, q.limit ?? 100) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as AuditEntry);
  }

  async prune(now: number, cardsBefore: number, auditBefore?: number): Promise<void> {
    this.#flush();
    this.#s.pruneClaims.run(now);
    this.#s.pruneCards.run(cardsBefore);
    this.#s.pruneKv.run(now);
    if (auditBefore !== undefined && auditBefore > 0) {
      this.#db.transaction(() => {
        this.#s.auditCutoff.run(auditBefore);
        this.#s.pruneAudit.run('audit_before');
      })();
    }
  }

  /** The file's size on disk (database and write-ahead log), for /metrics. */
  sizeBytes(): number | undefined {
    if (this.#file === ':memory:') return undefined;
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    return size(this.#file) + size(`${this.#file}-wal`);
  }

  async close(): Promise<void> {
    this.#flush();
    if (this.#db.open) this.#db.close();
  }

  /** For tests: raw SQL against the file (the audit triggers must refuse updates). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }
}
