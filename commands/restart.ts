import { z } from 'zod';
import { defineCommand, nsOf } from '../src/core/command.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { rolloutCard } from './rollout-result.js';
import { msg, t } from '../src/core/i18n.js';
import { NothingToDoError } from '../src/core/errors.js';

export default defineCommand({
  name: 'restart',
  summary: { en: 'Rolling restart of a deployment (kubectl rollout restart)', zh: '滚动重启 Deployment' },
  examples: ['/restart order-service -n production'],
  args: z.strictObject({
    deployment: dnsSubdomain.describe('Deployment name'),
    namespace: dnsLabel.optional().describe('Namespace'),
  }),
  positionals: ['deployment'],
  flags: { namespace: ['-n', '--namespace'] },
  kube: ['readDeployment', 'restartDeployment', 'waitForRollout'],
  mutating: { risk: 'medium' },
  async preview(ctx, a) {
    const ns = nsOf(ctx, a);
    const dep = await ctx.kube.readDeployment(ns, a.deployment, { signal: ctx.signal });
    const want = dep.spec?.replicas ?? 1;
    const updated = dep.status?.updatedReplicas ?? 0;
    if ((dep.status?.observedGeneration ?? 0) < (dep.metadata?.generation ?? 0) || updated < want) {
      throw new NothingToDoError(msg('restart.rolling', { target: `${ns}/${a.deployment}`, updated, want }));
    }
    if (!ctx.executing) await ctx.kube.restartDeployment(ns, a.deployment, new Date(ctx.now()), { signal: ctx.signal, dryRun: true });
    const n = dep.spec?.replicas ?? 1;
    // Drift fingerprint: the generation moves whenever anyone changes the deployment's spec.
    return { target: `${ns}/${a.deployment}`, change: `rolling restart of ${n} pod${n === 1 ? '' : 's'}`, before: dep.metadata?.generation ?? 0 };
  },
  async run(ctx, a) {
    const ns = nsOf(ctx, a);
    await ctx.kube.restartDeployment(ns, a.deployment, new Date(ctx.now()), { signal: ctx.signal });
    const r = await ctx.kube.waitForRollout(ns, a.deployment, 120_000, { signal: ctx.signal });
    return rolloutCard(ctx.lang, t(ctx.lang, 'rollout.restarted', { target: `${ns}/${a.deployment}` }), r);
  },
});
