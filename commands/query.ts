import { z } from 'zod';
import { formatValue, queryCard, sortedByLast } from '../cards/query.js';
import { defineCommand } from '../src/core/command.js';
import { parseDuration } from '../src/core/duration.js';
import { OpsError, UsageError } from '../src/core/errors.js';
import { msg } from '../src/core/i18n.js';
import { MAX_POINTS } from '../src/core/prometheus.js';

/** A range query's window and step: the step defaults to the range / 120, at least 15 s. */
export function rangeOf(range: string, step: string | undefined): { rangeMs: number; stepMs: number } {
  const rangeMs = parseDuration(range);
  if (rangeMs === undefined || rangeMs < 60_000 || rangeMs > 7 * 86_400_000) throw new UsageError(msg('prom.badRange'));
  const stepMs = step === undefined ? Math.max(15_000, Math.ceil(rangeMs / 120 / 1000) * 1000) : parseDuration(step);
  if (stepMs === undefined || stepMs < 1000 || rangeMs / stepMs > MAX_POINTS) throw new UsageError(msg('prom.badStep', { max: MAX_POINTS }));
  return { rangeMs, stepMs };
}

export default defineCommand({
  name: 'query',
  aliases: ['promql'],
  summary: { en: 'Run a PromQL query: a table now, or a trend over --range', zh: '执行 PromQL 查询：当前值表格，或 --range 时间段的走势' },
  examples: ['/query sum by (namespace) (kube_pod_status_ready{condition="false"})', '/query rate(http_requests_total{job="api"}[5m]) --range 1h'],
  args: z.strictObject({
    query: z.string().min(1).max(2000).describe('PromQL, as in Prometheus (quotes and braces as typed)'),
    range: z.string().max(10).optional().describe('A range query over the last …, e.g. 1h (at most 7d)'),
    step: z.string().max(10).optional().describe('Step of a range query, e.g. 1m (default: the range / 120)'),
  }),
  positionals: ['query'],
  rest: 'query',
  // PromQL is taken as typed: its quotes are part of it (a slash command's quotes are not).
  verbatim: true,
  flags: { range: ['--range'], step: ['--step'] },
  mutating: false,
  async run(ctx, a) {
    if (!ctx.prometheus) throw new OpsError('unsupported', msg('prom.off'));
    if (a.range === undefined) {
      if (a.step !== undefined) throw new UsageError(msg('prom.badStep', { max: MAX_POINTS }));
      return queryCard(await ctx.prometheus.instant(a.query, ctx.now(), ctx.signal), { query: a.query, lang: ctx.lang });
    }
    const { rangeMs, stepMs } = rangeOf(a.range, a.step);
    const end = ctx.now();
    const r = await ctx.prometheus.range(a.query, end - rangeMs, end, stepMs, ctx.signal);
    const image = r.type === 'matrix' && r.series.length ? await ctx.chart?.(sortedByLast(r.series), { format: (v) => formatValue(v), alt: a.query.slice(0, 100) }) : undefined;
    return queryCard(r, { query: a.query, lang: ctx.lang, range: a.range, ...(image ? { image } : {}) });
  },
});
