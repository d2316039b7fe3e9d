import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { type CommandContext, defineCommand } from '../src/core/command.js';
import { formatDuration, parseDuration } from '../src/core/duration.js';
import { NothingToDoError, NotAllowedError, NotFoundError, OpsError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { dnsSubdomain } from '../src/core/names.js';
import { evictable } from '../src/kube/pod-status.js';

const MAX_MS = 30 * 60_000;
const DEFAULT_MS = 5 * 60_000;
const RETRY_MS = 2000;

const timeout = z
  .string()
  .refine((v) => {
    const ms = parseDuration(v);
    return ms !== undefined && ms >= 10_000 && ms <= MAX_MS;
  }, t('en', 'drain.badTimeout'));

const name = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

/** The pods a drain moves, refusing up front any in a namespace the person may not act in. */
async function movable(ctx: CommandContext, node: string): Promise<V1Pod[]> {
  const pods = (await ctx.kube.listPodsOnNode(node, { signal: ctx.signal })).filter(evictable);
  const outside = [...new Set(pods.map((p) => p.metadata?.namespace ?? '').filter((ns) => !ctx.namespaces.includes(ns)))];
  if (outside.length) throw new NotAllowedError(msg('drain.err.namespaces', { name: ctx.person.name, node, list: outside.join(', ') }), 'namespace_not_allowed');
  return pods;
}

export default defineCommand({
  name: 'drain',
  summary: { en: 'Cordon a node and evict its pods, respecting PodDisruptionBudgets (as kubectl drain)', zh: '封锁节点并驱逐其 Pod，遵守 PodDisruptionBudget（同 kubectl drain）' },
  examples: ['/drain cn-shanghai.10.12.2.23', '/drain cn-shanghai.10.12.1.21 --timeout 10m'],
  args: z.strictObject({
    node: dnsSubdomain.describe('Node name, e.g. cn-shanghai.10.12.1.21'),
    timeout: timeout.optional().describe('How long to keep evicting while disruption budgets hold pods (default 5m, at most 30m)'),
  }),
  positionals: ['node'],
  flags: { timeout: ['--timeout'] },
  kube: ['readNode', 'cordonNode', 'listPodsOnNode', 'evictPod'],
  mutating: { risk: 'high' },
  async preview(ctx, a) {
    const node = await ctx.kube.readNode(a.node, { signal: ctx.signal });
    const cordoned = Boolean(node.spec?.unschedulable);
    const pods = await movable(ctx, a.node);
    if (cordoned && !pods.length) throw new NothingToDoError(msg('drain.already', { node: a.node }));
    if (!cordoned && !ctx.executing) await ctx.kube.cordonNode(a.node, true, { signal: ctx.signal, dryRun: true });
    // Each eviction dry-run now: what a budget holds is said up front (the drain then waits for it).
    const held: string[] = [];
    for (const p of ctx.executing ? [] : pods) {
      try {
        await ctx.kube.evictPod(p.metadata?.namespace as string, p.metadata?.name as string, { signal: ctx.signal, dryRun: true });
      } catch (e) {
        if (e instanceof OpsError && e.code === 'kube_disruption_budget') held.push(p.metadata?.name as string);
        else if (!(e instanceof NotFoundError)) throw e;
      }
    }
    const byNs = new Map<string, number>();
    for (const p of pods) byNs.set(p.metadata?.namespace as string, (byNs.get(p.metadata?.namespace as string) ?? 0) + 1);
    const spread = [...byNs].map(([ns, n]) => `${ns} ${n}`).join(', ');
    const change = t(ctx.lang, cordoned ? 'drain.change.cordoned' : 'drain.change', { n: pods.length, spread: spread || '—' }) + (held.length ? t(ctx.lang, 'drain.change.held', { n: held.length, pods: held.slice(0, 3).join(', ') + (held.length > 3 ? ' …' : '') }) : '');
    const ms = a.timeout ? (parseDuration(a.timeout) as number) : DEFAULT_MS;
    // The node itself is the fingerprint: the same node (uid) is still there when the drain runs.
    return { target: a.node, change, before: node.metadata?.uid ?? a.node, runMs: ms + 60_000 };
  },
  async run(ctx, a) {
    const started = ctx.now();
    const limit = a.timeout ? (parseDuration(a.timeout) as number) : DEFAULT_MS;
    const o = { signal: ctx.signal };
    const node = await ctx.kube.readNode(a.node, o);
    if (!node.spec?.unschedulable) await ctx.kube.cordonNode(a.node, true, o);
    const blocked = new Map<string, string>();
    let evicted = 0;
    let left: V1Pod[] = [];
    for (let round = 0; ; round++) {
      left = (await movable(ctx, a.node)).filter((p) => !p.metadata?.deletionTimestamp);
      const terminating = (await ctx.kube.listPodsOnNode(a.node, o)).filter((p) => evictable(p) && p.metadata?.deletionTimestamp).length;
      if (!left.length && !terminating) break;
      for (const p of left) {
        try {
          await ctx.kube.evictPod(p.metadata?.namespace as string, p.metadata?.name as string, o);
          blocked.delete(name(p));
          evicted++;
        } catch (e) {
          if (e instanceof OpsError && e.code === 'kube_disruption_budget') blocked.set(name(p), e.says(ctx.lang));
          else if (!(e instanceof NotFoundError)) throw e;
        }
      }
      if (ctx.now() - started >= limit || ctx.signal.aborted) {
        left = (await movable(ctx, a.node)).filter((p) => !p.metadata?.deletionTimestamp);
        break;
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    const secs = Math.max(1, Math.round((ctx.now() - started) / 1000));
    if (!left.length) {
      return { title: t(ctx.lang, 'drain.done.title', { node: a.node }), tone: 'success', blocks: [{ type: 'markdown', text: t(ctx.lang, 'drain.done', { node: a.node, n: evicted, secs }) }] };
    }
    const lines = left.slice(0, 8).map((p) => `• ${name(p)}${blocked.get(name(p)) ? ` — ${blocked.get(name(p))}` : ''}`);
    return {
      title: t(ctx.lang, 'drain.stuck.title', { node: a.node, n: left.length }),
      tone: 'danger',
      blocks: [{ type: 'markdown', text: `${t(ctx.lang, 'drain.stuck', { node: a.node, n: left.length, evicted, limit: formatDuration(limit) })}\n${lines.join('\n')}` }],
    };
  },
});
