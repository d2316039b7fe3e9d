import { z } from 'zod';
import { queryCard } from '../cards/query.js';
import { defineCommand } from '../src/core/command.js';
import { OpsError, UsageError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { dnsLabel } from '../src/core/names.js';

export default defineCommand({
  name: 'top',
  summary: { en: 'A named Prometheus query (policy queries): the top pods by CPU, memory, restarts', zh: '执行策略中的命名查询：按 CPU、内存、重启次数排行' },
  examples: ['/top cpu production', '/top memory', '/top restarts staging'],
  args: z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a query name from the policy (queries)').describe('Which named query (policy queries: cpu, memory, restarts by default)'),
    namespace: dnsLabel.optional().describe('Namespace (default: every namespace you may see)'),
  }),
  positionals: ['name', 'namespace'],
  flags: { namespace: ['-n', '--namespace'] },
  mutating: false,
  async run(ctx, a) {
    if (!ctx.prometheus) throw new OpsError('unsupported', msg('prom.off'));
    const q = ctx.policy.queries[a.name];
    if (!q) throw new UsageError(msg('top.unknown', { name: a.name, names: Object.keys(ctx.policy.queries).join(', ') }));
    // The namespace asked for (the router checked it against the policy), else every one this person may see.
    const namespaces = a.namespace ? [a.namespace] : ctx.namespaces;
    const promql = q.promql.replaceAll('$namespace', namespaces.join('|'));
    const r = await ctx.prometheus.instant(promql, ctx.now(), ctx.signal);
    const n = r.type === 'scalar' ? 1 : r.series.length + r.truncated;
    return queryCard(r, { query: promql, lang: ctx.lang, ...(q.unit ? { unit: q.unit } : {}), title: t(ctx.lang, 'top.title', { name: a.name, ns: a.namespace ? ` · ${a.namespace}` : '', n }) });
  },
});
