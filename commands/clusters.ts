import { z } from 'zod';
import { table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { chatKey } from '../src/core/payload.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'clusters',
  aliases: ['cluster'],
  summary: { en: 'The clusters opsbot can act on, which answer, and this chat\'s default', zh: '查看可操作的集群、连通性与本群默认集群' },
  examples: ['/clusters'],
  args: z.strictObject({}),
  positionals: [],
  kube: ['version'],
  eachCluster: true,
  mutating: false,
  async run(ctx) {
    const here = ctx.clusters.defaultFor(chatKey(ctx.actor.platform, ctx.chatId));
    const list = ctx.clusters.list;
    // Every cluster at once, each bounded: one that hangs does not hold the others' answer.
    const seen = await Promise.all(
      list.map((c) =>
        c.client.version({ signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(3000)]) }).then(
          (v) => ({ ok: true as const, text: v.gitVersion }),
          (err: unknown) => ({ ok: false as const, text: t(ctx.lang, 'cluster.down', { reason: (err as { says?: (l: string) => string }).says?.(ctx.lang) ?? (err as Error).message }) }),
        ),
      ),
    );
    const down = seen.filter((s) => !s.ok).length;
    if (!ctx.clusters.named) {
      const s = seen[0] as { ok: boolean; text: string };
      return { title: t(ctx.lang, 'cluster.title', { n: 1 }), tone: s.ok ? 'success' : 'danger', blocks: [{ type: 'markdown', text: t(ctx.lang, 'cluster.single', { name: here.name, version: s.text }) }] };
    }
    const rows = list.map((c, i) => {
      const s = seen[i] as { ok: boolean; text: string };
      // This chat's default is marked on its name: an empty cell would read as a label without a value on a phone.
      return [s.ok ? '✅' : '❌', c === here ? `${c.name} ⭐ ${t(ctx.lang, 'cluster.here')}` : c.name, c.label === c.name ? '—' : c.label, s.text];
    });
    return {
      title: t(ctx.lang, 'cluster.title', { n: list.length }),
      tone: down ? 'danger' : 'success',
      blocks: [
        table(['', t(ctx.lang, 'cluster.col.name'), t(ctx.lang, 'cluster.col.label'), t(ctx.lang, 'cluster.col.version')], rows),
        { type: 'markdown', text: t(ctx.lang, 'cluster.hint') },
      ],
    };
  },
});
