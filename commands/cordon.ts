import { z } from 'zod';
import type { Card } from '../cards/model.js';
import { type CommandContext, defineCommand } from '../src/core/command.js';
import { NothingToDoError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { dnsSubdomain } from '../src/core/names.js';

const args = z.strictObject({ node: dnsSubdomain.describe('Node name, e.g. cn-shanghai.10.12.1.21') });

/** The node's schedulable state now; refuses a change that is already so. */
async function current(ctx: CommandContext, node: string, want: boolean): Promise<boolean> {
  const n = await ctx.kube.readNode(node, { signal: ctx.signal });
  const cordoned = Boolean(n.spec?.unschedulable);
  if (cordoned === want) throw new NothingToDoError(msg(want ? 'cordon.already' : 'uncordon.already', { node }));
  return cordoned;
}

function done(ctx: CommandContext, node: string, cordoned: boolean, pods: number): Card {
  return { title: t(ctx.lang, cordoned ? 'cordon.done.title' : 'uncordon.done.title', { node }), tone: 'success', blocks: [{ type: 'markdown', text: t(ctx.lang, cordoned ? 'cordon.done' : 'uncordon.done', { node, n: pods }) }] };
}

export const cordon = defineCommand({
  name: 'cordon',
  summary: { en: 'Mark a node unschedulable (its pods stay; /drain moves them)', zh: '将节点设为不可调度（已有 Pod 保留；/drain 迁移它们）' },
  examples: ['/cordon cn-shanghai.10.12.2.23'],
  args,
  positionals: ['node'],
  kube: ['readNode', 'cordonNode', 'listPodsOnNode'],
  mutating: { risk: 'medium' },
  async preview(ctx, a) {
    const before = await current(ctx, a.node, true);
    if (!ctx.executing) await ctx.kube.cordonNode(a.node, true, { signal: ctx.signal, dryRun: true });
    return { target: a.node, change: t(ctx.lang, 'cordon.change'), before };
  },
  async run(ctx, a) {
    await ctx.kube.cordonNode(a.node, true, { signal: ctx.signal });
    const pods = (await ctx.kube.listPodsOnNode(a.node, { signal: ctx.signal })).length;
    return done(ctx, a.node, true, pods);
  },
});

export const uncordon = defineCommand({
  name: 'uncordon',
  summary: { en: 'Mark a node schedulable again', zh: '恢复节点可调度' },
  examples: ['/uncordon cn-shanghai.10.12.2.23'],
  args,
  positionals: ['node'],
  kube: ['readNode', 'cordonNode', 'listPodsOnNode'],
  mutating: { risk: 'low' },
  async preview(ctx, a) {
    const before = await current(ctx, a.node, false);
    if (!ctx.executing) await ctx.kube.cordonNode(a.node, false, { signal: ctx.signal, dryRun: true });
    return { target: a.node, change: t(ctx.lang, 'uncordon.change'), before };
  },
  async run(ctx, a) {
    await ctx.kube.cordonNode(a.node, false, { signal: ctx.signal });
    const pods = (await ctx.kube.listPodsOnNode(a.node, { signal: ctx.signal })).length;
    return done(ctx, a.node, false, pods);
  },
});
