import type { V1Deployment } from '@kubernetes/client-node';
import type { Card } from '../cards/model.js';
import { type Lang, t } from '../src/core/i18n.js';

/** "scaled production/api-gateway 3 → 5 — 5/5 ready in 12 s", or what is still missing. */
export function rolloutCard(lang: Lang, what: string, r: { done: boolean; dep: V1Deployment; elapsedMs: number }): Card {
  const want = r.dep.spec?.replicas ?? 0;
  const ready = r.dep.status?.readyReplicas ?? 0;
  const secs = Math.max(1, Math.round(r.elapsedMs / 1000));
  if (r.done) {
    return { title: t(lang, 'rollout.done', { what }), tone: 'success', blocks: [{ type: 'markdown', text: t(lang, 'rollout.done.body', { what, ready, want, secs }) }] };
  }
  const updated = r.dep.status?.updatedReplicas ?? 0;
  return {
    title: t(lang, 'rollout.unsettled', { what }),
    tone: 'warning',
    blocks: [{ type: 'markdown', text: t(lang, 'rollout.unsettled.body', { what, secs, ready, want, updated }) }],
  };
}
