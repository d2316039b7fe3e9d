import { z } from 'zod';
import { runbookListCard, runbookShowCard } from '../cards/runbook.js';
import { defineCommand } from '../src/core/command.js';
import { OpsError } from '../src/core/errors.js';
import { msg } from '../src/core/i18n.js';
import { parseParams, plan } from '../src/core/runbooks/engine.js';
import { RUNBOOK_CALLS, runbookNamed } from './runbook-run.js';

export default defineCommand({
  name: 'runbook',
  aliases: ['runbooks'],
  summary: { en: 'List the runbooks, or show one (with parameters: its dry run, step by step)', zh: '列出运行手册，或查看一个（带参数时逐步预检）' },
  examples: ['/runbook list', '/runbook show scale_up', '/runbook show scale_up deployment=api-gateway namespace=production by=2', '/runbook run scale_up deployment=api-gateway namespace=production by=2'],
  args: z.strictObject({
    action: z.string().max(40).optional().describe('list, or show one runbook'),
    name: z.string().max(40).optional().describe('Runbook name, e.g. scale_up'),
    params: z.string().max(1000).optional().describe('Parameters as key=value words: shows the dry run of each step'),
  }),
  positionals: ['action', 'name', 'params'],
  rest: 'params',
  kube: RUNBOOK_CALLS,
  mutating: false,
  async run(ctx, a) {
    if (!ctx.runbooks) throw new OpsError('unsupported', msg('runbook.off'));
    // `/runbook scale_up …` is `/runbook show scale_up …`.
    const shown = a.action === undefined || a.action === 'list' ? undefined : a.action === 'show' ? a.name : a.action;
    const params = a.action === 'show' ? a.params : [a.name, a.params].filter(Boolean).join(' ') || undefined;
    if (!shown) return runbookListCard(ctx.runbooks.list, ctx.lang);
    const rb = runbookNamed(ctx, shown);
    if (!params) return runbookShowCard(rb, ctx.lang);
    const p = await plan(ctx, rb, parseParams(rb, params, ctx));
    const run = ctx.requestButton(msg('runbook.button.run', { name: rb.name })[ctx.lang], 'runbook-run', { name: rb.name, params }, 'primary');
    return runbookShowCard(rb, ctx.lang, { plan: p, run });
  },
});
