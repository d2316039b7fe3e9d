import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';

export default defineCommand({
  name: 'approvals',
  aliases: ['pending'],
  summary: { en: 'Open approval requests in this chat', zh: '本群待审批的变更' },
  examples: ['/approvals'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  llm: false,
  run: (ctx) => ctx.workflow.openApprovals(ctx),
});
