import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';

export default defineCommand({
  name: 'audit',
  summary: { en: 'Recent audit log entries (approvers only)', zh: '最近的审计记录（仅审批人）' },
  examples: ['/audit', '/audit 30'],
  args: z.strictObject({ limit: z.number().int().min(1).max(50).optional().describe('How many entries (default 15, at most 50)') }),
  positionals: ['limit'],
  mutating: false,
  authz: 'self',
  llm: false,
  run: (ctx, a) => ctx.workflow.auditLog(ctx, a.limit ?? 15),
});
