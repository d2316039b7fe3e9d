import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { OpsError } from '../src/core/errors.js';

export default defineCommand({
  name: 'postmortem',
  aliases: ['pm'],
  summary: { en: 'The postmortem of an alert group: its timeline, duration and a draft summary', zh: '告警组的事后复盘：时间线、持续时间与摘要草稿' },
  examples: ['/postmortem K7QF2A'],
  args: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9]{6}$/, 'an alert group id: 6 letters and digits, as on the alert card').describe('Alert group id (on the alert card, or in /alerts)'),
  }),
  positionals: ['id'],
  mutating: false,
  async run(ctx, a) {
    if (!ctx.reports) throw new OpsError('unsupported', { en: 'reports are not available here', zh: '此处不支持报告' });
    return ctx.reports.postmortem(a.id, ctx.lang);
  },
});
