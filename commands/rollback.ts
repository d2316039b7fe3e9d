import { msg, t } from '../src/core/i18n.js';
import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import { imageTag } from '../cards/util.js';
import { type CommandContext, defineCommand, nsOf } from '../src/core/command.js';
import { ConflictError, NotFoundError, NothingToDoError } from '../src/core/errors.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { REVISION_ANNOTATION } from '../src/kube/client.js';
import { rolloutCard } from './rollout-result.js';

interface Plan {
  ns: string;
  current: number;
  target: number;
  template: Record<string, unknown>;
  change: string;
}

/** What `kubectl rollout undo` computes: the target revision's pod template, without its pod-template-hash. */
async function plan(ctx: CommandContext, a: { deployment: string; namespace?: string | undefined; revision?: number | undefined }): Promise<Plan> {
  const ns = nsOf(ctx, a);
  const dep: V1Deployment = await ctx.kube.readDeployment(ns, a.deployment, { signal: ctx.signal });
  const current = Number(dep.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  const revs = await ctx.kube.revisions(ns, dep, { signal: ctx.signal });
  const target = a.revision !== undefined ? revs.find((r) => r.revision === a.revision) : revs.find((r) => r.revision < current);
  if (!target) {
    if (a.revision !== undefined) throw new NotFoundError(msg('rollback.noRevision', { revision: a.revision, name: a.deployment, have: revs.map((r) => r.revision).join(', ') || msg('rollback.none') }));
    throw new ConflictError(msg('rollback.noEarlier', { name: a.deployment }));
  }
  if (target.revision === current) throw new NothingToDoError(msg('rollback.already', { name: a.deployment, revision: current }));
  const tpl = structuredClone(target.rs.spec?.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
  delete tpl.metadata?.labels?.['pod-template-hash'];
  const from = (dep.spec?.template.spec?.containers ?? []).map((c) => imageTag(c.image)).join(',');
  const to = (target.rs.spec?.template?.spec?.containers ?? []).map((c) => imageTag(c.image)).join(',');
  const change = `revision ${current} → ${target.revision}${from !== to ? ` (image ${from} → ${to})` : ''}`;
  return { ns, current, target: target.revision, template: tpl as Record<string, unknown>, change };
}

export default defineCommand({
  name: 'rollback',
  aliases: ['undo'],
  summary: { en: 'Roll a deployment back to its previous (or a given) revision', zh: '回滚 Deployment 到上一版本' },
  examples: ['/rollback payment-service -n production', '/rollback api-gateway --to-revision 1 -n production'],
  args: z.strictObject({
    deployment: dnsSubdomain.describe('Deployment name'),
    namespace: dnsLabel.optional().describe('Namespace'),
    revision: z.number().int().min(1).optional().describe('Revision to return to (default: the previous one)'),
  }),
  positionals: ['deployment'],
  flags: { namespace: ['-n', '--namespace'], revision: ['--to-revision'] },
  kube: ['readDeployment', 'revisions', 'replaceDeploymentTemplate', 'waitForRollout'],
  mutating: { risk: 'high' },
  async preview(ctx, a) {
    const p = await plan(ctx, a);
    if (!ctx.executing) await ctx.kube.replaceDeploymentTemplate(p.ns, a.deployment, p.template, { signal: ctx.signal, dryRun: true });
    return { target: `${p.ns}/${a.deployment}`, change: p.change, before: p.current };
  },
  async run(ctx, a) {
    const p = await plan(ctx, a);
    await ctx.kube.replaceDeploymentTemplate(p.ns, a.deployment, p.template, { signal: ctx.signal });
    const r = await ctx.kube.waitForRollout(p.ns, a.deployment, 120_000, { signal: ctx.signal });
    return rolloutCard(ctx.lang, t(ctx.lang, 'rollout.rolledBack', { target: `${p.ns}/${a.deployment}`, change: p.change }), r);
  },
});
