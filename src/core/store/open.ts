import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * Opens the store named by OPSBOT_STORE: `sqlite:<path>`, `memory:`, or `redis://…` / `rediss://…`.
 * `shared`: several processes use it (Redis), so nothing may be kept only in one process's memory.
 */
export function openStore(spec: string): { store: Store; shared: boolean; ready?: () => Promise<void> } {
  if (spec.startsWith('sqlite:')) return { store: new SqliteStore(spec.slice('sqlite:'.length)), shared: false };
  if (spec.startsWith('memory:')) return { store: new MemoryStore(), shared: false };
  if (/^rediss?:\/\//.test(spec)) {
    const store = new RedisStore(spec);
    return { store, shared: true, ready: () => store.ready() };
  }
  throw new Error(`OPSBOT_STORE: ${spec.split(':')[0]} stores are not available (use sqlite:<path> or redis://host:port/db)`);
}
