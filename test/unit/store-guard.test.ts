import Router from '@koa/router';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { GuardedStore } from '../../src/core/store/guard.js';
import { MemoryStore } from '../../src/core/store/memory.js';
import type { Store } from '../../src/core/store/store.js';
import { Metrics } from '../../src/http/metrics.js';
import { createHttpApp } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { LogCapture } from '../helpers/start-app.js';

const WRITES = new Set(['insertApproval', 'updateApproval', 'claim', 'extendClaim', 'releaseClaim', 'acquireLease', 'releaseLease', 'putCard', 'putKv', 'deleteKv', 'updateKv', 'appendAudit', 'prune']);

/** A memory store whose writes fail the way SQLite's do on a full disk, while `full` is set. */
function flaky(): { store: Store; fail: (on: boolean) => void } {
  const inner = new MemoryStore();
  let full = false;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (full && WRITES.has(String(prop))) return Promise.reject(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, fail: (on) => (full = on) };
}

function guarded(fallback: boolean) {
  const logs = new LogCapture();
  const failures: string[] = [];
  const f = flaky();
  let t = 1_000;
  const g = new GuardedStore(f.store, { log: createLogger({ level: 'info', format: 'json', destination: logs }), now: () => t, fallback, onWriteFailure: (op) => failures.push(op) });
  return { g, fail: f.fail, logs, failures, tick: (ms: number) => (t += ms), now: () => t };
}

describe('the store guard', () => {
  it('keeps claims, key-values and cards in memory while the store cannot write, and says so once', async () => {
    const { g, fail, logs, failures, now } = guarded(true);
    expect(await g.claim('event:a', 60_000, now())).toBe(true);
    await g.updateKv<number[]>('memory:turns', (cur) => [...(cur ?? []), 1], 60_000, now());
    fail(true);
    // A read-modify-write carries on in memory from the store's copy, then from memory's.
    expect(await g.updateKv<number[]>('memory:turns', (cur) => [...(cur ?? []), 2], 60_000, now())).toEqual([1, 2]);
    expect(await g.updateKv<number[]>('memory:turns', (cur) => [...(cur ?? []), 3], 60_000, now())).toEqual([1, 2, 3]);
    expect(await g.claim('event:a', 60_000, now())).toBe(false); // still the store's answer: it can read
    expect(await g.claim('event:b', 60_000, now())).toBe(true);
    expect(await g.claim('event:b', 60_000, now())).toBe(false); // deduplicated in memory
    await g.putKv('memory:x', { turns: 2 }, 60_000, now());
    expect(await g.getKv('memory:x', now())).toEqual({ turns: 2 });
    await g.putCard('card-1', { title: 'pods' }, now());
    expect(await g.getCard('card-1')).toEqual({ title: 'pods' });
    expect(g.health()).toMatchObject({ writable: false, full: true, reason: 'database or disk is full (SQLITE_FULL)' });
    expect(failures).toEqual(['kv', 'claim', 'claim', 'kv', 'card']);
    expect(logs.text.match(/the store cannot write/g)).toHaveLength(1);

    fail(false);
    expect(await g.claim('event:b', 60_000, now())).toBe(false); // claimed in memory during the outage: stays claimed
    await g.probe();
    expect(g.health()).toEqual({ writable: true });
    expect(logs.text).toMatch(/the store writes again/);
    await g.putKv('memory:x', { turns: 3 }, 60_000, now());
    expect(await g.getKv('memory:x', now())).toEqual({ turns: 3 }); // the store's newer copy, not memory's
    expect(await g.updateKv<number[]>('memory:turns', (cur) => [...(cur ?? []), 4], 60_000, now())).toEqual([1, 2, 3, 4]);
    expect(await g.updateKv<number[]>('memory:turns', (cur) => [...(cur ?? []), 5], 60_000, now())).toEqual([1, 2, 3, 4, 5]); // from the store again
  });

  it('refuses approvals and audit lines while the store cannot write (never memory for those)', async () => {
    const { g, fail, now } = guarded(true);
    fail(true);
    const a = { id: 'K7QF', version: 1 } as Parameters<Store['insertApproval']>[0];
    const err = await g.insertApproval(a).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).says('en')).toBe('Storage is full — changes are refused until it has room again');
    expect((err as StoreUnavailableError).says('zh')).toBe('存储已满 — 腾出空间前拒绝一切变更');
    await expect(g.appendAudit({ at: now(), kind: 'command', actor: 'alice', platform: 'console', chatId: 'c', outcome: 'ok' })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(g.probe()).rejects.toThrow('cannot write: database or disk is full (SQLITE_FULL)');
    fail(false);
    expect(await g.insertApproval(a)).toBe(true);
  });

  it('without a memory fallback (a store shared by replicas) a claim fails, and the webhook answers 503 so the platform retries', async () => {
    const { g, fail, now } = guarded(false);
    fail(true);
    await expect(g.claim('event:a', 60_000, now())).rejects.toBeInstanceOf(StoreUnavailableError);
    const logs = new LogCapture();
    const router = new Router();
    router.post('/webhooks/x', async () => {
      await g.claim('event:b', 60_000, now());
    });
    const app = createHttpApp({ log: createLogger({ level: 'info', format: 'json', destination: logs }), metrics: new Metrics(), checks: [], routers: [router] });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/x`, { method: 'POST' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      expect(((await res.json()) as { error: string }).error).toBe('Storage is full — changes are refused until it has room again');
      expect(logs.text).toMatch(/request refused: the store is unavailable/);
      expect(logs.text).not.toMatch(/internal error/);
    } finally {
      server.close();
    }
  });
});
