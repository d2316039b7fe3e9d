import { z } from 'zod';
import { defineCommand, nsOf } from '../src/core/command.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'delete-pod',
  aliases: ['kill-pod'],
  summary: { en: 'Delete a pod (its controller starts a replacement)', zh: '删除 Pod（由控制器重建）' },
  examples: ['/delete-pod order-service-546bjxrdr2-dprhd -n production'],
  args: z.strictObject({
    pod: dnsSubdomain.describe('Exact pod name'),
    namespace: dnsLabel.optional().describe('Namespace'),
  }),
  positionals: ['pod'],
  flags: { namespace: ['-n', '--namespace'] },
  kube: ['readPod', 'deletePod'],
  mutating: { risk: 'low' },
  async preview(ctx, a) {
    const ns = nsOf(ctx, a);
    const pod = await ctx.kube.readPod(ns, a.pod, { signal: ctx.signal });
    if (!ctx.executing) await ctx.kube.deletePod(ns, a.pod, { signal: ctx.signal, dryRun: true });
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    const change = owner ? `delete pod; ${owner.kind} ${owner.name} starts a replacement` : 'delete pod — it has NO controller and will not come back';
    // Drift fingerprint: a pod of the same name that was replaced meanwhile has another uid.
    return { target: `${ns}/${a.pod}`, change, before: pod.metadata?.uid ?? '' };
  },
  async run(ctx, a) {
    const ns = nsOf(ctx, a);
    await ctx.kube.deletePod(ns, a.pod, { signal: ctx.signal });
    const pod = `${ns}/${a.pod}`;
    return { title: t(ctx.lang, 'deletePod.done', { pod }), tone: 'success', blocks: [{ type: 'markdown', text: t(ctx.lang, 'deletePod.body', { pod, ns }) }] };
  },
});
