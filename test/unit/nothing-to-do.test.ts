import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import restart from '../../commands/restart.js';
import type { CommandContext } from '../../src/core/command.js';
import { NothingToDoError } from '../../src/core/errors.js';

/** A restart's preview against a deployment in a known state (the demo cluster finishes rollouts too fast to catch one). */
function ctxWith(dep: V1Deployment): { ctx: CommandContext; dryRuns: number } {
  const out = { dryRuns: 0, ctx: undefined as unknown as CommandContext };
  out.ctx = {
    defaultNamespace: 'production',
    signal: AbortSignal.timeout(1000),
    now: () => Date.now(),
    kube: {
      readDeployment: async () => dep,
      restartDeployment: async () => {
        out.dryRuns++;
      },
    },
  } as unknown as CommandContext;
  return out;
}
const dep = (o: { generation: number; observed: number; replicas: number; updated: number }): V1Deployment => ({
  metadata: { name: 'api', namespace: 'production', generation: o.generation },
  spec: { replicas: o.replicas, selector: {}, template: {} },
  status: { observedGeneration: o.observed, updatedReplicas: o.updated },
});

describe('a restart while a rollout already replaces the pods is nothing to do', () => {
  it('pods not all updated yet: NothingToDo, no dry run, no approval to create', async () => {
    const t = ctxWith(dep({ generation: 7, observed: 7, replicas: 5, updated: 2 }));
    const err = await restart.preview!(t.ctx, { deployment: 'api' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NothingToDoError);
    expect((err as NothingToDoError).userMessage).toBe('production/api is already rolling out (2/5 pods updated) — every pod is being replaced; nothing to do');
    expect(t.dryRuns).toBe(0);
  });

  it('a new spec not yet seen by the controller counts as rolling out too', async () => {
    const t = ctxWith(dep({ generation: 8, observed: 7, replicas: 3, updated: 3 }));
    await expect(restart.preview!(t.ctx, { deployment: 'api' })).rejects.toBeInstanceOf(NothingToDoError);
  });

  it('a settled deployment: the restart is previewed (dry run) for an approval', async () => {
    const t = ctxWith(dep({ generation: 7, observed: 7, replicas: 3, updated: 3 }));
    const p = await restart.preview!(t.ctx, { deployment: 'api' });
    expect(p).toMatchObject({ target: 'production/api', change: 'rolling restart of 3 pods', before: 7 });
    expect(t.dryRuns).toBe(1);
  });
});
