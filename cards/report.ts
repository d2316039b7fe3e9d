import type { Block, Card, Field } from './model.js';
import { table } from './util.js';
import { formatDuration } from '../src/core/duration.js';
import { type Lang, t } from '../src/core/i18n.js';
import { type ActivityFigures, type AlertFigures, type ReportData, verdict } from '../src/core/reports/collect.js';
import { dateTime, dayOf, utcLabel } from '../src/core/time.js';

/** A duration people read: minutes for anything under two days, rounded (`4m`, `1h12m`). */
const human = (ms: number) => formatDuration(ms < 60_000 ? Math.round(ms / 1000) * 1000 : Math.round(ms / 60_000) * 60_000);

/**
 * The daily or weekly report as a card: the verdict first (what a phone shows), then alerts, changes and
 * commands, then the cluster now; a source that could not be read is named, never shown as zero.
 */
export function reportCard(r: ReportData, lang: Lang, timeZone: string): Card {
  const v = verdict(r);
  const reasons = v.reasons.map((x) => t(lang, `report.why.${x.key}`, x.key === 'clusterDown' ? { name: x.name } : 'n' in x ? { n: x.n } : {})).join(lang === 'zh' ? '，' : ', ');
  const line = v.tone === 'success' ? t(lang, 'report.good') : t(lang, v.tone === 'danger' ? 'report.bad' : 'report.watch', { reasons });
  const fields: Field[] = [];
  const missing: string[] = [];
  const prev = r.previous;
  const change = (now: number, before: number | undefined) => {
    if (before === undefined) return '';
    const d = Math.round(now - before);
    return ` (${t(lang, 'report.change', { sign: d > 0 ? '+' : d < 0 ? '−' : '±', n: Math.abs(d) })})`;
  };
  const prevAlerts = prev?.alerts.ok ? prev.alerts.value : undefined;
  const prevActivity = prev?.activity.ok ? prev.activity.value : undefined;
  if (r.alerts.ok) fields.push(...alertFields(r.alerts.value, prevAlerts, lang, change, Boolean(prev)));
  else missing.push(t(lang, 'report.source.alerts', { reason: r.alerts.reason }));
  if (r.activity.ok) fields.push(...activityFields(r.activity.value, prevActivity, lang, change));
  else missing.push(t(lang, 'report.source.activity', { reason: r.activity.reason }));
  if (r.alertmanager?.ok) fields.push({ label: t(lang, 'report.alertmanager'), value: t(lang, 'report.alertmanager.value', { active: r.alertmanager.value.active, suppressed: r.alertmanager.value.suppressed }) });
  else if (r.alertmanager) missing.push(t(lang, 'report.source.alertmanager', { reason: r.alertmanager.reason }));

  const blocks: Block[] = [{ type: 'markdown', text: `**${line}**` }, { type: 'fields', items: fields }];
  const several = r.clusters.length > 1;
  for (const c of r.clusters) {
    if (!c.ok) {
      missing.push(t(lang, 'report.source.cluster', { name: c.name, reason: c.reason }));
      continue;
    }
    const cl = several ? `${c.name} · ` : '';
    const f = c.value;
    if (!f.restarting.length && !f.notReady.length) {
      blocks.push({ type: 'markdown', text: t(lang, 'report.clusterOk', { cluster: cl, pods: f.pods, deps: f.deployments }) });
      continue;
    }
    if (f.restarting.length) {
      blocks.push({ type: 'markdown', text: `**${t(lang, 'report.restarting', { cluster: cl, n: f.restartingTotal })}**` });
      blocks.push(table(['Pod', 'Namespace', 'Restarts', 'Reason'], f.restarting.map((p) => [p.pod, p.namespace, String(p.restarts), p.reason ?? '']), { keepFirstColumn: true }));
    }
    if (f.notReady.length) {
      blocks.push({ type: 'markdown', text: `**${t(lang, 'report.notReady', { cluster: cl, n: f.notReady.length })}**` });
      blocks.push(table(['Deployment', 'Namespace', 'Ready'], f.notReady.slice(0, 8).map((d) => [d.name, d.namespace, `${d.available}/${d.want}`]), { keepFirstColumn: true, ...(f.notReady.length > 8 ? { note: `+${f.notReady.length - 8}` } : {}) }));
    }
  }
  if (missing.length) blocks.push({ type: 'markdown', text: t(lang, 'report.unavailable', { what: missing.join(lang === 'zh' ? '；' : '; ') }) });
  const title = r.kind === 'daily' ? t(lang, 'report.title.daily', { day: dayOf(r.window.to, timeZone) }) : t(lang, 'report.title.weekly', { from: dayOf(r.window.from, timeZone), to: dayOf(r.window.to - 1, timeZone) });
  return {
    title,
    tone: v.tone,
    blocks,
    footer: t(lang, 'report.window', { from: dateTime(r.window.from, timeZone), to: dateTime(r.window.to, timeZone), zone: `${timeZone}, ${utcLabel(r.window.to, timeZone)}` }),
    lang,
  };
}

function alertFields(a: AlertFigures, prev: AlertFigures | undefined, lang: Lang, change: (now: number, before: number | undefined) => string, weekly: boolean): Field[] {
  if (!a.groups) return [{ label: t(lang, 'report.alerts'), value: t(lang, 'report.noAlerts') + (weekly ? change(0, prev?.groups) : '') }];
  const out: Field[] = [
    { label: t(lang, 'report.alerts'), value: t(lang, 'report.alerts.value', { n: a.groups, p0: a.byLevel.P0, p1: a.byLevel.P1, p2: a.byLevel.P2, p3: a.byLevel.P3 }) + (weekly ? change(a.groups, prev?.groups) : '') },
    { label: t(lang, 'report.top'), value: a.top.map((x) => `${x.name} ×${x.count}`).join(', ') },
    { label: t(lang, 'report.mtta'), value: a.mttaMs !== undefined ? t(lang, 'report.mtta.value', { d: human(a.mttaMs), n: a.acked, of: a.groups }) : t(lang, 'report.mtta.none') },
    { label: t(lang, 'report.mttr'), value: a.mttrMs !== undefined ? t(lang, 'report.mttr.value', { d: human(a.mttrMs), n: a.resolved, of: a.groups }) : t(lang, 'report.mttr.none') },
  ];
  return out;
}

function activityFields(a: ActivityFigures, prev: ActivityFigures | undefined, lang: Lang, change: (now: number, before: number | undefined) => string): Field[] {
  const more = a.truncated ? ` ${t(lang, 'report.atLeast')}` : '';
  return [
    { label: t(lang, 'report.approvals'), value: t(lang, 'report.approvals.value', { requested: a.requested, approved: a.approved, rejected: a.rejected, expired: a.expired, failed: a.failed }) + change(a.requested, prev?.requested) + more },
    { label: t(lang, 'report.commands'), value: t(lang, 'report.commands.value', { n: a.commands, people: a.people }) + (a.topCommands.length ? ` · ${a.topCommands.map((c) => `/${c.name} ×${c.count}`).join(', ')}` : '') + change(a.commands, prev?.commands) + more },
  ];
}
