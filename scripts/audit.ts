import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config/env.js';
import { parseDuration } from '../src/core/duration.js';
import { auditLine } from '../src/core/audit.js';
import { SqliteStore } from '../src/core/store/sqlite.js';

/**
 * `npm run audit -- --since 24h [--limit N]`: the audit log as JSON lines, oldest first, read from the
 * store the bot uses (OPSBOT_STORE / OPSBOT_DATA_DIR). Read-only: safe while the bot runs.
 */
function usage(msg?: string): never {
  if (msg) console.error(`audit: ${msg}`);
  console.error('usage: npm run audit -- [--since 24h] [--limit 10000]');
  process.exit(2);
}

const args = process.argv.slice(2);
let since = 24 * 3_600_000;
let limit = 10_000;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = args[i + 1];
  if (a === '--since' && v) {
    const ms = parseDuration(v);
    if (ms === undefined) usage(`--since takes a duration like 30m, 24h or 7d (got "${v}")`);
    since = ms;
    i++;
  } else if (a === '--limit' && v && /^\d+$/.test(v)) {
    limit = Number(v);
    i++;
  } else usage(`unknown argument "${a}"`);
}

const r = loadConfig(process.env);
if (!r.ok) {
  for (const p of r.problems) console.error(`audit: config error: ${p}`);
  process.exit(2);
}
if (!r.config.store.startsWith('sqlite:')) usage(`OPSBOT_STORE=${r.config.store} is not a SQLite store`);
const file = r.config.store.slice('sqlite:'.length);
if (!existsSync(file)) usage(`no store at ${file} (has the bot run here?)`);
const store = new SqliteStore(file, { readonly: true });
const entries = await store.queryAudit({ since: Date.now() - since, limit });
for (const e of entries.reverse()) process.stdout.write(auditLine(e));
await store.close();
