import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { approvalId } from './approve.js';

export default defineCommand({
  name: 'cancel',
  aliases: ['withdraw'],
  summary: { en: 'Withdraw your own pending request', zh: '撤回自己的变更申请' },
  examples: ['/cancel K7QF'],
  args: z.strictObject({ id: approvalId }),
  positionals: ['id'],
  mutating: false,
  authz: 'self',
  llm: false,
  run: (ctx, a) => ctx.workflow.cancel(ctx, a.id),
});
