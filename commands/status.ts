import { z } from 'zod';
import type { Block, Button } from '../cards/model.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { summarizePod } from '../src/kube/pod-status.js';
import { time } from './describe.js';
import { t } from '../src/core/i18n.js';

const HOUR = 3_600_000;

export default defineCommand({
  name: 'status',
  aliases: ['health', 'st'],
  summary: { en: 'One-screen health summary of the cluster', zh: '集群健康概览' },
  examples: ['/status'],
  args: z.strictObject({}),
  positionals: [],
  kube: ['version', 'listNodes', 'listPods', 'listDeployments', 'listEvents'],
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
    const L = ctx.lang;
    const lines: string[] = [];
    for (const { p, s } of failing.slice(0, 3)) {
      const status = `${s.status}${s.lastTerminationReason ? ` (${s.lastTerminationReason})` : ''}`;
      lines.push(t(L, 'status.failing', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, status, n: s.restarts }) + (s.lastRestartAt ? t(L, 'status.lastRestart', { age: formatAge(now - s.lastRestartAt) }) : ''));
    }
    for (const { p, s } of pending.slice(0, 2)) lines.push(`⏳ **${p.metadata?.namespace}/${p.metadata?.name}** ${s.status}${s.detail ? ` — ${s.detail.split(':')[0]}` : ''}`);
    for (const d of degraded.slice(0, 3)) lines.push(t(L, 'status.degraded', { name: `${d.metadata?.namespace}/${d.metadata?.name}`, ready: d.status?.readyReplicas ?? 0, want: d.spec?.replicas ?? 1 }));
    const problems = failing.length + pending.length + degraded.length;
    const blocks: Block[] = [
      {
        type: 'fields',
        items: [
          { label: t(L, 'status.cluster'), value: `${ctx.kube.contextName} · ${version.gitVersion}` },
          { label: t(L, 'status.nodes'), value: t(L, 'status.nodesReady', { ready: nodeReady, total: nodes.length }) },
          { label: 'Pods', value: t(L, 'status.pods', { running, pending: pending.length, failing: failing.length }) },
          { label: 'Deployments', value: t(L, 'status.deployments', { ready: deps.filter((d) => mine(d.metadata?.namespace)).length - degraded.length, degraded: degraded.length }) },
          { label: t(L, 'status.warnings'), value: String(warnings.length) },
        ],
      },
    ];
    if (lines.length) blocks.push({ type: 'markdown', text: lines.join('\n') });
    const buttons: Button[] = [];
    const firstNs = failing[0]?.p.metadata?.namespace ?? pending[0]?.p.metadata?.namespace ?? degraded[0]?.metadata?.namespace;
    if (firstNs) {
      buttons.push(ctx.button(t(L, 'out.btn.pods', { ns: firstNs }), 'pods', { namespace: firstNs }));
      buttons.push(ctx.button(t(L, 'out.btn.warnings', { ns: firstNs }), 'events', { namespace: firstNs, warnings: true }));
    }
    return {
      title: problems ? t(L, 'status.title', { n: problems }) : t(L, 'status.healthy'),
      tone: failing.length || nodeReady < nodes.length ? 'danger' : problems ? 'warning' : 'success',
      blocks,
      ...(buttons.length ? { buttons } : {}),
      footer: t(L, 'out.namespacesFooter', { list: ctx.namespaces.join(', ') }),
    };
  },
});
