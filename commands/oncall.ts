import { z } from 'zod';
import { onCall } from '../src/core/alerts/oncall.js';
import { defineCommand } from '../src/core/command.js';
import { t } from '../src/core/i18n.js';
import { dateTime, spansZones } from '../src/core/time.js';

export default defineCommand({
  name: 'oncall',
  summary: { en: 'Who is on call now, and who is next', zh: '当前值班与下一位值班' },
  examples: ['/oncall'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  async run(ctx) {
    const o = onCall(ctx.policy, ctx.now());
    const name = (id: string) => ctx.policy.people[id]?.name ?? id;
    if (!o.people.length) return { title: t(ctx.lang, 'oncall.none'), tone: 'info', blocks: [] };
    const items = [{ label: t(ctx.lang, 'oncall.now'), value: o.people.map(name).join(', ') }];
    if (o.rotation) items.push({ label: t(ctx.lang, 'oncall.next'), value: t(ctx.lang, 'oncall.handoff', { name: name(o.rotation.next), at: dateTime(o.rotation.at, ctx.policy.timezone, spansZones(ctx.policy)) }) });
    return { title: t(ctx.lang, 'oncall.title', { name: name(o.people[0] as string) }), tone: 'info', blocks: [{ type: 'fields', items }] };
  },
});
