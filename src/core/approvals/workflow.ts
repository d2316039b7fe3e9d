import type { Card } from '../../../cards/model.js';
import { plural, table } from '../../../cards/util.js';
import type { Policy } from '../../config/policy.js';
import type { Audit } from '../audit.js';
import type { CommandContext, Workflow } from '../command.js';
import { formatAge } from '../duration.js';
import { NotAllowedError } from '../errors.js';
import { dateTime } from '../time.js';
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
    if (!open.length) return { title: 'No open approvals in this chat', tone: 'success', blocks: [] };
    return {
      title: `${plural(open.length, 'open approval')}`,
      tone: 'warning',
      blocks: [
        table(
          ['Id', 'Change', 'By', 'Waiting for', 'Expires'],
          open.map((a) => [a.id, `${a.command} ${a.preview.target}: ${a.preview.change}`, a.requester.name, a.state === 'executing' ? 'executing' : (a.steps[a.step]?.role ?? '?'), a.state === 'executing' ? '—' : `in ${formatAge(Math.max(0, a.expiresAt - now))}`]),
        ),
      ],
      footer: '/approve <id> · /reject <id> <reason>',
    };
  }

  async auditLog(ctx: CommandContext, limit: number): Promise<Card> {
    if (!ctx.person.roles.some((r) => approverRoles(this.policy).has(r))) {
      throw new NotAllowedError(`${ctx.person.name} may not read the audit log (approvers only)`);
    }
    const entries = await this.audit.query({ limit });
    if (!entries.length) return { title: 'Audit log is empty', tone: 'info', blocks: [] };
    return {
      title: `Audit · last ${plural(entries.length, 'entry', 'entries')}`,
      tone: 'info',
      blocks: [
        table(
          ['Time', 'Who', 'What', 'Result'],
          entries.map((e) => [
            dateTime(e.at, this.policy.timezone),
            e.actor,
            `${e.kind}${e.command ? ` /${e.command}` : ''}${e.approvalId ? ` ${e.approvalId}` : ''}`,
            `${e.outcome}${e.reason ? `: ${e.reason}` : ''}`,
          ]),
          { maxRows: limit },
        ),
      ],
      footer: 'full log: npm run audit -- --since 24h',
    };
  }
}
