import type { Logger } from '../log.js';
import type { AuditEntry, AuditQuery, Store } from './store/store.js';

/**
 * The append-only audit log: every command run, every approval decision, every refusal. Writing it
 * never fails the user's request; a failed write is logged at error level (and alerts on /metrics).
 */
export class Audit {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Each line that could not be written (/metrics: opsbot_audit_gaps_total). */
    private readonly onGap?: (kind: string) => void,
    /** Each line recorded, by kind and outcome (/metrics: opsbot_audit_events_total — approvals by transition, dead letters…). */
    private readonly onRecord?: (kind: string, outcome: string) => void,
  ) {}

  /** Writes the line; a line that could not be written is logged in full at error level and counted. */
  async record(e: Omit<AuditEntry, 'at'>): Promise<void> {
    this.onRecord?.(e.kind, e.outcome);
    try {
      await this.write(e);
    } catch (err) {
      this.onGap?.(e.kind);
      this.log.error({ reason: (err as Error).message, audit: e }, 'audit write failed: this line is missing from the audit log');
    }
  }

  /** Writes the line or throws (for outcomes that are retried until written). */
  write(e: Omit<AuditEntry, 'at'>): Promise<void> {
    return this.store.appendAudit({ at: this.now(), ...e });
  }

  query(q: AuditQuery): Promise<AuditEntry[]> {
    return this.store.queryAudit(q);
  }
}

/** One audit line as `npm run audit` prints it and the export before pruning writes it: JSON with an ISO time. */
export function auditLine(e: AuditEntry): string {
  return `${JSON.stringify({ ...e, time: new Date(e.at).toISOString() })}\n`;
}
