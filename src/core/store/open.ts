import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** Opens the store named by OPSBOT_STORE: `sqlite:<path>` or `memory:`. */
export function openStore(spec: string): Store {
  if (spec.startsWith('sqlite:')) return new SqliteStore(spec.slice('sqlite:'.length));
  if (spec.startsWith('memory:')) return new MemoryStore();
  // TODO(#4 follow-up): Redis store for several replicas — the interface is ready (CAS via Lua, claims via SET NX PX).
  throw new Error(`OPSBOT_STORE: ${spec.split(':')[0]} stores are not available in this build (use sqlite:)`);
}
