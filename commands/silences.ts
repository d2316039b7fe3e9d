import { z } from 'zod';
import { table } from '../cards/util.js';
import { matcherText } from '../src/core/alerts/alertmanager.js';
import { defineCommand } from '../src/core/command.js';
import { OpsError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { dateTime, spansZones } from '../src/core/time.js';

export default defineCommand({
  name: 'silences',
  summary: { en: 'List active silences in Alertmanager', zh: '查看 Alertmanager 中生效的静默' },
  examples: ['/silences'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  async run(ctx) {
    if (!ctx.alertmanager) throw new OpsError('not_configured', msg('silence.off'));
    const all = (await ctx.alertmanager.silences(ctx.signal)).filter((s) => s.status.state !== 'expired');
    if (!all.length) return { title: t(ctx.lang, 'silence.none'), tone: 'info', blocks: [] };
    const rows = all.map((s) => [s.id, s.matchers.map(matcherText).join(' '), dateTime(Date.parse(s.endsAt), ctx.policy.timezone, spansZones(ctx.policy)), s.createdBy]);
    return { title: t(ctx.lang, 'silence.list', { n: all.length }), tone: 'info', blocks: [table(['Id', 'Matchers', 'Until', 'By'], rows, { keepFirstColumn: true })], footer: '/unsilence <id>' };
  },
});
