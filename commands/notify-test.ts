import { z } from 'zod';
import { approverRoles } from '../src/core/approvals/workflow.js';
import { defineCommand } from '../src/core/command.js';
import { NotAllowedError } from '../src/core/errors.js';
import { clockTime } from '../src/core/time.js';

export default defineCommand({
  name: 'notify-test',
  summary: { en: 'Post a test card to a notify target and report the result (approvers only)', zh: '向通知目标发送测试卡片并报告结果（仅审批人）' },
  examples: ['/notify-test sre-alerts'],
  args: z.strictObject({ target: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'is a target name from the policy, e.g. sre-alerts').describe('A name under notify.targets in the policy') }),
  positionals: ['target'],
  mutating: false,
  // Posting into other chats is for the people who approve changes; checked below, not by role lists.
  authz: 'self',
  llm: false,
  async run(ctx, a) {
    if (!ctx.person.roles.some((r) => approverRoles(ctx.policy).has(r))) throw new NotAllowedError(`${ctx.person.name} may not send test notifications (approvers only)`);
    const target = ctx.notifier.target(a.target);
    const where = `${target.platform} · ${target.chatId}`;
    const r = await ctx.notifier.post(target, {
      title: '🔔 opsbot test notification · 测试通知',
      tone: 'info',
      blocks: [
        { type: 'markdown', text: `Sent by **${ctx.person.name}** with \`/notify-test ${a.target}\` at ${clockTime(ctx.now(), ctx.policy.timezone)}. Alerts and reports for **${a.target}** arrive here.` },
        { type: 'markdown', text: `由 ${ctx.person.name} 通过 /notify-test 发送：告警与报告将发送到此群。` },
      ],
    }, { key: `test:${a.target}:${ctx.now()}` });
    if (r.ok) return { title: `Test card posted to ${a.target}`, tone: 'success', blocks: [{ type: 'fields', items: [{ label: 'Target', value: where }, { label: 'Took', value: `${r.ms} ms` }] }] };
    return {
      title: `Could not post to ${a.target}`,
      tone: 'danger',
      blocks: [
        { type: 'fields', items: [{ label: 'Target', value: where }, { label: 'Reason', value: r.reason }] },
        { type: 'markdown', text: 'Recorded as a dead letter in the audit log (`/audit`).' },
      ],
    };
  },
});
