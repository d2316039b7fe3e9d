import type { Card } from '../../../cards/model.js';
import { table } from '../../../cards/util.js';
import type { Policy } from '../../config/policy.js';
import type { Audit } from '../audit.js';
import type { CommandContext, Workflow } from '../command.js';
import { formatAge } from '../duration.js';
import { NotAllowedError } from '../errors.js';
import { msg, t } from '../i18n.js';
import { dateTime, spansZones } from '../time.js';
import type { ApprovalService } from './service.js';

/** Roles that appear in some approval chain: their people may read the audit log. */
export function approverRoles(policy: Policy): Set<string> {
  return new Set(Object.values(policy.approvals.risk).flatMap((l) => l?.steps.map((s) => s.role) ?? []));
}

/** The workflow commands' side of the approval service and the audit log. */
export class ApprovalWorkflow implements Workflow {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly audit: Audit,
    private readonly policy: Policy,
  ) {}

  decide(ctx: CommandContext, id: string, decision: 'approve' | 'reject', reason?: string): Promise<Card> {
    return this.approvals.decide(ctx, id, decision, reason);
  }

  cancel(ctx: CommandContext, id: string): Promise<Card> {
    return this.approvals.cancel(ctx, id);
  }

  async openApprovals(ctx: CommandContext): Promise<Card> {
    const open = await this.approvals.listOpen({ platform: ctx.actor.platform, chatId: ctx.chatId });
    const now = ctx.now();
    const L = ctx.lang;
    if (!open.length) return { title: t(L, 'workflow.noOpen'), tone: 'success', blocks: [] };
    return {
      title: open.length === 1 ? t(L, 'workflow.open.one') : t(L, 'workflow.open', { n: open.length }),
      tone: 'warning',
      blocks: [
        table(
          [t(L, 'workflow.col.id'), t(L, 'workflow.col.change'), t(L, 'workflow.col.by'), t(L, 'workflow.col.waiting'), t(L, 'workflow.col.expires')],
          open.map((a) => [
            a.id,
            `${a.command} ${a.preview.target}: ${a.preview.change}`,
            a.requester.name,
            a.state === 'executing' ? t(L, 'workflow.executing') : (a.steps[a.step]?.role ?? '?'),
            a.state === 'executing' ? '—' : t(L, 'workflow.in', { left: formatAge(Math.max(0, a.expiresAt - now)) }),
          ]),
        ),
      ],
      footer: t(L, 'workflow.footer'),
    };
  }

  async auditLog(ctx: CommandContext, limit: number): Promise<Card> {
    if (!ctx.person.roles.some((r) => approverRoles(this.policy).has(r))) {
      throw new NotAllowedError(msg('authz.err.auditApprovers', { name: ctx.person.name }));
    }
    const entries = await this.audit.query({ limit });
    const L = ctx.lang;
    if (!entries.length) return { title: t(L, 'workflow.auditEmpty'), tone: 'info', blocks: [] };
    return {
      title: entries.length === 1 ? t(L, 'workflow.audit.one') : t(L, 'workflow.audit', { n: entries.length }),
      tone: 'info',
      blocks: [
        table(
          [t(L, 'workflow.col.time'), t(L, 'workflow.col.who'), t(L, 'workflow.col.what'), t(L, 'workflow.col.result')],
          entries.map((e) => [
            dateTime(e.at, this.policy.timezone, spansZones(this.policy)),
            e.actor,
            `${e.kind}${e.command ? ` /${e.command}` : ''}${e.approvalId ? ` ${e.approvalId}` : ''}`,
            `${e.outcome}${e.reason ? `: ${e.reason}` : ''}`,
          ]),
          { maxRows: limit },
        ),
      ],
      footer: t(L, 'workflow.auditFooter'),
    };
  }
}
