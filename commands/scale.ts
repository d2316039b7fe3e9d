import { msg, t } from '../src/core/i18n.js';
import { z } from 'zod';
import { defineCommand, nsOf } from '../src/core/command.js';
import { NothingToDoError, UsageError } from '../src/core/errors.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { rolloutCard } from './rollout-result.js';

export default defineCommand({
  name: 'scale',
  summary: { en: 'Set the replica count of a deployment', zh: '调整 Deployment 副本数' },
  examples: ['/scale api-gateway 5 -n production', '/scale deploy/order-service 2 -n staging'],
  args: z.strictObject({
    deployment: dnsSubdomain.describe('Deployment name, e.g. api-gateway'),
    replicas: z.number({ error: t('en', 'arg.whole') }).int(t('en', 'arg.whole')).min(0, t('en', 'arg.nonNegative')).describe('Desired replica count'),
    namespace: dnsLabel.optional().describe('Namespace'),
  }),
  positionals: ['deployment', 'replicas'],
  flags: { namespace: ['-n', '--namespace'], replicas: ['--replicas'] },
  kube: ['readDeployment', 'scaleDeployment', 'waitForRollout'],
  mutating: { risk: 'medium' },
  check(ctx, a) {
    const { min, max } = ctx.policy.limits.scale;
    if (a.replicas < min || a.replicas > max) throw new UsageError(msg('arg.scaleRange', { min, max, n: a.replicas }));
  },
  async preview(ctx, a) {
    const ns = nsOf(ctx, a);
    const dep = await ctx.kube.readDeployment(ns, a.deployment, { signal: ctx.signal });
    const before = dep.spec?.replicas ?? 1;
    if (before === a.replicas) throw new NothingToDoError(msg('scale.same', { target: `${ns}/${a.deployment}`, n: before }));
    if (!ctx.executing) await ctx.kube.scaleDeployment(ns, a.deployment, a.replicas, { signal: ctx.signal, dryRun: true });
    return { target: `${ns}/${a.deployment}`, change: `replicas ${before} → ${a.replicas}`, before };
  },
  async run(ctx, a) {
    const ns = nsOf(ctx, a);
    const before = (await ctx.kube.readDeployment(ns, a.deployment, { signal: ctx.signal })).spec?.replicas ?? 1;
    await ctx.kube.scaleDeployment(ns, a.deployment, a.replicas, { signal: ctx.signal });
    const r = await ctx.kube.waitForRollout(ns, a.deployment, 60_000, { signal: ctx.signal });
    return rolloutCard(ctx.lang, t(ctx.lang, 'rollout.scaled', { target: `${ns}/${a.deployment}`, from: before, to: a.replicas }), r);
  },
});
