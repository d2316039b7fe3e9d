import { t } from '../src/core/i18n.js';
import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';

export const approvalId = z.string().regex(/^[A-Za-z0-9]{4}$/, t('en', 'arg.approvalId')).describe('Approval id from the card, e.g. K7QF');

export default defineCommand({
  name: 'approve',
  aliases: ['批准', 'ok'],
  summary: { en: 'Approve a pending change (same as its Approve button)', zh: '批准变更（同卡片上的批准按钮）' },
  examples: ['/approve K7QF'],
  args: z.strictObject({ id: approvalId }),
  positionals: ['id'],
  mutating: false,
  authz: 'self',
  llm: false,
  run: (ctx, a) => ctx.workflow.decide(ctx, a.id, 'approve'),
});
