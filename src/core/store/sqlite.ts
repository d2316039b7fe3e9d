import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Approval, ApprovalState } from '../approvals/types.js';
import type { AuditEntry, Store } from './store.js';

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
];

/**
 * The default store: one SQLite file under ./data, WAL mode (readers never block the writer), every
 * approval transition a single `UPDATE … WHERE version = ?`. better-sqlite3 is synchronous, so each
 * statement is atomic within this process; WAL and busy_timeout cover other processes (npm run audit).
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #s: ReturnType<SqliteStore['prepare']>;
  readonly #pendingClaims: { key: string; until: number; now: number; resolve: (won: boolean) => void; reject: (e: unknown) => void }[] = [];

  constructor(file: string, opts: { readonly?: boolean } = {}) {
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
      cardPut: db.prepare('INSERT INTO cards (id, created_at, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data'),
      cardGet: db.prepare('SELECT data FROM cards WHERE id = ?'),
      kvPut: db.prepare('INSERT INTO kv (key, expires_at, data) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data'),
      kvGet: db.prepare('SELECT data FROM kv WHERE key = ? AND expires_at > ?'),
      kvDelete: db.prepare('DELETE FROM kv WHERE key = ?'),
      pruneKv: db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      audit: db.prepare('INSERT INTO audit (at, data) VALUES (?, ?)'),
      auditSince: db.prepare('SELECT data FROM audit WHERE at >= ? ORDER BY seq DESC LIMIT ?'),
      pruneClaims: db.prepare('DELETE FROM claims WHERE expires_at <= ?'),
      pruneCards: db.prepare('DELETE FROM cards WHERE created_at < ?'),
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
   * Claims arriving in the same event-loop turn (a burst of webhook deliveries) share one transaction:
   * one commit instead of one per event, each claim still atomic and in order.
   */
  claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pendingClaims.push({ key, until: now + ttlMs, now, resolve, reject });
      if (this.#pendingClaims.length === 1) setImmediate(() => this.#flushClaims());
    });
  }

  #flushClaims(): void {
    const batch = this.#pendingClaims.splice(0);
    if (!batch.length) return;
    try {
      const won = this.#db.transaction(() => batch.map((c) => this.#s.claim.run(c.key, c.until, c.now).changes === 1))();
      batch.forEach((c, i) => c.resolve(won[i] as boolean));
    } catch (err) {
      for (const c of batch) c.reject(err);
    }
  }

  async putCard(id: string, value: unknown, now: number): Promise<void> {
    this.#s.cardPut.run(id, now, JSON.stringify(value));
  }

  async getCard<T>(id: string): Promise<T | undefined> {
    const row = this.#s.cardGet.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  async putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void> {
    this.#s.kvPut.run(key, now + ttlMs, JSON.stringify(value));
  }

  async getKv<T>(key: string, now: number): Promise<T | undefined> {
    const row = this.#s.kvGet.get(key, now) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  async deleteKv(key: string): Promise<boolean> {
    return this.#s.kvDelete.run(key).changes > 0;
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    this.#s.audit.run(e.at, JSON.stringify(e));
  }

  async queryAudit(q: { since?: number; limit?: number }): Promise<AuditEntry[]> {
    const rows = this.#s.auditSince.all(q.since ?? 0, q.limit ?? 100) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as AuditEntry);
  }

  async prune(now: number, cardsBefore: number): Promise<void> {
    this.#s.pruneClaims.run(now);
    this.#s.pruneCards.run(cardsBefore);
    this.#s.pruneKv.run(now);
  }

  async close(): Promise<void> {
    this.#flushClaims();
    if (this.#db.open) this.#db.close();
  }

  /** For tests: raw SQL against the file (the audit triggers must refuse updates). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }
}
