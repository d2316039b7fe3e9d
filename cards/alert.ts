import type { AlertGroup } from '../src/core/alerts/types.js';
import { formatDuration } from '../src/core/duration.js';
import { type Lang, t } from '../src/core/i18n.js';
import { dateTime } from '../src/core/time.js';
import type { Block, Button, Card, Field, Tone } from './model.js';

const LEVEL_EMOJI = { P0: '🔥', P1: '🚨', P2: '⚠️', P3: 'ℹ️' } as const;
const LEVEL_TONE: Record<AlertGroup['level'], Tone> = { P0: 'danger', P1: 'danger', P2: 'warning', P3: 'info' };

export interface AlertCardOptions {
  timeZone: string;
  /** The team spans zones: times say theirs (`11-22 14:03 UTC+8`). */
  zoneLabel?: boolean;
  now: number;
  lang: Lang;
  buttons?: Button[];
  mentions?: Card['mentions'];
}

/** The workload an alert is about, from the labels Kubernetes alerts carry. */
export function workloadOf(labels: Readonly<Record<string, string>>): { namespace?: string; kind?: string; name?: string } {
  const namespace = labels['namespace'];
  const pairs: [string, string][] = [['deployment', 'deployment'], ['statefulset', 'statefulset'], ['daemonset', 'daemonset'], ['job_name', 'job'], ['pod', 'pod'], ['service', 'service']];
  for (const [label, kind] of pairs) if (labels[label]) return { ...(namespace ? { namespace } : {}), kind, name: labels[label] };
  return namespace ? { namespace } : {};
}

/** One card per alert group: severity, status, when, what, where, links, how many; updated in place. */
export function alertCard(g: AlertGroup, o: AlertCardOptions): Card {
  const L = o.lang;
  const name = g.labels['alertname'] ?? t(L, 'alert.unnamed');
  const w = workloadOf(g.labels);
  const where = [w.namespace, w.name].filter(Boolean).join('/');
  const resolved = g.status === 'resolved';
  const title = `${resolved ? '✅' : LEVEL_EMOJI[g.level]} ${g.level} · ${name}${where ? ` · ${where}` : ''} · ${t(L, resolved ? 'alert.resolved' : 'alert.firing')}`;
  const fields: Field[] = [
    { label: t(L, 'alert.started'), value: dateTime(g.firstAt, o.timeZone, o.zoneLabel) },
    { label: t(L, 'alert.count'), value: t(L, 'alert.countValue', { firing: g.count.firing, total: g.count.total }) },
  ];
  if (w.namespace) fields.push({ label: t(L, 'alert.namespace'), value: w.namespace });
  if (w.name) fields.push({ label: t(L, 'alert.workload'), value: `${w.kind}/${w.name}` });
  if (resolved && g.resolvedAt) fields.push({ label: t(L, 'alert.duration'), value: formatDuration(Math.max(1000, g.resolvedAt - g.firstAt)) });
  if (g.ack) fields.push({ label: t(L, 'alert.acked'), value: `${g.ack.name} ${dateTime(g.ack.at, o.timeZone, o.zoneLabel)}` });
  if (g.escalations.length) fields.push({ label: t(L, 'alert.escalated'), value: g.escalations.map((e) => `${e.name} ${dateTime(e.at, o.timeZone, o.zoneLabel)}${e.urgent ? ` (${e.urgent})` : ''}`).join(' → ') });
  if (g.annotations['runbook_url']) fields.push({ label: t(L, 'alert.runbook'), value: g.annotations['runbook_url'] });
  if (g.annotations['dashboard_url']) fields.push({ label: t(L, 'alert.dashboard'), value: g.annotations['dashboard_url'] });
  const blocks: Block[] = [];
  const summary = g.annotations['summary'] ?? g.annotations['message'];
  const description = g.annotations['description'];
  if (summary) blocks.push({ type: 'markdown', text: `**${summary}**` });
  if (description && description !== summary) blocks.push({ type: 'markdown', text: description.slice(0, 600) });
  blocks.push({ type: 'fields', items: fields });
  const shown = Object.values(g.alerts).slice(0, 5);
  if (shown.length > 1) {
    const rows = shown.map((a) => [a.status === 'firing' ? '🔴' : '🟢', Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(' ') || '—', a.summary ?? '']);
    blocks.push({ type: 'table', columns: ['', t(L, 'alert.labels'), t(L, 'alert.summary')], rows, ...(g.count.total > shown.length ? { omitted: g.count.total - shown.length } : {}) });
  }
  return {
    title,
    tone: resolved ? 'success' : LEVEL_TONE[g.level],
    blocks,
    ...(o.buttons?.length ? { buttons: o.buttons } : {}),
    ...(o.mentions ? { mentions: o.mentions } : {}),
    footer: t(L, 'alert.footer', { id: g.id, receiver: g.receiver }),
    binding: { subject: 'alert', id: g.id, rev: g.rev },
    lang: L,
  };
}
