import { z } from 'zod';
import type { Card } from '../cards/model.js';
import { defineCommand } from '../src/core/command.js';
import { UsageError } from '../src/core/errors.js';
import { known, msg, pick, t } from '../src/core/i18n.js';
import { usageLine } from '../src/core/slash-parser.js';
import { mayRun } from '../src/core/authz.js';

export default defineCommand({
  name: 'help',
  aliases: ['h', '?', '帮助'],
  summary: { en: 'List commands, or explain one', zh: '命令列表与用法' },
  examples: ['/help', '/help logs'],
  args: z.strictObject({ command: z.string().max(40).optional().describe('A command to explain') }),
  positionals: ['command'],
  mutating: false,
  async run(ctx, a): Promise<Card> {
    if (a.command) {
      const name = a.command.replace(/^[/／]/, '').toLowerCase();
      const spec = ctx.commands.find((c) => c.name === name || c.aliases?.includes(name));
      if (!spec) throw new UsageError(msg('help.unknown', { name }), msg('help.unknown.hint'));
      const shape = spec.args.shape as Record<string, z.ZodType>;
      const fields = Object.entries(shape).map(([k, f]) => ({ label: k, value: pick(known(f.description ?? ''), ctx.lang) }));
      return {
        title: `/${spec.name} — ${spec.summary[ctx.lang]}`,
        tone: 'info',
        blocks: [
          { type: 'markdown', text: `\`${usageLine(spec)}\`` },
          ...(fields.length ? [{ type: 'fields' as const, items: fields }] : []),
          ...(spec.examples?.length ? [{ type: 'code' as const, text: spec.examples.join('\n') }] : []),
        ],
        footer: spec.mutating ? t(ctx.lang, 'help.mutating', { risk: t(ctx.lang, `approval.risk.${spec.mutating.risk}`) }) : t(ctx.lang, 'help.readOnly'),
      };
    }
    const mine = ctx.commands.filter((c) => mayRun(ctx.policy, ctx.person, c.name));
    const line = (c: (typeof mine)[number]) => `\`/${c.name}\` ${c.summary[ctx.lang]}`;
    const reads = mine.filter((c) => !c.mutating);
    const writes = mine.filter((c) => c.mutating);
    return {
      title: t(ctx.lang, 'help.title'),
      tone: 'info',
      blocks: [
        { type: 'markdown', text: `**${t(ctx.lang, 'help.reads')}**\n${reads.map(line).join('\n')}` },
        ...(writes.length ? [{ type: 'markdown' as const, text: `**${t(ctx.lang, 'help.writes')}**\n${writes.map(line).join('\n')}` }] : []),
      ],
      footer: t(ctx.lang, 'help.footer', { name: ctx.person.name, roles: ctx.person.roles.join(', '), namespaces: ctx.namespaces.join(', ') }),
    };
  },
});
