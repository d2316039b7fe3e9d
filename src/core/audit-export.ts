import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { auditLine } from './audit.js';
import type { Store } from './store/store.js';

/** Lines read per export page; a sweep exports at most this many (the next sweep goes on). */
const PAGE = 5000;

/**
 * OPSBOT_AUDIT_EXPORT: audit lines past the retention are appended to a JSON-lines file in this
 * directory (one per day of export, the format of `npm run audit`, fsynced) before they are pruned;
 * pruning then goes only as far as the export did, and an export that fails prunes nothing. A crash
 * between the export and the prune exports those lines again at the next sweep (at least once: each
 * line carries its `at`, `kind` and ids to deduplicate on).
 */
export class AuditExporter {
  constructor(
    private readonly store: Store,
    private readonly dir: string,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Exports the lines older than `cutoff`; returns how far pruning may go (≤ cutoff). Throws if the export failed. */
  async exportBefore(cutoff: number): Promise<number> {
    const rows = await this.store.queryAudit({ before: cutoff, limit: PAGE, oldestFirst: true });
    if (!rows.length) return cutoff;
    let upTo = cutoff;
    let out = rows;
    if (rows.length === PAGE) {
      // More remain: stop before the last millisecond of the page, whose lines may continue past it.
      const last = (rows[PAGE - 1] as { at: number }).at;
      const before = rows.filter((e) => e.at < last);
      if (before.length) {
        out = before;
        upTo = last;
      }
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `audit-${new Date(this.now()).toISOString().slice(0, 10)}.jsonl`);
    const fh = await open(file, 'a', 0o600);
    try {
      await fh.write(out.map(auditLine).join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.log.info({ lines: out.length, file }, 'audit lines past the retention exported before pruning');
    return upTo;
  }
}
