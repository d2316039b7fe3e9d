import type { Logger } from '../log.js';
import type { AuditEntry, Store } from './store/store.js';

/**
 * The append-only audit log: every command run, every approval decision, every refusal. Writing it
 * never fails the user's request; a failed write is logged at error level (and alerts on /metrics).
 */
export class Audit {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async record(e: Omit<AuditEntry, 'at'>): Promise<void> {
    try {
      await this.store.appendAudit({ at: this.now(), ...e });
    } catch (err) {
      this.log.error({ err, kind: e.kind, approvalId: e.approvalId }, 'audit write failed');
    }
  }

  query(q: { since?: number; limit?: number }): Promise<AuditEntry[]> {
    return this.store.queryAudit(q);
  }
}
