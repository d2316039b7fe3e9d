import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'reset',
  aliases: ['forget', '重置'],
  summary: { en: 'Forget our plain-language conversation in this chat', zh: '清除本群中与我的对话记忆' },
  examples: ['/reset'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  authz: 'self',
  llm: false,
  async run(ctx) {
    const had = await ctx.resetConversation();
    return { title: t(ctx.lang, had ? 'reset.done' : 'reset.nothing'), tone: 'success', blocks: [] };
  },
});
