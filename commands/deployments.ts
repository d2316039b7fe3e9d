import { z } from 'zod';
import { imageTag, table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { dnsLabel } from '../src/core/names.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'deployments',
  aliases: ['deploy', 'deploys'],
  summary: { en: 'List deployments with readiness, degraded first', zh: '查看 Deployment 列表（未就绪优先）' },
  examples: ['/deployments production'],
  args: z.strictObject({ namespace: dnsLabel.optional().describe('Namespace') }),
  positionals: ['namespace'],
  flags: { namespace: ['-n', '--namespace'] },
  kube: ['listDeployments'],
  mutating: false,
  async run(ctx, a) {
    const now = ctx.now();
    const ns = a.namespace ?? ctx.defaultNamespace;
    const deps = await ctx.kube.listDeployments(ns, { signal: ctx.signal });
    const L = ctx.lang;
    if (!deps.length) return { title: t(L, 'deploys.none', { ns }), tone: 'info', blocks: [{ type: 'markdown', text: t(L, 'deploys.none.body', { ns }) }] };
    const rows = deps.map((d) => {
      const want = d.spec?.replicas ?? 1;
      const ready = d.status?.readyReplicas ?? 0;
      const updating = (d.status?.updatedReplicas ?? 0) < want || (d.status?.replicas ?? 0) > want;
      return { d, want, ready, bad: ready < want, updating };
    });
    rows.sort((x, y) => Number(y.bad) - Number(x.bad) || (x.d.metadata?.name ?? '').localeCompare(y.d.metadata?.name ?? ''));
    const bad = rows.filter((r) => r.bad).length;
    return {
      title: t(L, 'deploys.title', { ns, n: deps.length, state: bad ? t(L, 'out.notReady', { n: bad }) : t(L, 'out.allReady') }),
      tone: rows.some((r) => r.ready === 0 && r.want > 0) ? 'danger' : bad ? 'warning' : 'success',
      blocks: [
        table(
          ['', 'Deployment', 'Ready', 'Image', 'Age'],
          rows.map((r) => [
            r.bad ? (r.ready === 0 && r.want > 0 ? '❌' : '⚠️') : r.updating ? '🔄' : '✅',
            r.d.metadata?.name ?? '',
            `${r.ready}/${r.want}`,
            imageTag(r.d.spec?.template.spec?.containers[0]?.image),
            formatAge(now - new Date(r.d.metadata?.creationTimestamp ?? now).getTime()),
          ]),
        ),
      ],
    };
  },
});
