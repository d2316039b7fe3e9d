import type { V1Deployment } from '@kubernetes/client-node';
import type { Card } from '../cards/model.js';

/** "scaled production/api-gateway 3 → 5 — 5/5 ready in 12 s", or what is still missing. */
export function rolloutCard(what: string, r: { done: boolean; dep: V1Deployment; elapsedMs: number }): Card {
  const want = r.dep.spec?.replicas ?? 0;
  const ready = r.dep.status?.readyReplicas ?? 0;
  const secs = Math.max(1, Math.round(r.elapsedMs / 1000));
  if (r.done) {
    return { title: `Done · ${what}`, tone: 'success', blocks: [{ type: 'markdown', text: `${what} — ${ready}/${want} ready in ${secs} s` }] };
  }
  const updated = r.dep.status?.updatedReplicas ?? 0;
  return {
    title: `Applied, not settled · ${what}`,
    tone: 'warning',
    blocks: [{ type: 'markdown', text: `${what} — after ${secs} s: ${ready}/${want} ready, ${updated}/${want} updated. The change was applied; the rollout has not finished yet. Check /pods and /events.` }],
  };
}
