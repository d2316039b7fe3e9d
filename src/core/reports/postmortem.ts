import type { Block, Card, Field } from '../../../cards/model.js';
import { formatDuration } from '../duration.js';
import { type Lang, t } from '../i18n.js';
import { clockTime, dateTime } from '../time.js';
import type { AlertGroup } from '../alerts/types.js';
import type { AuditEntry } from '../store/store.js';

/** The most timeline lines a card shows (the rest are counted). */
const MAX_LINES = 30;
/** Audit kinds that are part of an incident's story when they happen in its chats. */
const STORY = new Set(['command', 'request', 'approve', 'reject', 'cancel', 'expire', 'execute', 'auto-approve']);

export interface TimelineLine {
  at: number;
  icon: string;
  text: string;
}

/**
 * What happened during an incident, in order: fired, posted, escalated, acked, the commands and changes
 * people ran in the chats it was posted to while it fired (with their results), resolved. From the alert
 * group and the audit log only — nothing guessed.
 */
export function timeline(g: AlertGroup, audit: readonly AuditEntry[], chats: readonly { platform: string; chatId: string }[], o: { lang: Lang; name: (personId: string) => string; format: (e: AuditEntry) => string; targets: string }): TimelineLine[] {
  const L = o.lang;
  const end = g.resolvedAt ?? Number.POSITIVE_INFINITY;
  const inChat = (e: AuditEntry) => chats.some((c) => c.platform === e.platform && c.chatId === e.chatId);
  const name = g.labels['alertname'] ?? g.id;
  const out: TimelineLine[] = [{ at: g.firstAt, icon: '🔥', text: t(L, 'pm.fired', { level: g.level, name, n: g.count.total }) }];
  if (g.notifiedAt) out.push({ at: g.notifiedAt, icon: '📣', text: t(L, 'pm.notified', { targets: o.targets }) });
  for (const e of g.escalations) out.push({ at: e.at, icon: '📞', text: t(L, 'pm.escalated', { name: e.name, how: e.urgent ?? '' }).trim() });
  if (g.ack) out.push({ at: g.ack.at, icon: '✋', text: t(L, 'pm.acked', { name: g.ack.name }) });
  for (const e of audit) {
    if (!STORY.has(e.kind) || e.at < g.firstAt || e.at > end || !inChat(e)) continue;
    const who = o.name(e.actor);
    const what = o.format(e);
    const id = e.approvalId ? ` (${e.approvalId})` : '';
    const text =
      e.kind === 'command'
        ? t(L, e.outcome === 'ok' ? 'pm.command' : 'pm.commandFailed', { who, what })
        : e.kind === 'request'
          ? t(L, 'pm.request', { who, what, id })
          : e.kind === 'approve' || e.kind === 'auto-approve'
            ? t(L, e.kind === 'approve' ? 'pm.approve' : 'pm.autoApprove', { who, id })
            : e.kind === 'reject'
              ? t(L, 'pm.reject', { who, id })
              : e.kind === 'execute'
                ? t(L, e.outcome === 'ok' ? 'pm.executed' : 'pm.executeFailed', { what, id, result: (e.reason ?? '').replace(/\s+/g, ' ').slice(0, 120) })
                : t(L, e.kind === 'cancel' ? 'pm.cancel' : 'pm.expire', { id });
    out.push({ at: e.at, icon: e.kind === 'command' ? '🔍' : e.kind === 'execute' ? (e.outcome === 'ok' ? '⚙️' : '💥') : '📝', text });
  }
  if (g.resolvedAt) out.push({ at: g.resolvedAt, icon: '✅', text: t(L, 'pm.resolved') });
  return out.sort((a, b) => a.at - b.at);
}

/** The postmortem card: duration, the timeline, and a draft summary clearly marked as such. */
export function postmortemCard(g: AlertGroup, lines: readonly TimelineLine[], o: { lang: Lang; timeZone: string; label: boolean; draft?: { ok: true; text: string } | { ok: false; reason: string }; llm: boolean }): Card {
  const L = o.lang;
  const name = g.labels['alertname'] ?? g.id;
  const duration = (g.resolvedAt ?? Date.now()) - g.firstAt;
  const fields: Field[] = [
    { label: t(L, 'pm.duration'), value: formatDuration(Math.round(duration / 60_000) * 60_000 || duration) },
    { label: t(L, 'pm.window'), value: `${dateTime(g.firstAt, o.timeZone, o.label)} – ${g.resolvedAt ? clockTime(g.resolvedAt, o.timeZone, o.label) : t(L, 'pm.ongoing')}` },
    { label: t(L, 'pm.ack'), value: g.ack ? t(L, 'pm.ackValue', { name: g.ack.name, after: formatDuration(Math.max(0, Math.round((g.ack.at - g.firstAt) / 60_000)) * 60_000 || 1000) }) : t(L, 'pm.noAck') },
  ];
  const shown = lines.slice(0, MAX_LINES);
  const blocks: Block[] = [
    { type: 'fields', items: fields },
    { type: 'markdown', text: `**${t(L, 'pm.timeline')}**` },
    { type: 'markdown', text: shown.map((l) => `\`${clockTime(l.at, o.timeZone, o.label)}\` ${l.icon} ${l.text}`).join('\n') + (lines.length > shown.length ? `\n${t(L, 'pm.more', { n: lines.length - shown.length })}` : '') },
  ];
  if (o.draft?.ok) blocks.push({ type: 'divider' }, { type: 'markdown', text: `**${t(L, 'pm.draft')}**\n${o.draft.text}` });
  else if (o.draft) blocks.push({ type: 'markdown', text: t(L, 'pm.draftFailed', { reason: o.draft.reason }) });
  else if (!o.llm) blocks.push({ type: 'markdown', text: t(L, 'pm.noLlm') });
  return { title: t(L, 'pm.title', { level: g.level, name, id: g.id }), tone: 'info', blocks, footer: t(L, 'pm.footer', { id: g.id }), lang: L };
}
