import type { Button, Card, Field } from './model.js';
import { type StepLine, stepLines } from './steps.js';
import type { Lang } from '../src/core/i18n.js';
import { t } from '../src/core/i18n.js';
import type { Plan, PlannedStep, StepOutcome } from '../src/core/runbooks/engine.js';
import { isWait, type Runbook, type RunbookStep, say } from '../src/core/runbooks/runbook.js';
import { formatDuration } from '../src/core/duration.js';

/** The `key=value` words a runbook takes, required ones bare, optional ones in brackets. */
export function usageOf(rb: Runbook): string {
  const ps = Object.entries(rb.params).map(([k, p]) => {
    const optional = p.required === false || p.default !== undefined || p.type === 'namespace';
    return optional ? `[${k}=${p.default ?? '…'}]` : `${k}=<${p.type}>`;
  });
  return `/runbook run ${rb.name}${ps.length ? ` ${ps.join(' ')}` : ''}`;
}

/** /runbook list. */
export function runbookListCard(list: readonly Runbook[], lang: Lang): Card {
  if (!list.length) return { title: t(lang, 'runbook.list.none'), tone: 'info', blocks: [{ type: 'markdown', text: t(lang, 'runbook.list.howto') }] };
  return {
    title: t(lang, 'runbook.list.title', { n: list.length }),
    tone: 'info',
    blocks: [
      {
        type: 'table',
        columns: [t(lang, 'runbook.col.name'), t(lang, 'runbook.col.what'), t(lang, 'runbook.col.risk'), t(lang, 'runbook.col.steps')],
        rows: list.map((rb) => [rb.name, say(rb.title, lang) || say(rb.description, lang), t(lang, `approval.risk.${rb.risk}`), String(rb.steps.length)]),
      },
      { type: 'markdown', text: t(lang, 'runbook.list.footer') },
    ],
  };
}

/** A step as written in the file (templates unrendered), for /runbook show without parameters. */
function written(s: RunbookStep, lang: Lang): StepLine {
  if (isWait(s)) {
    const target = 'deployment' in s ? `deployment ${s.deployment}` : 'pod' in s ? `pod ${s.pod}` : `node ${s.node}`;
    return { title: say(s.title, lang) || t(lang, 'runbook.wait.written', { wait: s.wait, target, limit: formatDuration(s.timeout) }) };
  }
  const args = Object.entries(s.args).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return { title: say(s.title, lang) || `/${s.command} ${args}`.trim(), code: !s.title };
}

export function plannedLine(s: PlannedStep, lang: Lang): StepLine {
  if (s.kind === 'wait') return { title: s.title };
  const line: StepLine = { title: s.title, code: true };
  if (s.skip) line.skip = t(lang, 'runbook.step.skip', { why: s.skip[lang] });
  else if (s.change) line.change = s.change;
  else if (!s.spec.mutating) line.change = t(lang, 'runbook.step.readOnly');
  return line;
}

/**
 * /runbook show: what the runbook does; with parameters, its dry run — every step rendered and checked
 * against the cluster now — and a Run button that requests it (one approval).
 */
export function runbookShowCard(rb: Runbook, lang: Lang, o: { plan?: Plan; run?: Button } = {}): Card {
  const params: Field[] = Object.entries(rb.params).map(([k, p]) => ({
    label: k,
    value: [p.type, p.default !== undefined ? t(lang, 'runbook.param.default', { v: String(p.default) }) : p.required === false || p.type === 'namespace' ? t(lang, 'runbook.param.optional') : t(lang, 'runbook.param.required'), p.min !== undefined || p.max !== undefined ? `${p.min ?? ''}…${p.max ?? ''}` : '', p.enum ? p.enum.join('|') : '', say(p.description, lang)].filter(Boolean).join(' · '),
  }));
  const blocks: Card['blocks'] = [{ type: 'markdown', text: `${say(rb.description, lang)}\n${t(lang, 'runbook.show.risk', { risk: t(lang, `approval.risk.${rb.risk}`) })}` }];
  if (params.length) blocks.push({ type: 'fields', items: params });
  if (o.plan) {
    const read = Object.entries(o.plan.read).map(([k, v]) => `${k}=${v}`).join(' ');
    blocks.push({ type: 'markdown', text: `**${t(lang, 'runbook.show.dryRun')}**${read ? ` (${t(lang, 'runbook.show.read', { read })})` : ''}\n${stepLines(o.plan.steps.map((s) => plannedLine(s, lang)))}` });
  } else {
    blocks.push({ type: 'markdown', text: `**${t(lang, 'runbook.show.steps')}**\n${stepLines(rb.steps.map((s) => written(s, lang)))}` });
  }
  if (rb.rollback) blocks.push({ type: 'markdown', text: `**${t(lang, 'runbook.show.rollback')}**\n${stepLines(rb.rollback.map((s) => written(s, lang)))}` });
  blocks.push({ type: 'markdown', text: t(lang, 'runbook.show.usage', { usage: usageOf(rb) }) });
  return {
    title: o.plan ? t(lang, 'runbook.show.planTitle', { name: rb.name }) : t(lang, 'runbook.show.title', { name: rb.name, title: say(rb.title, lang) || rb.name }),
    tone: 'info',
    blocks,
    ...(o.run ? { buttons: [o.run] } : {}),
  };
}

/** What an approved run returns: one line for the approval card (its steps block shows each step). */
export function runbookResultCard(p: Plan, r: { ok: boolean; outcomes: StepOutcome[]; failedAt?: number; secs: number }, lang: Lang, rollback?: Button): Card {
  const name = p.runbook.name;
  const n = p.steps.length;
  const kind = p.rollback ? t(lang, 'runbook.kind.rollback') : t(lang, 'runbook.kind.run');
  if (r.ok) {
    const skipped = r.outcomes.filter((o) => o.state === 'skipped').length;
    return { title: t(lang, 'runbook.done.title', { name, kind }), tone: 'success', blocks: [{ type: 'markdown', text: t(lang, 'runbook.done', { name, kind, n, secs: r.secs, skipped: skipped ? t(lang, 'runbook.done.skipped', { n: skipped }) : '' }) }] };
  }
  const at = (r.failedAt ?? 0) + 1;
  const note = r.outcomes[r.failedAt ?? 0]?.note ?? '';
  const text = t(lang, 'runbook.failed', { name, kind, at, n, note }) + (rollback ? `\n${t(lang, 'runbook.failed.rollback')}` : '');
  return { title: t(lang, 'runbook.failed.title', { name, kind, at, n }), tone: 'danger', blocks: [{ type: 'markdown', text }], ...(rollback ? { buttons: [rollback] } : {}) };
}
