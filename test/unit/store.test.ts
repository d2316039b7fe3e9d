import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/core/store/redis.js';
import { RedisServer } from '../helpers/redis.js';
import type { Approval } from '../../src/core/approvals/types.js';
import { MemoryStore } from '../../src/core/store/memory.js';
import { SqliteStore } from '../../src/core/store/sqlite.js';
import type { Store } from '../../src/core/store/store.js';
import { GuardedStore } from '../../src/core/store/guard.js';
import { createLogger } from '../../src/log.js';
import { Bus, MAX_BUS_MESSAGE } from '../../src/core/bus.js';
import { until } from '../helpers/until.js';

const approval = (id: string, over: Partial<Approval> = {}): Approval => ({
  id,
  command: 'scale',
  args: { deployment: 'api', replicas: 5 },
  preview: { target: 'production/api', change: 'replicas 3 → 5', before: 3 },
  risk: 'medium',
  requester: { personId: 'alice', name: 'Alice', platform: 'console', userId: 'alice' },
  chatId: 'c1',
  steps: [{ role: 'lead', timeoutMs: 600_000, startedAt: 1000 }],
  step: 0,
  state: 'pending',
  version: 1,
  createdAt: 1000,
  updatedAt: 1000,
  expiresAt: 601_000,
  ...over,
});

let redis: RedisServer;
let redisPrefix = 0;
beforeAll(async () => {
  if (RedisServer.available()) redis = await RedisServer.start();
  else console.warn('redis-server is not installed: the Redis store contract is skipped (apt-get install redis-server)');
});
afterAll(async () => redis?.stop());

const stores: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db'))],
  // What the app uses: the guard must keep every promise of the contract.
  // The store several replicas share, against a real redis-server (each test its own key prefix).
  ...(RedisServer.available() ? [['redis', () => new RedisStore(redis.url, { prefix: `t${++redisPrefix}:` })] as [string, () => Store]] : []),
  ['guarded sqlite', () => new GuardedStore(new SqliteStore(join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db')), { log: createLogger({ level: 'silent', format: 'json' }), now: Date.now, fallback: true })],
];

describe.each(stores)('%s store contract', (_name, make) => {
  it('inserts once per id and reads back', async () => {
    const s = make();
    expect(await s.insertApproval(approval('AAAA'))).toBe(true);
    expect(await s.insertApproval(approval('AAAA', { command: 'other' }))).toBe(false);
    expect((await s.getApproval('AAAA'))?.command).toBe('scale');
    expect(await s.getApproval('NOPE')).toBeUndefined();
    await s.close();
  });

  it('compare-and-set: exactly one of many writers with the same expected version wins', async () => {
    const s = make();
    await s.insertApproval(approval('BBBB'));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.updateApproval(approval('BBBB', { version: 2, state: 'executing', reason: String(i) }), 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await s.getApproval('BBBB'))?.state).toBe('executing');
    expect(await s.updateApproval(approval('BBBB', { version: 5 }), 2)).toBe(false); // version must step by one
    expect(await s.updateApproval(approval('BBBB', { version: 3, state: 'succeeded' }), 2)).toBe(true);
    await s.close();
  });

  it('lists by state and deadline, newest first', async () => {
    const s = make();
    await s.insertApproval(approval('C001', { createdAt: 1, expiresAt: 100 }));
    await s.insertApproval(approval('C002', { createdAt: 2, expiresAt: 200 }));
    await s.insertApproval(approval('C003', { createdAt: 3, expiresAt: 50, state: 'rejected' }));
    expect((await s.listApprovals({ states: ['pending'] })).map((a) => a.id)).toEqual(['C002', 'C001']);
    expect((await s.listApprovals({ states: ['pending'], expiresBefore: 150 })).map((a) => a.id)).toEqual(['C001']);
    expect((await s.listApprovals({ limit: 1 })).map((a) => a.id)).toEqual(['C003']);
    await s.close();
  });

  it('claims a key once within its TTL', async () => {
    const s = make();
    expect(await s.claim('feishu:ev1', 1000, 0)).toBe(true);
    expect(await s.claim('feishu:ev1', 1000, 999)).toBe(false);
    expect(await s.holdsClaim('feishu:ev1', 999)).toBe(true);
    expect(await s.holdsClaim('feishu:ev1', 1000)).toBe(false);
    expect(await s.holdsClaim('feishu:other', 0)).toBe(false);
    expect(await s.claim('feishu:ev1', 1000, 1000)).toBe(true);
    await s.close();
  });

  it('reads audit lines in a time range, newest or oldest first', async () => {
    const s = make();
    for (const at of [10, 20, 30, 40]) await s.appendAudit({ at, kind: 'command', actor: 'a', platform: 'console', chatId: 'c', outcome: 'ok', command: `c${at}` });
    expect((await s.queryAudit({})).map((e) => e.at)).toEqual([40, 30, 20, 10]);
    expect((await s.queryAudit({ since: 20, before: 40 })).map((e) => e.at)).toEqual([30, 20]);
    expect((await s.queryAudit({ before: 40, oldestFirst: true, limit: 2 })).map((e) => e.at)).toEqual([10, 20]);
    await s.close();
  });

  it('a lease has one holder at a time; renewals keep its fencing token, a new holder gets a larger one', async () => {
    const s = make();
    const a = await s.acquireLease('wecom:bot1', 'replica-a', 1000, 0);
    expect(a).toEqual({ token: 1 });
    expect(await s.acquireLease('wecom:bot1', 'replica-b', 1000, 500)).toBeUndefined(); // held
    expect(await s.acquireLease('wecom:bot1', 'replica-a', 1000, 900)).toEqual({ token: 1 }); // renewed
    expect(await s.acquireLease('wecom:bot1', 'replica-b', 1000, 1500)).toBeUndefined(); // the renewal moved its end to 1900
    const b = await s.acquireLease('wecom:bot1', 'replica-b', 1000, 1900); // lapsed: taken over
    expect(b).toEqual({ token: 2 });
    expect(await s.acquireLease('wecom:bot1', 'replica-a', 1000, 2000)).toBeUndefined();
    await s.releaseLease('wecom:bot1', 'replica-a'); // not the holder: nothing happens
    expect(await s.acquireLease('wecom:bot1', 'replica-a', 1000, 2000)).toBeUndefined();
    await s.releaseLease('wecom:bot1', 'replica-b');
    expect(await s.acquireLease('wecom:bot1', 'replica-a', 1000, 2000)).toEqual({ token: 3 });
    expect(await s.acquireLease('other', 'replica-b', 1000, 2000)).toEqual({ token: 1 });
    // Racing for a free lease: exactly one wins.
    const race = await Promise.all(['x', 'y', 'z'].map((o) => s.acquireLease('race', o, 1000, 0)));
    expect(race.filter(Boolean)).toHaveLength(1);
    await s.close();
  });

  it('updateKv is an atomic read-modify-write: concurrent appends lose nothing', async () => {
    const s = make();
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.updateKv<number[]>('memory:x', (cur) => [...(cur ?? []), i], 60_000, 0)));
    expect(((await s.getKv<number[]>('memory:x', 0)) ?? []).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await s.updateKv<number>('memory:y', (cur) => (cur ?? 0) + 1, 1000, 0)).toBe(1);
    expect(await s.updateKv<number>('memory:y', (cur) => (cur ?? 0) + 1, 1000, 2000)).toBe(1); // expired: starts again
    await s.close();
  });

  it('stores cards and prunes old ones and expired claims', async () => {
    const s = make();
    await s.putCard('x', { a: 1 }, 10);
    await s.putCard('x', { a: 2 }, 20);
    await s.putCard('y', { b: 1 }, 30);
    expect(await s.getCard('x')).toEqual({ a: 2 });
    await s.claim('k', 5, 0);
    await s.prune(100, 25);
    expect(await s.getCard('x')).toBeUndefined();
    expect(await s.getCard('y')).toEqual({ b: 1 });
    expect(await s.claim('k', 5, 100)).toBe(true);
    await s.close();
  });

  it('keeps key-values until their time-to-live, and deletes them', async () => {
    const s = make();
    await s.putKv('mem:c:alice', { turns: [1] }, 100, 0);
    expect(await s.getKv('mem:c:alice', 50)).toEqual({ turns: [1] });
    expect(await s.getKv('mem:c:alice', 100)).toBeUndefined();
    await s.putKv('mem:c:alice', { turns: [2] }, 100, 200);
    expect(await s.getKv('mem:c:alice', 250)).toEqual({ turns: [2] });
    expect(await s.deleteKv('mem:c:alice')).toBe(true);
    expect(await s.getKv('mem:c:alice', 250)).toBeUndefined();
    expect(await s.deleteKv('mem:c:alice')).toBe(false);
    await s.close();
  });

  it('a claim held for the work is extended when it is done, or released when it failed', async () => {
    const s = make();
    // Held for 5 minutes while the work runs; a crash leaves it to lapse, so a later redelivery gets through.
    expect(await s.claim('event:x:1', 300_000, 0)).toBe(true);
    expect(await s.claim('event:x:1', 300_000, 299_000)).toBe(false);
    expect(await s.claim('event:x:1', 300_000, 301_000)).toBe(true);
    // Done: deduplicated for the whole window.
    await s.extendClaim('event:x:1', 8 * 3_600_000, 301_000);
    expect(await s.claim('event:x:1', 300_000, 3_600_000)).toBe(false);
    // Failed: released, the next delivery is handled.
    await s.releaseClaim('event:x:1');
    expect(await s.claim('event:x:1', 300_000, 3_600_000)).toBe(true);
    await s.close();
  });

  it('writes issued together (not awaited one by one) are all kept, in order, and read back at once', async () => {
    const s = make();
    const writes = [s.putKv('k', 1, 1000, 0), s.putKv('k', 2, 1000, 0), s.claim('c', 1000, 0), s.claim('c', 1000, 0), s.putCard('card', { n: 1 }, 0), s.deleteKv('gone')];
    // Read-your-writes before the batch has committed.
    expect(await s.getKv('k', 10)).toBe(2);
    expect(await s.getCard('card')).toEqual({ n: 1 });
    const [, , first, second, , deleted] = await Promise.all(writes);
    expect([first, second, deleted]).toEqual([true, false, false]);
    await Promise.all([s.putKv('k', 3, 1000, 0), s.deleteKv('k')]);
    expect(await s.getKv('k', 10)).toBeUndefined();
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.appendAudit({ at: 1, kind: 'command', actor: 'a', platform: 'console', chatId: 'c', outcome: 'ok', command: `b${i}` })));
    expect((await s.queryAudit({ limit: 2 })).map((e) => e.command)).toEqual(['b49', 'b48']);
    await s.close();
  });

  it('appends audit entries and returns them newest first', async () => {
    const s = make();
    for (let i = 0; i < 5; i++) await s.appendAudit({ at: 100 + i, kind: 'command', actor: 'alice', platform: 'console', chatId: 'c', outcome: 'ok', command: `c${i}` });
    expect((await s.queryAudit({ limit: 2 })).map((e) => e.command)).toEqual(['c4', 'c3']);
    expect((await s.queryAudit({ since: 103 })).map((e) => e.command)).toEqual(['c4', 'c3']);
    await s.close();
  });
});

describe('sqlite specifics', () => {
  it('a store written by schema 2 is migrated to the latest (4) with its audit lines and their protection', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db');
    const { default: Database } = await import('better-sqlite3');
    const old = new Database(file);
    old.exec(`CREATE TABLE approvals (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL, chat_id TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE INDEX approvals_state_expiry ON approvals(state, expires_at);
      CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE TABLE cards (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE INDEX audit_at ON audit(at);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
      CREATE TABLE kv (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE INDEX kv_expiry ON kv(expires_at);
      INSERT INTO audit (at, data) VALUES (5, '{"at":5,"kind":"command","actor":"a","platform":"console","chatId":"c","outcome":"ok"}');
      PRAGMA user_version = 2;`);
    old.close();
    const s = new SqliteStore(file);
    expect(s.schemaVersion).toBe(4);
    expect(await s.queryAudit({})).toHaveLength(1);
    expect(() => s.exec('DELETE FROM audit')).toThrow(/append-only/);
    await s.close();
  });

  it('audit retention: prune drops lines older than the cutoff; newer ones stay append-only; the size is reported', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db');
    const s = new SqliteStore(file);
    const day = 86_400_000;
    for (const at of [1 * day, 2 * day, 100 * day, 101 * day]) await s.appendAudit({ at, kind: 'command', actor: 'a', platform: 'console', chatId: 'c', outcome: 'ok', command: `d${at / day}` });
    // Before any retention ran, even the oldest line cannot be deleted by hand.
    expect(() => s.exec(`DELETE FROM audit WHERE at < ${3 * day}`)).toThrow(/append-only/);
    await s.prune(101 * day, 0, 101 * day - 90 * day);
    expect((await s.queryAudit({ limit: 10 })).map((e) => e.command)).toEqual(['d101', 'd100']);
    // Lines inside the retention window stay append-only.
    expect(() => s.exec('DELETE FROM audit')).toThrow(/append-only/);
    expect(() => s.exec("UPDATE audit SET data = '{}'")).toThrow(/append-only/);
    // The cutoff never moves back: an older cutoff later deletes nothing more and reopens nothing.
    await s.prune(101 * day, 0, 5 * day);
    expect(await s.queryAudit({ limit: 10 })).toHaveLength(2);
    expect(s.sizeBytes()).toBeGreaterThan(4096);
    await s.close();
  });


  it('one write that fails in a batch fails alone; the others are committed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db');
    const s = new SqliteStore(file);
    s.exec("CREATE TRIGGER no_bad BEFORE INSERT ON kv WHEN NEW.key = 'bad' BEGIN SELECT RAISE(ABORT, 'bad key'); END;");
    const r = await Promise.allSettled([s.putKv('a', 1, 1000, 0), s.putKv('bad', 2, 1000, 0), s.appendAudit({ at: 1, kind: 'command', actor: 'a', platform: 'console', chatId: 'c', outcome: 'ok' }), s.claim('x', 1000, 0)]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((r[1] as PromiseRejectedResult).reason)).toMatch(/bad key/);
    await s.close();
    const again = new SqliteStore(file);
    expect(await again.getKv('a', 10)).toBe(1);
    expect(await again.getKv('bad', 10)).toBeUndefined();
    expect(await again.queryAudit({})).toHaveLength(1);
    expect(await again.claim('x', 1000, 0)).toBe(false);
    await again.close();
  });

  it('the audit log is append-only, the file survives reopening, and migrations are recorded', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-store-')), 'opsbot.db');
    const s = new SqliteStore(file);
    expect(s.schemaVersion).toBe(4);
    await s.appendAudit({ at: 1, kind: 'command', actor: 'a', platform: 'console', chatId: 'c', outcome: 'ok' });
    await s.insertApproval(approval('DDDD'));
    expect(() => s.exec("UPDATE audit SET data = '{}'")).toThrow(/append-only/);
    expect(() => s.exec('DELETE FROM audit')).toThrow(/append-only/);
    await s.close();
    const again = new SqliteStore(file);
    expect((await again.getApproval('DDDD'))?.id).toBe('DDDD');
    expect(await again.queryAudit({})).toHaveLength(1);
    await again.close();
    const ro = new SqliteStore(file, { readonly: true });
    expect(await ro.queryAudit({})).toHaveLength(1);
    await ro.close();
  });
});

describe.skipIf(!RedisServer.available())('redis store: the shared send limit', () => {
  it('a sliding window: cap slots, then the wait until the oldest leaves the window', async () => {
    const s = new RedisStore(redis.url, { prefix: `rate${++redisPrefix}:` });
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await s.rateTake('feishu:chat:x', 5, 1000, 10_000 + i * 10));
    expect(got).toEqual([0, 0, 0, 0, 0, 950]);
    expect(await s.rateTake('feishu:chat:x', 5, 1000, 11_001)).toBe(0); // the first left the window
    expect(await s.rateTake('feishu:chat:other', 5, 1000, 10_050)).toBe(0);
    await s.close();
  });
});

describe('the bus: pub/sub between the replicas of a store', () => {
  const log = createLogger({ level: 'silent', format: 'json' });
  const stores: [string, () => Store[]][] = [
    ['memory (one process: delivered locally)', () => { const m = new MemoryStore(); return [m, m]; }],
    ...(RedisServer.available()
      ? [['redis (two connections, as two replicas)', () => { const p = `bus${++redisPrefix}:`; return [new RedisStore(redis.url, { prefix: p }), new RedisStore(redis.url, { prefix: p })]; }] as [string, () => Store[]]]
      : []),
  ];
  it.each(stores)('%s: every subscriber gets each message once, in order; unsubscribed gets none; too big is dropped', async (_n, make) => {
    const [s1, s2] = make() as [Store, Store];
    // One process has one bus; two processes, one each (the guard passes pub/sub through).
    const b1 = new Bus(new GuardedStore(s1, { log, now: Date.now, fallback: false }), log);
    const b2 = s2 === s1 ? b1 : new Bus(s2, log);
    const got1: unknown[] = [];
    const got2: unknown[] = [];
    const end1 = await b1.subscribe('t', (m) => got1.push(m));
    await b2.subscribe('t', (m) => got2.push(m));
    await b2.subscribe('other', (m) => got2.push(['other', m]));
    for (let i = 0; i < 5; i++) await b1.publish('t', { i, text: '中文' });
    await b1.publish('t', 'x'.repeat(MAX_BUS_MESSAGE + 1));
    await until(() => got1.length === 5 && got2.length === 5, 'all delivered');
    expect(got2).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, text: '中文' })));
    expect(got1).toEqual(got2);
    await end1();
    await b2.publish('t', { i: 5 });
    await until(() => got2.length === 6, 'the last one');
    await new Promise((r) => setTimeout(r, 50));
    expect(got1).toHaveLength(5);
    await s1.close();
    if (s2 !== s1) await s2.close();
  });
});
