import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { approvalId } from './approve.js';

export default defineCommand({
  name: 'reject',
  aliases: ['拒绝', 'deny'],
  summary: { en: 'Reject a pending change, with a reason', zh: '拒绝变更（可附理由）' },
  examples: ['/reject K7QF not during the sale'],
  args: z.strictObject({ id: approvalId, reason: z.string().max(500).optional().describe('Why (shown on the card)') }),
  positionals: ['id', 'reason'],
  rest: 'reason',
  mutating: false,
  authz: 'self',
  llm: false,
  run: (ctx, a) => ctx.workflow.decide(ctx, a.id, 'reject', a.reason),
});
