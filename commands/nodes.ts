import { z } from 'zod';
import { table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { cpuCores } from '../src/kube/quantity.js';
import { t } from '../src/core/i18n.js';

export default defineCommand({
  name: 'nodes',
  aliases: ['no', 'node'],
  summary: { en: 'Nodes: readiness, pressure, pods and CPU requested', zh: '查看节点状态与资源' },
  examples: ['/nodes'],
  args: z.strictObject({}),
  positionals: [],
  kube: ['listNodes', 'listPods'],
  mutating: false,
  async run(ctx) {
    const now = ctx.now();
    const [nodes, pods] = await Promise.all([ctx.kube.listNodes({ signal: ctx.signal }), ctx.kube.listPods(undefined, undefined, { signal: ctx.signal })]);
    const perNode = new Map<string, { pods: number; cpu: number }>();
    for (const p of pods) {
      const n = p.spec?.nodeName;
      if (!n || p.metadata?.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const e = perNode.get(n) ?? { pods: 0, cpu: 0 };
      e.pods++;
      e.cpu += (p.spec?.containers ?? []).reduce((s, c) => s + cpuCores(c.resources?.requests?.['cpu']), 0);
      perNode.set(n, e);
    }
    let notReady = 0;
    const rows = nodes.map((n) => {
      const conds = n.status?.conditions ?? [];
      const ready = conds.find((c) => c.type === 'Ready')?.status === 'True';
      const pressure = conds.filter((c) => c.type !== 'Ready' && c.status === 'True').map((c) => c.type);
      if (!ready) notReady++;
      const use = perNode.get(n.metadata?.name ?? '') ?? { pods: 0, cpu: 0 };
      const alloc = cpuCores(n.status?.allocatable?.['cpu']);
      const status = (ready ? 'Ready' : 'NotReady') + (n.spec?.unschedulable ? ',Cordoned' : '') + (pressure.length ? `,${pressure.join(',')}` : '');
      return [ready && !pressure.length ? '✅' : '❌', n.metadata?.name ?? '', status, String(use.pods), alloc ? `${Math.round((use.cpu / alloc) * 100)}%` : '?', n.status?.nodeInfo?.kubeletVersion ?? '', formatAge(now - new Date(n.metadata?.creationTimestamp ?? now).getTime())];
    });
    return {
      title: t(ctx.lang, 'nodes.title', { n: nodes.length, state: notReady ? t(ctx.lang, 'out.notReady', { n: notReady }) : t(ctx.lang, 'out.allReady') }),
      tone: notReady ? 'danger' : 'success',
      blocks: [table(['', 'Node', 'Status', 'Pods', 'CPU req', 'Version', 'Age'], rows)],
    };
  },
});
