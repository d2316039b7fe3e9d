import { z } from 'zod';
import { table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { dnsLabel } from '../src/core/names.js';
import { time } from './describe.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'events',
  aliases: ['ev'],
  summary: { en: 'Recent events in a namespace, newest first', zh: '查看命名空间最近事件' },
  examples: ['/events production', '/events production --warnings'],
  args: z.strictObject({
    namespace: dnsLabel.optional().describe('Namespace'),
    warnings: z.boolean().optional().describe('Only warnings'),
  }),
  positionals: ['namespace'],
  flags: { namespace: ['-n', '--namespace'], warnings: ['-w', '--warnings'] },
  kube: ['listEvents'],
  mutating: false,
  async run(ctx, a) {
    const now = ctx.now();
    const ns = a.namespace ?? ctx.defaultNamespace;
    let events = await ctx.kube.listEvents(ns, undefined, { signal: ctx.signal });
    const warnings = events.filter((e) => e.type === 'Warning').length;
    if (a.warnings) events = events.filter((e) => e.type === 'Warning');
    events.sort((x, y) => time(y) - time(x));
    const L = ctx.lang;
    if (!events.length) {
      const [title, body] = a.warnings ? (['events.noWarnings', 'events.noWarnings.body'] as const) : (['events.none', 'events.none.body'] as const);
      return { title: t(L, title, { ns }), tone: 'success', blocks: [{ type: 'markdown', text: t(L, body, { ns }) }] };
    }
    return {
      title: a.warnings ? t(L, 'events.warningsTitle', { ns, n: events.length }) : t(L, 'events.title', { ns, n: events.length, w: warnings }),
      tone: warnings ? 'warning' : 'info',
      blocks: [
        // Like kubectl: a Type column (words, not an emoji that fonts draw one or two cells wide), left
        // out when every row is a warning.
        table(
          a.warnings ? ['Age', 'Reason', 'Object', 'Message'] : ['Age', 'Type', 'Reason', 'Object', 'Message'],
          events.map((e) => [
            formatAge(now - time(e)),
            ...(a.warnings ? [] : [e.type ?? '']),
            e.reason ?? '',
            `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`,
            `${e.message ?? ''}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`,
          ]),
          { keepFirstColumn: false },
        ),
      ],
    };
  },
});
