import type { Approval } from '../src/core/approvals/types.js';
import { formatDuration } from '../src/core/duration.js';
import { clockTime } from '../src/core/time.js';
import type { Block, Button, Card, Field } from './model.js';

export interface ApprovalCardOptions {
  timeZone: string;
  now: number;
  /** Signed Approve/Reject buttons; only while pending. */
  buttons?: Button[];
}

/**
 * The approval card in every state. The same card is updated in place as the approval moves:
 * pending (who must approve, by when) → executing → done / failed, or rejected / expired / cancelled.
 */
export function approvalCard(a: Approval, o: ApprovalCardOptions): Card {
  return { ...render(a, o), binding: { subject: 'approval', id: a.id, rev: a.version } };
}

function render(a: Approval, o: ApprovalCardOptions): Card {
  const t = (ms: number) => clockTime(ms, o.timeZone);
  const what = `**${a.requester.name}** wants to **${a.command}** ${a.preview.target}`;
  const fields: Field[] = [{ label: 'Change', value: `${a.preview.change} · dry run ✓` }, { label: 'Risk', value: a.risk }];
  const chain = a.steps
    .map((s, i) => {
      if (s.decidedBy) return `✓ ${s.role}: ${s.decidedBy.name} ${t(s.decidedAt ?? 0)}`;
      return i === a.step && a.state === 'pending' ? `→ ${s.role} (until ${t(a.expiresAt)})` : `${s.role}`;
    })
    .join(' · ');
  fields.push({ label: a.steps.length > 1 ? `Approvals (${a.steps.length} steps)` : 'Approval', value: a.autoApprovedBy ? `auto-approved: ${a.autoApprovedBy}` : chain });
  const blocks: Block[] = [{ type: 'markdown', text: what }, { type: 'fields', items: fields }];
  const lastApprover = [...a.steps].reverse().find((s) => s.decidedBy);
  const approvedBy = a.autoApprovedBy ? 'policy' : lastApprover?.decidedBy ? `${lastApprover.decidedBy.name} ${t(lastApprover.decidedAt ?? 0)}` : '';
  const base = { blocks } as const;
  switch (a.state) {
    case 'pending': {
      const left = Math.max(0, a.expiresAt - o.now);
      return {
        title: `Approval needed · ${a.id}`,
        tone: 'warning',
        ...base,
        ...(o.buttons?.length ? { buttons: o.buttons } : {}),
        footer: `expires ${t(a.expiresAt)} (in ${formatDuration(Math.ceil(left / 60_000) * 60_000)}) · or type /approve ${a.id} · /reject ${a.id} <reason>`,
      };
    }
    case 'executing':
      return { title: `Approved by ${approvedBy} — executing… · ${a.id}`, tone: 'info', ...base };
    case 'succeeded':
      return { title: `Done · ${a.id} · approved by ${approvedBy}`, tone: 'success', blocks: [...blocks, { type: 'markdown', text: `✅ ${a.result?.summary ?? 'done'}` }] };
    case 'failed':
      return { title: `Failed · ${a.id}`, tone: 'danger', blocks: [...blocks, { type: 'markdown', text: `❌ ${a.result?.summary ?? a.reason ?? 'failed'}` }] };
    case 'rejected':
      return { title: `Rejected · ${a.id} · by ${a.closedBy?.name ?? '?'} ${t(a.updatedAt)}`, tone: 'danger', blocks: [...blocks, { type: 'markdown', text: `${a.reason ? `Reason: ${a.reason}\n` : ''}Nothing was changed.` }] };
    case 'expired':
      return { title: `Expired · ${a.id}`, tone: 'info', blocks: [...blocks, { type: 'markdown', text: `Nobody approved by ${t(a.expiresAt)}. Nothing was changed; send the command again if it is still needed.` }] };
    case 'cancelled':
      return { title: `Cancelled · ${a.id} · by ${a.closedBy?.name ?? a.requester.name}`, tone: 'info', blocks: [...blocks, { type: 'markdown', text: 'Nothing was changed.' }] };
  }
}
