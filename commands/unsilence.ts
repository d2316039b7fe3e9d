import { z } from 'zod';
import { matcherText } from '../src/core/alerts/alertmanager.js';
import { defineCommand } from '../src/core/command.js';
import { NotFoundError, OpsError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'unsilence',
  summary: { en: 'End a silence early (needs approval)', zh: '提前结束静默（需审批）' },
  examples: ['/unsilence 0b1c2d3e-0000-4000-8000-123456789abc'],
  args: z.strictObject({ id: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'a silence id from /silences').describe('Silence id (from /silences)') }),
  positionals: ['id'],
  mutating: { risk: 'low' },
  async preview(ctx, a) {
    if (!ctx.alertmanager) throw new OpsError('not_configured', msg('silence.off'));
    const s = (await ctx.alertmanager.silences(ctx.signal)).find((x) => x.id === a.id && x.status.state !== 'expired');
    if (!s) throw new NotFoundError(msg('silence.unknown', { id: a.id }));
    return { target: 'alertmanager', change: `expire silence ${a.id} (${s.matchers.map(matcherText).join(' ')})`, before: s.endsAt };
  },
  async run(ctx, a) {
    if (!ctx.alertmanager) throw new OpsError('not_configured', msg('silence.off'));
    await ctx.alertmanager.expireSilence(a.id, ctx.signal);
    return { title: t(ctx.lang, 'silence.expired', { id: a.id }), tone: 'success', blocks: [] };
  },
});
