import { Redis } from 'ioredis';
import type { Approval, ApprovalState } from '../approvals/types.js';
import type { AuditEntry, AuditQuery, Store } from './store.js';

/**
 * Lua scripts: each runs atomically in Redis, so two replicas never both win a compare-and-set or a
 * claim. Times are the app's (`now` is passed in), as in the SQLite store; Redis expiries (PX) only
 * clean up, a little after the logical expiry.
 */
const SCRIPTS = {
  // KEYS: approval hash, created zset, state zset · ARGV: id, version, state, expiresAt, createdAt, data
  insertApproval: {
    keys: 3,
    lua: `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3], 'data', ARGV[6])
      redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
      redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
      return 1`,
  },
  // KEYS: approval hash · ARGV: id, expectedVersion, nextVersion, state, expiresAt, data, state-zset prefix
  updateApproval: {
    keys: 1,
    lua: `local v = redis.call('HGET', KEYS[1], 'version')
      if not v or tonumber(v) ~= tonumber(ARGV[2]) then return 0 end
      local old = redis.call('HGET', KEYS[1], 'state')
      redis.call('ZREM', ARGV[7] .. old, ARGV[1])
      redis.call('HSET', KEYS[1], 'version', ARGV[3], 'state', ARGV[4], 'data', ARGV[6])
      redis.call('ZADD', ARGV[7] .. ARGV[4], ARGV[5], ARGV[1])
      return 1`,
  },
  // KEYS: claim · ARGV: now, ttlMs — the value is the logical expiry
  claim: {
    keys: 1,
    lua: `local u = redis.call('GET', KEYS[1])
      if u and tonumber(u) > tonumber(ARGV[1]) then return 0 end
      redis.call('SET', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 60000)
      return 1`,
  },
  extendClaim: {
    keys: 1,
    lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      redis.call('SET', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 60000)
      return 1`,
  },
  // KEYS: lease hash · ARGV: owner, until, now — returns the token, or 0 when another owner holds it
  acquireLease: {
    keys: 1,
    lua: `local owner = redis.call('HGET', KEYS[1], 'owner')
      local u = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
      local token = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
      if owner and owner ~= ARGV[1] and u > tonumber(ARGV[3]) then return 0 end
      if not (owner == ARGV[1] and u > tonumber(ARGV[3])) then token = token + 1 end
      redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'until', ARGV[2], 'token', token)
      return token`,
  },
  // KEYS: window zset · ARGV: now, windowMs, cap, member — 0 when a slot is taken, else ms to wait
  rateTake: {
    keys: 1,
    lua: `local now = tonumber(ARGV[1])
      local window = tonumber(ARGV[2])
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
      if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
        redis.call('ZADD', KEYS[1], now, ARGV[4])
        redis.call('PEXPIRE', KEYS[1], window * 2)
        return 0
      end
      local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return math.max(1, tonumber(oldest[2]) + window - now)`,
  },
  releaseLease: {
    keys: 1,
    lua: `if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('HSET', KEYS[1], 'until', 0) end
      return 1`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = Redis & Record<ScriptName, (...args: (string | number)[]) => Promise<number>>;

/** Physical lifetime of a card (its logical retention is pruned by `prune`, like SQLite's). */
const CARD_MAX_MS = 60 * 86_400_000;

/**
 * `OPSBOT_STORE=redis://host:port/db`: the store several replicas share. Approvals are hashes with a
 * Lua compare-and-set on their version (sorted sets index them by state and expiry, and by creation);
 * claims and key-values carry their logical expiry and a Redis TTL; the audit log is a Redis Stream
 * whose ids are the lines' times (`XTRIM MINID` is the retention). Every key starts with `opsbot:`.
 */
export class RedisStore implements Store {
  readonly #r: Scripted;
  readonly #p: string;

  constructor(url: string, opts: { connectTimeoutMs?: number; commandTimeoutMs?: number; prefix?: string } = {}) {
    this.#p = opts.prefix ?? 'opsbot:';
    const r = new Redis(url, {
      lazyConnect: false,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      commandTimeout: opts.commandTimeoutMs ?? 5000,
      // Fail fast while Redis is away (readiness fails, webhooks answer 503) instead of queueing
      // work for later: a platform retries, and nothing runs half-recorded.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      // Commands issued in the same event-loop turn (many events' claims under load) go out in one write:
      // fewer syscalls and less CPU per command; each is still its own command (Lua CAS unchanged).
      enableAutoPipelining: true,
    });
    // Connection errors surface on the commands (and in readiness); without a listener ioredis prints them.
    r.on('error', () => undefined);
    for (const [name, s] of Object.entries(SCRIPTS)) r.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
    this.#r = r as Scripted;
  }

  /** Resolves when connected, or rejects with the reason (startup says it in one line). */
  async ready(timeoutMs = 5000): Promise<void> {
    await Promise.race([this.#r.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
  }

  #k(...parts: string[]): string {
    return this.#p + parts.join(':');
  }

  async insertApproval(a: Approval): Promise<boolean> {
    return (await this.#r.insertApproval(this.#k('approval', a.id), this.#k('approvals', 'created'), this.#k('approvals', 'state', a.state), a.id, a.version, a.state, a.expiresAt, a.createdAt, JSON.stringify(a))) === 1;
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    const data = await this.#r.hget(this.#k('approval', id), 'data');
    return data ? (JSON.parse(data) as Approval) : undefined;
  }

  async updateApproval(next: Approval, expectedVersion: number): Promise<boolean> {
    if (next.version !== expectedVersion + 1) return false;
    return (await this.#r.updateApproval(this.#k('approval', next.id), next.id, expectedVersion, next.version, next.state, next.expiresAt, JSON.stringify(next), this.#k('approvals', 'state', ''))) === 1;
  }

  async listApprovals(f: { states?: readonly ApprovalState[]; expiresBefore?: number; limit?: number }): Promise<Approval[]> {
    const limit = f.limit ?? 100;
    let ids: string[];
    if (f.states?.length) {
      const max = f.expiresBefore === undefined ? '+inf' : String(f.expiresBefore);
      const lists = await Promise.all(f.states.map((s) => this.#r.zrangebyscore(this.#k('approvals', 'state', s), '-inf', max)));
      ids = lists.flat();
    } else {
      ids = await this.#r.zrevrange(this.#k('approvals', 'created'), 0, limit - 1);
    }
    if (!ids.length) return [];
    const pipe = this.#r.pipeline();
    for (const id of ids) pipe.hget(this.#k('approval', id), 'data');
    const rows = ((await pipe.exec()) ?? []).map(([, v]) => v as string | null).filter((v): v is string => Boolean(v));
    const all = rows.map((d) => JSON.parse(d) as Approval).filter((a) => f.expiresBefore === undefined || a.expiresAt <= f.expiresBefore);
    return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  async claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    return (await this.#r.claim(this.#k('claim', key), now, ttlMs)) === 1;
  }

  async extendClaim(key: string, ttlMs: number, now: number): Promise<void> {
    await this.#r.extendClaim(this.#k('claim', key), now, ttlMs);
  }

  async releaseClaim(key: string): Promise<void> {
    await this.#r.del(this.#k('claim', key));
  }

  async holdsClaim(key: string, now: number): Promise<boolean> {
    const until = await this.#r.get(this.#k('claim', key));
    return until !== null && Number(until) > now;
  }

  async acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<{ token: number } | undefined> {
    const token = await this.#r.acquireLease(this.#k('lease', name), owner, now + ttlMs, now);
    return token > 0 ? { token } : undefined;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#r.releaseLease(this.#k('lease', name), owner);
  }

  #rateSeq = 0;

  async rateTake(key: string, cap: number, windowMs: number, now: number): Promise<number> {
    return this.#r.rateTake(this.#k('rate', key), now, windowMs, cap, `${now}:${process.pid}:${++this.#rateSeq}:${Math.random()}`);
  }

  async putCard(id: string, value: unknown, now: number): Promise<void> {
    const key = this.#k('card', id);
    await this.#r.multi().set(key, JSON.stringify(value), 'PX', CARD_MAX_MS).zadd(this.#k('cards', 'created'), 'NX', now, id).exec();
  }

  async getCard<T>(id: string): Promise<T | undefined> {
    const v = await this.#r.get(this.#k('card', id));
    return v ? (JSON.parse(v) as T) : undefined;
  }

  async putKv(key: string, value: unknown, ttlMs: number, now: number): Promise<void> {
    await this.#r.set(this.#k('kv', key), JSON.stringify({ u: now + ttlMs, v: value }), 'PX', Math.max(1, ttlMs) + 60_000);
  }

  async getKv<T>(key: string, now: number): Promise<T | undefined> {
    const raw = await this.#r.get(this.#k('kv', key));
    if (!raw) return undefined;
    const { u, v } = JSON.parse(raw) as { u: number; v: T };
    return u > now ? v : undefined;
  }

  async deleteKv(key: string): Promise<boolean> {
    return (await this.#r.del(this.#k('kv', key))) > 0;
  }

  async updateKv<T>(key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T> {
    const k = this.#k('kv', key);
    // Optimistic: WATCH the key, write in MULTI only if nobody changed it meanwhile; else read again.
    // WATCH belongs to a connection: one dedicated connection, its updates one at a time.
    const run = this.#watchChain.then(() => this.#watched(k, key, f, ttlMs, now));
    this.#watchChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #watchConn?: Redis;
  #watchChain: Promise<void> = Promise.resolve();

  async #watched<T>(k: string, key: string, f: (cur: T | undefined) => T, ttlMs: number, now: number): Promise<T> {
    if (!this.#watchConn) {
      this.#watchConn = this.#r.duplicate({ enableAutoPipelining: false });
      this.#watchConn.on('error', () => undefined);
    }
    const conn = this.#watchConn;
    for (let attempt = 0; attempt < 20; attempt++) {
      await conn.watch(k);
      let next: T;
      try {
        const raw = await conn.get(k);
        const cur = raw ? (JSON.parse(raw) as { u: number; v: T }) : undefined;
        next = f(cur && cur.u > now ? cur.v : undefined);
      } catch (err) {
        await conn.unwatch().catch(() => undefined);
        throw err;
      }
      const done = await conn.multi().set(k, JSON.stringify({ u: now + ttlMs, v: next }), 'PX', Math.max(1, ttlMs) + 60_000).exec();
      if (done) return next;
    }
    throw new Error(`updateKv ${key}: too many concurrent writers`);
  }

  async appendAudit(e: AuditEntry): Promise<void> {
    const key = this.#k('audit');
    try {
      // The id is the line's time, so ranges by time and the retention (XTRIM MINID) are exact.
      await this.#r.xadd(key, `${Math.max(0, Math.floor(e.at))}-*`, 'e', JSON.stringify(e));
    } catch (err) {
      // A line older than the newest (another replica's clock is ahead): Redis's own next id keeps it.
      if (!/equal or smaller/i.test((err as Error).message)) throw err;
      await this.#r.xadd(key, '*', 'e', JSON.stringify(e));
    }
  }

  async queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const key = this.#k('audit');
    const start = String(q.since ?? 0);
    const end = q.before === undefined ? '+' : `(${Math.max(0, q.before)}-0`;
    const limit = q.limit ?? 100;
    const rows = q.oldestFirst ? await this.#r.xrange(key, start, end, 'COUNT', limit) : await this.#r.xrevrange(key, end, start, 'COUNT', limit);
    return rows.map(([, fields]) => JSON.parse(fields[1] as string) as AuditEntry);
  }

  async prune(now: number, cardsBefore: number, auditBefore?: number): Promise<void> {
    void now; // claims and key-values expire in Redis itself
    const old = await this.#r.zrangebyscore(this.#k('cards', 'created'), '-inf', `(${cardsBefore}`);
    if (old.length) await this.#r.multi().del(...old.map((id) => this.#k('card', id))).zrem(this.#k('cards', 'created'), ...old).exec();
    if (auditBefore !== undefined && auditBefore > 0) await this.#r.xtrim(this.#k('audit'), 'MINID', auditBefore);
  }

  // --- pub/sub: one subscriber connection (a subscribed connection can run no other command) ---------

  #sub?: Redis;
  readonly #handlers = new Map<string, Set<(message: string) => void>>();

  async publish(channel: string, message: string): Promise<void> {
    await this.#r.publish(this.#k('bus', channel), message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    if (!this.#sub) {
      const sub = this.#r.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined, enableAutoPipelining: false });
      sub.on('error', () => undefined);
      // Delivered by channel; a handler that throws does not stop the others.
      sub.on('message', (ch: string, msg: string) => {
        for (const h of this.#handlers.get(ch) ?? []) {
          try {
            h(msg);
          } catch {
            // the subscriber's own problem; the bus goes on
          }
        }
      });
      this.#sub = sub;
    }
    const ch = this.#k('bus', channel);
    let set = this.#handlers.get(ch);
    if (!set) {
      set = new Set();
      this.#handlers.set(ch, set);
      await this.#sub.subscribe(ch);
    }
    set.add(onMessage);
    return async () => {
      set.delete(onMessage);
      if (!set.size && this.#handlers.get(ch) === set) {
        this.#handlers.delete(ch);
        await this.#sub?.unsubscribe(ch).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.#sub?.disconnect();
    this.#watchConn?.disconnect();
    await this.#r.quit().catch(() => this.#r.disconnect());
  }

  /** Tests: drops every opsbot key of this database. */
  async flush(): Promise<void> {
    await this.#r.flushdb();
  }
}
