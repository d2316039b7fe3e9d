import { z } from 'zod';
import { approverRoles } from '../src/core/approvals/workflow.js';
import { defineCommand } from '../src/core/command.js';
import { NotAllowedError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { clockTime, spansZones } from '../src/core/time.js';

export default defineCommand({
  name: 'notify-test',
  summary: { en: 'Post a test card to a notify target and report the result (approvers only)', zh: '向通知目标发送测试卡片并报告结果（仅审批人）' },
  examples: ['/notify-test sre-alerts'],
  args: z.strictObject({ target: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, t('en', 'arg.target')).describe('A name under notify.targets in the policy') }),
  positionals: ['target'],
  mutating: false,
  // Posting into other chats is for the people who approve changes; checked below, not by role lists.
  authz: 'self',
  llm: false,
  async run(ctx, a) {
    if (!ctx.person.roles.some((r) => approverRoles(ctx.policy).has(r))) throw new NotAllowedError(msg('authz.err.notifyApprovers', { name: ctx.person.name }));
    const target = ctx.notifier.target(a.target);
    const where = `${target.platform} · ${target.chatId}`;
    // The test card is read in the target chat: in the team's language, not the sender's.
    const team = ctx.policy.language;
    const r = await ctx.notifier.post(target, {
      title: t(team, 'notify.test.title'),
      tone: 'info',
      blocks: [{ type: 'markdown', text: t(team, 'notify.test.body', { name: ctx.person.name, target: a.target, at: clockTime(ctx.now(), ctx.policy.timezone, spansZones(ctx.policy)) }) }],
      lang: team,
    }, { key: `test:${a.target}:${ctx.now()}` });
    const L = ctx.lang;
    if (r.ok) return { title: t(L, 'notify.ok', { target: a.target }), tone: 'success', blocks: [{ type: 'fields', items: [{ label: t(L, 'notify.target'), value: where }, { label: t(L, 'notify.took'), value: `${r.ms} ms` }] }] };
    return {
      title: t(L, 'notify.failed', { target: a.target }),
      tone: 'danger',
      blocks: [
        { type: 'fields', items: [{ label: t(L, 'notify.target'), value: where }, { label: t(L, 'notify.reason'), value: r.reason }] },
        { type: 'markdown', text: t(L, 'notify.deadLetter') },
      ],
    };
  },
});
