import type { Approval } from '../src/core/approvals/types.js';
import { formatDuration } from '../src/core/duration.js';
import { type Lang, t } from '../src/core/i18n.js';
import { clockTime } from '../src/core/time.js';
import type { Block, Button, Card, Field } from './model.js';
import { stepLines } from './steps.js';

export interface ApprovalCardOptions {
  timeZone: string;
  /** The team spans zones: times say theirs (`14:03 UTC+8`). */
  zoneLabel?: boolean;
  now: number;
  /** Signed Approve/Reject buttons while pending; what a failed execution offers next (a rollback request). */
  buttons?: Button[];
  lang?: Lang;
  /** What the cluster an approval names is called on cards (policy clusters.<name>.label). */
  clusterLabel?: (name: string) => string | undefined;
}

/**
 * The approval card in every state. The same card is updated in place as the approval moves:
 * pending (who must approve, by when) → executing → done / failed, or rejected / expired / cancelled.
 */
export function approvalCard(a: Approval, o: ApprovalCardOptions): Card {
  const lang = o.lang ?? 'en';
  return { ...render(a, o, lang), binding: { subject: 'approval', id: a.id, rev: a.version }, lang };
}

function render(a: Approval, o: ApprovalCardOptions, lang: Lang): Card {
  const at = (ms: number) => clockTime(ms, o.timeZone, o.zoneLabel);
  const id = a.id;
  const what = t(lang, 'approval.what', { who: a.requester.name, command: a.command, target: a.preview.target });
  const fields: Field[] = [
    { label: t(lang, 'approval.change'), value: t(lang, a.preview.unchecked ? 'approval.noDryRun' : 'approval.dryRun', { change: a.preview.change }) },
    { label: t(lang, 'approval.risk'), value: t(lang, `approval.risk.${a.risk}`) },
  ];
  // With several clusters the request recorded which one; the approver must see it before approving.
  if (typeof a.args['cluster'] === 'string') {
    const name = a.args['cluster'];
    const label = o.clusterLabel?.(name);
    fields.unshift({ label: t(lang, 'cluster.field'), value: label && label !== name ? `${name} (${label})` : name });
  }
  const chain = a.steps
    .map((s, i) => {
      if (s.decidedBy) return `✓ ${s.role}: ${s.decidedBy.name} ${at(s.decidedAt ?? 0)}`;
      return i === a.step && a.state === 'pending' ? t(lang, 'approval.until', { role: s.role, at: at(a.expiresAt), left: formatDuration(Math.ceil(Math.max(0, a.expiresAt - o.now) / 60_000) * 60_000) }) : `${s.role}`;
    })
    .join(' · ');
  fields.push({
    label: a.steps.length > 1 ? t(lang, 'approval.steps', { n: a.steps.length }) : t(lang, 'approval.approval'),
    value: a.autoApprovedBy ? t(lang, 'approval.auto', { rule: a.autoApprovedBy }) : chain,
  });
  const blocks: Block[] = [{ type: 'markdown', text: what }, { type: 'fields', items: fields }];
  // A change of several steps lists each (the approver approves all of them), then how each went.
  if (a.preview.steps?.length) {
    const started = a.state === 'executing' || a.state === 'succeeded' || a.state === 'failed';
    blocks.push({ type: 'markdown', text: `**${t(lang, 'approval.stepList', { n: a.preview.steps.length })}**\n${stepLines(a.preview.steps, started ? (a.progress ?? []) : undefined)}` });
  }
  const lastApprover = [...a.steps].reverse().find((s) => s.decidedBy);
  const by = a.autoApprovedBy ? t(lang, 'approval.byPolicy') : lastApprover?.decidedBy ? `${lastApprover.decidedBy.name} ${at(lastApprover.decidedAt ?? 0)}` : '';
  const base = { blocks } as const;
  switch (a.state) {
    case 'pending': {
      const left = formatDuration(Math.ceil(Math.max(0, a.expiresAt - o.now) / 60_000) * 60_000);
      return {
        title: t(lang, 'approval.pending', { id }),
        tone: 'warning',
        ...base,
        ...(o.buttons?.length ? { buttons: o.buttons } : {}),
        footer: t(lang, 'approval.pending.footer', { at: at(a.expiresAt), left, id }),
      };
    }
    case 'executing':
      return { title: t(lang, 'approval.executing', { by, id }), tone: 'info', ...base };
    case 'succeeded':
      return { title: t(lang, 'approval.succeeded', { id, by }), tone: 'success', blocks: [...blocks, { type: 'markdown', text: `✅ ${a.result?.summary ?? t(lang, 'approval.done')}` }] };
    case 'failed':
      return { title: t(lang, 'approval.failed', { id }), tone: 'danger', blocks: [...blocks, { type: 'markdown', text: `❌ ${a.result?.summary ?? a.reason ?? t(lang, 'approval.failedPlain')}` }], ...(o.buttons?.length ? { buttons: o.buttons } : {}) };
    case 'rejected': {
      const reason = a.reason ? `${t(lang, 'approval.reason', { reason: a.reason })}\n` : '';
      return { title: t(lang, 'approval.rejected', { id, by: a.closedBy?.name ?? '?', at: at(a.updatedAt) }), tone: 'danger', blocks: [...blocks, { type: 'markdown', text: `${reason}${t(lang, 'approval.nothingChanged')}` }] };
    }
    case 'expired':
      return { title: t(lang, 'approval.expired', { id }), tone: 'info', blocks: [...blocks, { type: 'markdown', text: t(lang, 'approval.expiredBody', { at: at(a.expiresAt) }) }] };
    case 'cancelled':
      return { title: t(lang, 'approval.cancelled', { id, by: a.closedBy?.name ?? a.requester.name }), tone: 'info', blocks: [...blocks, { type: 'markdown', text: t(lang, 'approval.nothingChanged') }] };
  }
}
