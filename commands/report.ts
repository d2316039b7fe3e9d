import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { OpsError } from '../src/core/errors.js';

export default defineCommand({
  name: 'report',
  summary: { en: 'The daily (or weekly) health report, now', zh: '立即查看每日（或每周）健康报告' },
  examples: ['/report', '/report weekly'],
  args: z.strictObject({
    period: z.enum(['daily', 'weekly']).default('daily').describe('daily (the last 24 h) or weekly (the last 7 days, with the change from the week before)'),
  }),
  positionals: ['period'],
  // The cluster part: every cluster, read as the person who asks.
  kube: ['listPods', 'listDeployments'],
  eachCluster: true,
  mutating: false,
  async run(ctx, a) {
    if (!ctx.reports) throw new OpsError('unsupported', { en: 'reports are not available here', zh: '此处不支持报告' });
    const clusters = ctx.clusters.list.map((c) => ({ name: c.name, client: ctx.onCluster(c.name).kube }));
    return ctx.reports.card(a.period, ctx.lang, { clusters });
  },
});
