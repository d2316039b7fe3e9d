import { z } from 'zod';
import { workloadOf } from '../cards/alert.js';
import { table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'alerts',
  summary: { en: 'Firing alert groups, most severe first', zh: '查看正在告警的告警组（按严重程度）' },
  examples: ['/alerts'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  async run(ctx) {
    const now = ctx.now();
    const groups = [...((await ctx.alerts?.firing(100)) ?? [])].sort((a, b) => a.level.localeCompare(b.level) || b.firstAt - a.firstAt);
    if (!groups.length) return { title: t(ctx.lang, 'alerts.none'), tone: 'success', blocks: [] };
    const rows = groups.map((g) => {
      const w = workloadOf(g.labels);
      return [g.level, g.labels['alertname'] ?? '?', [w.namespace, w.name].filter(Boolean).join('/') || '—', String(g.count.firing), formatAge(now - g.firstAt), g.ack ? g.ack.name : '—', g.id];
    });
    return {
      title: t(ctx.lang, 'alerts.title', { n: groups.length }),
      tone: groups.some((g) => g.level === 'P0' || g.level === 'P1') ? 'danger' : 'warning',
      blocks: [table(['', 'Alert', 'Where', '#', 'Age', 'Ack', 'Id'], rows)],
    };
  },
});
