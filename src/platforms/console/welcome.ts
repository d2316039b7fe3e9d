import type { Card } from '../../../cards/model.js';
import type { Policy } from '../../config/policy.js';
import { approverRoles } from '../../core/approvals/workflow.js';
import { t } from '../../core/i18n.js';

/**
 * The console's first card, in the policy's language: who you are chatting as, what to type first, and
 * how to see an approval through (switch to an approver and click Approve). The page shows it while the
 * room has no history; the commands in it fill the input when clicked.
 */
export function welcomeCard(policy: Policy, user: string, llm: boolean): Card {
  const L = policy.language;
  const entry = Object.entries(policy.people).find(([, p]) => p.ids['console'] === user);
  const me = entry?.[1];
  const approvers = approverRoles(policy);
  const approver = Object.entries(policy.people).find(([id, p]) => id !== entry?.[0] && p.ids['console'] && p.roles.some((r) => approvers.has(r)))?.[1];
  const ns = policy.namespaces.default;
  const lines = [
    me ? t(L, 'welcome.you', { name: me.name ?? user, roles: me.roles.join(', ') }) : t(L, 'welcome.pick'),
    '',
    t(L, 'welcome.try'),
    `\`/status\` — ${t(L, 'welcome.status')}`,
    `\`/pods ${ns}\` — ${t(L, 'welcome.pods')}`,
    `\`/scale api-gateway 5 -n ${ns}\` — ${approver ? t(L, 'welcome.scale', { approver: approver.name ?? '' }) : t(L, 'welcome.scaleNoApprover')}`,
    ...(llm ? [`\`@opsbot ${L === 'zh' ? `${ns} 里哪些 pod 在重启？` : `which pods restart in ${ns}?`}\` — ${t(L, 'welcome.llm')}`] : []),
    `\`/help\` — ${t(L, 'welcome.help')}`,
  ];
  return { title: t(L, 'welcome.title'), tone: 'info', blocks: [{ type: 'markdown', text: lines.join('\n') }], footer: t(L, 'welcome.footer'), lang: L };
}
