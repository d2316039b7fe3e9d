import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Block, Button } from '../cards/model.js';
import { table } from '../cards/util.js';
import { defineCommand } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { dnsLabel, labelSelector } from '../src/core/names.js';
import { type PodSummary, summarizePod } from '../src/kube/pod-status.js';
import { t } from '../src/core/i18n.js';

const ICON: Record<PodSummary['health'], string> = { failing: '❌', pending: '⏳', terminating: '⌛', done: '☑️', ok: '✅' };
const RANK: Record<PodSummary['health'], number> = { failing: 0, pending: 1, terminating: 2, done: 3, ok: 4 };

export default defineCommand({
  name: 'pods',
  aliases: ['po', 'pod'],
  summary: { en: 'List pods, problems first', zh: '查看 Pod 列表（异常优先）' },
  examples: ['/pods', '/pods production', '/pods -n production -l app=order-service', '/pods -A'],
  args: z.strictObject({
    namespace: dnsLabel.optional().describe('Namespace (default: the policy default)'),
    selector: labelSelector.optional().describe('Label selector, e.g. app=api-gateway'),
    all: z.boolean().optional().describe('All namespaces you may see'),
  }),
  positionals: ['namespace'],
  flags: { namespace: ['-n', '--namespace'], selector: ['-l', '--selector'], all: ['-A', '--all-namespaces'] },
  kube: ['listPods'],
  mutating: false,
  async run(ctx, a) {
    const now = ctx.now();
    const ns = a.all ? undefined : (a.namespace ?? ctx.defaultNamespace);
    let pods = await ctx.kube.listPods(ns, a.selector, { signal: ctx.signal });
    // -A shows the namespaces the person may see, and says which others it left out (never silently).
    const hidden = new Map<string, number>();
    if (!ns) {
      for (const p of pods) {
        const pns = p.metadata?.namespace ?? '';
        if (!ctx.namespaces.includes(pns)) hidden.set(pns, (hidden.get(pns) ?? 0) + 1);
      }
      pods = pods.filter((p) => ctx.namespaces.includes(p.metadata?.namespace ?? ''));
    }
    const L = ctx.lang;
    const hiddenNote: Block[] = hidden.size
      ? [{ type: 'markdown', text: t(L, 'pods.hidden', { list: [...hidden.keys()].sort().slice(0, 6).join(', ') + (hidden.size > 6 ? ' …' : ''), n: [...hidden.values()].reduce((x, y) => x + y, 0) }) }]
      : [];
    const where = (ns ?? t(L, 'out.namespaces', { n: ctx.namespaces.length })) + (a.selector ? ` · ${a.selector}` : '');
    if (!pods.length) {
      return { title: t(L, 'pods.none', { where }), tone: 'info', blocks: [{ type: 'markdown', text: ns ? t(L, 'pods.none.in', { ns }) : t(L, 'pods.none.mine') }, ...hiddenNote] };
    }
    const rows = pods
      .map((p) => ({ p, s: summarizePod(p) }))
      .sort((x, y) => RANK[x.s.health] - RANK[y.s.health] || (x.p.metadata?.name ?? '').localeCompare(y.p.metadata?.name ?? ''));
    const problems = rows.filter((r) => r.s.health !== 'ok' && r.s.health !== 'done');
    const failing = problems.filter((r) => r.s.health === 'failing').length;
    const title = `${t(L, 'pods.title', { where, n: pods.length })} · ${problems.length ? t(L, 'pods.attention', { n: problems.length }) : t(L, 'out.allHealthy')}`;
    const blocks: Block[] = [];
    const name = (p: V1Pod) => (ns ? '' : `${p.metadata?.namespace}/`) + (p.metadata?.name ?? '');
    blocks.push(
      table(
        ['', 'Pod', 'Ready', 'Status', 'Restarts', 'Age'],
        rows.map(({ p, s }) => [
          ICON[s.health],
          name(p),
          `${s.ready}/${s.total}`,
          s.lastTerminationReason && s.health === 'failing' ? `${s.status} (${s.lastTerminationReason})` : s.status,
          s.restarts ? `${s.restarts}${s.lastRestartAt ? ` (${t(L, 'out.ago', { age: formatAge(now - s.lastRestartAt) })})` : ''}` : '0',
          formatAge(now - new Date(p.metadata?.creationTimestamp ?? now).getTime()),
        ]),
      ),
    );
    const details = problems.filter((r) => r.s.detail).slice(0, 3);
    if (details.length) blocks.push({ type: 'markdown', text: details.map((r) => `⏳ **${r.p.metadata?.name}**: ${r.s.detail}`).join('\n') });
    const healthy = rows.filter((r) => r.s.health === 'ok');
    if (healthy.length) {
      const ages = healthy.map((r) => now - new Date(r.p.metadata?.creationTimestamp ?? now).getTime());
      blocks.push({ type: 'markdown', text: t(L, 'pods.healthy', { n: healthy.length, oldest: formatAge(Math.max(...ages)), newest: formatAge(Math.min(...ages)) }) });
    }
    blocks.push(...hiddenNote);
    const buttons: Button[] = [];
    const worst = problems[0];
    if (worst) {
      const podNs = worst.p.metadata?.namespace as string;
      const podName = worst.p.metadata?.name as string;
      if (worst.s.health === 'failing') buttons.push(ctx.button(t(L, 'out.btn.logs', { name: shortName(podName) }), 'logs', { pod: podName, namespace: podNs, ...(worst.s.restarts > 0 ? { previous: true } : {}) }));
      buttons.push(ctx.button(t(L, 'out.btn.describe', { name: shortName(podName) }), 'describe', { kind: 'pod', name: podName, namespace: podNs }));
      buttons.push(ctx.button(t(L, 'out.btn.events'), 'events', { namespace: podNs, warnings: true }));
    }
    return { title, tone: failing ? 'danger' : problems.length ? 'warning' : 'success', blocks, ...(buttons.length ? { buttons } : {}) };
  },
});

/** Button labels are short on a phone: the deployment part of a pod name. */
function shortName(pod: string): string {
  return pod.length > 24 ? pod.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '') : pod;
}
