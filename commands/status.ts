import { z } from 'zod';
import type { Block, Button } from '../cards/model.js';
import { plural } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { summarizePod } from '../src/kube/pod-status.js';
import { time } from './describe.js';

const HOUR = 3_600_000;

export default defineCommand({
  name: 'status',
  aliases: ['health', 'st'],
  summary: { en: 'One-screen health summary of the cluster', zh: '集群健康概览' },
  examples: ['/status'],
  args: z.strictObject({}),
  positionals: [],
  mutating: false,
  async run(ctx) {
    const now = ctx.now();
    const o = { signal: ctx.signal };
    const [version, nodes, pods, deps, events] = await Promise.all([
      ctx.kube.version(o),
      ctx.kube.listNodes(o),
      ctx.kube.listPods(undefined, undefined, o),
      ctx.kube.listDeployments(undefined, o),
      ctx.kube.listEvents(undefined, undefined, o),
    ]);
    const mine = (ns: string | undefined) => ctx.namespaces.includes(ns ?? '');
    const nodeReady = nodes.filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True').length;
    const summaries = pods.filter((p) => mine(p.metadata?.namespace)).map((p) => ({ p, s: summarizePod(p) }));
    const failing = summaries.filter((x) => x.s.health === 'failing');
    const pending = summaries.filter((x) => x.s.health === 'pending');
    const running = summaries.filter((x) => x.s.health === 'ok').length;
    const degraded = deps.filter((d) => mine(d.metadata?.namespace) && (d.status?.readyReplicas ?? 0) < (d.spec?.replicas ?? 1));
    const warnings = events.filter((e) => mine(e.involvedObject.namespace) && e.type === 'Warning' && now - time(e) < HOUR);
    const lines: string[] = [];
    for (const { p, s } of failing.slice(0, 3)) {
      lines.push(`❌ **${p.metadata?.namespace}/${p.metadata?.name}** ${s.status}${s.lastTerminationReason ? ` (${s.lastTerminationReason})` : ''}, restarts ${s.restarts}${s.lastRestartAt ? `, last ${formatAge(now - s.lastRestartAt)} ago` : ''}`);
    }
    for (const { p, s } of pending.slice(0, 2)) lines.push(`⏳ **${p.metadata?.namespace}/${p.metadata?.name}** ${s.status}${s.detail ? ` — ${s.detail.split(':')[0]}` : ''}`);
    for (const d of degraded.slice(0, 3)) lines.push(`⚠️ deploy **${d.metadata?.namespace}/${d.metadata?.name}** ${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1} ready`);
    const problems = failing.length + pending.length + degraded.length;
    const blocks: Block[] = [
      {
        type: 'fields',
        items: [
          { label: 'Cluster', value: `${ctx.kube.contextName} · ${version.gitVersion}` },
          { label: 'Nodes', value: `${nodeReady}/${nodes.length} ready` },
          { label: 'Pods', value: `${running} running · ${pending.length} pending · ${failing.length} failing` },
          { label: 'Deployments', value: `${deps.filter((d) => mine(d.metadata?.namespace)).length - degraded.length} ready · ${degraded.length} degraded` },
          { label: 'Warnings (1h)', value: String(warnings.length) },
        ],
      },
    ];
    if (lines.length) blocks.push({ type: 'markdown', text: lines.join('\n') });
    const buttons: Button[] = [];
    const firstNs = failing[0]?.p.metadata?.namespace ?? pending[0]?.p.metadata?.namespace ?? degraded[0]?.metadata?.namespace;
    if (firstNs) {
      buttons.push(ctx.button(`Pods ${firstNs}`, 'pods', { namespace: firstNs }));
      buttons.push(ctx.button(`Warnings ${firstNs}`, 'events', { namespace: firstNs, warnings: true }));
    }
    return {
      title: problems ? `Cluster status · ${plural(problems, 'problem')}` : 'Cluster status · all healthy',
      tone: failing.length || nodeReady < nodes.length ? 'danger' : problems ? 'warning' : 'success',
      blocks,
      ...(buttons.length ? { buttons } : {}),
      footer: `namespaces: ${ctx.namespaces.join(', ')}`,
    };
  },
});
