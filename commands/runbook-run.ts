import { z } from 'zod';
import { plannedLine, runbookResultCard } from '../cards/runbook.js';
import { type CommandContext, defineCommand, type Preview } from '../src/core/command.js';
import { OpsError, UsageError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { execute, parseParams, plan, type Plan } from '../src/core/runbooks/engine.js';
import type { Runbook } from '../src/core/runbooks/runbook.js';
import type { KubeCall } from '../src/kube/rbac.js';

/** What a runbook reads and waits on itself; its steps' commands declare their own calls. */
export const RUNBOOK_CALLS: readonly KubeCall[] = ['readDeployment', 'readPod', 'listReplicaSets', 'listPods', 'listPodsOnNode'];

export function runbookNamed(ctx: CommandContext, name: string): Runbook {
  if (!ctx.runbooks) throw new OpsError('unsupported', msg('runbook.off'));
  const rb = ctx.runbooks.get(name);
  if (!rb) throw new UsageError(msg('runbook.err.unknown', { name, names: ctx.runbooks.list.map((r) => r.name).join(', ') || '—' }));
  return rb;
}

const values = z.record(z.string().max(40), z.union([z.string().max(300), z.number()]));

async function planFor(ctx: CommandContext, a: { name: string; params?: string | undefined; rollback?: Record<string, string | number> | undefined }): Promise<Plan> {
  const rb = runbookNamed(ctx, a.name);
  if (a.rollback && !rb.rollback) throw new UsageError(msg('runbook.err.noRollback', { name: rb.name }));
  return plan(ctx, rb, parseParams(rb, a.params, ctx), a.rollback);
}

/** The approval's summary of a run: one line, every step listed on the card, the namespace first for approvers. */
function previewOf(ctx: CommandContext, p: Plan): Preview {
  const subject = Object.entries(p.runbook.params).find(([, d]) => d.type === 'name' || d.type === 'node')?.[0];
  const what = subject ? String(p.params[subject]) : p.runbook.name;
  const target = p.namespace ? `${p.namespace}/${what}` : what;
  const kind = p.rollback ? t(ctx.lang, 'runbook.kind.rollback') : t(ctx.lang, 'runbook.kind.run');
  return {
    target,
    change: t(ctx.lang, 'runbook.change', { name: p.runbook.name, kind, n: p.steps.length }),
    // The fingerprint execution compares: the values read and every change's own "before".
    before: { read: p.read, steps: p.steps.map((s) => (s.kind === 'command' ? (s.skip ? 'skip' : (s.before ?? null)) : null)) },
    steps: p.steps.map((s) => plannedLine(s, ctx.lang)),
    risk: p.runbook.risk,
    runMs: p.runMs,
  };
}

export default defineCommand({
  name: 'runbook-run',
  summary: { en: 'Run a runbook: one approval for all its steps, then live progress on the card', zh: '执行运行手册：所有步骤一次审批，卡片实时显示进度' },
  examples: ['/runbook run scale_up deployment=api-gateway namespace=production by=2', '/runbook run pod_restart pod=order-service-7d9f8-x2k4q namespace=production'],
  args: z.strictObject({
    name: z.string().max(40).describe('Runbook name (/runbook list), e.g. scale_up'),
    params: z.string().max(1000).optional().describe('Parameters as key=value words, e.g. "deployment=api-gateway namespace=production by=2"'),
    rollback: values.optional().describe('Only set by a failed run\'s Roll back button: the values that run read, which its rollback restores'),
  }),
  positionals: ['name', 'params'],
  rest: 'params',
  kube: RUNBOOK_CALLS,
  // The runbook's own risk picks the approval chain (its preview says it); this is the default.
  mutating: { risk: 'medium' },
  check(ctx, a) {
    runbookNamed(ctx, a.name);
  },
  async preview(ctx, a) {
    return previewOf(ctx, await planFor(ctx, a));
  },
  async run(ctx, a) {
    const started = ctx.now();
    const p = await planFor(ctx, a);
    const r = await execute(ctx, p, (i, o) => ctx.progress?.(i, o) ?? Promise.resolve());
    const secs = Math.max(1, Math.round((ctx.now() - started) / 1000));
    // A failed run offers its rollback as a new request (approved like any change), restoring what it read.
    const done = r.outcomes.some((o) => o.state === 'done');
    const rollback = !r.ok && !p.rollback && p.runbook.rollback && done ? ctx.requestButton(t(ctx.lang, 'runbook.button.rollback'), 'runbook-run', { name: p.runbook.name, ...(a.params ? { params: a.params } : {}), rollback: p.read }, 'danger') : undefined;
    return runbookResultCard(p, { ...r, secs }, ctx.lang, rollback);
  },
});
