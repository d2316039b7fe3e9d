import { msg, type Text } from '../core/i18n.js';
import type { V1Pod } from '@kubernetes/client-node';
import { NotFoundError, OpsError } from '../core/errors.js';
import { summarizePod } from './pod-status.js';
import type { KubeClient } from './client.js';

/**
 * Finds a pod by exact name, or, as `kubectl logs deploy/x` does, picks one of the pods whose name
 * starts with `<name>-` (a deployment's pods): the most troubled one first, since that is what an
 * on-call engineer is looking for. `note` says which pod was picked.
 */
export async function resolvePod(kube: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<{ pod: V1Pod; note?: Text }> {
  try {
    return { pod: await kube.readPod(namespace, name, signal ? { signal } : {}) };
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    const pods = (await kube.listPods(namespace, undefined, signal ? { signal } : {})).filter(
      (p) => p.metadata?.name?.startsWith(`${name}-`) && !p.metadata.deletionTimestamp,
    );
    if (!pods.length) throw e;
    const rank = { failing: 0, pending: 1, ok: 2, terminating: 3, done: 4 } as const;
    pods.sort((a, b) => rank[summarizePod(a).health] - rank[summarizePod(b).health] || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const pod = pods[0] as V1Pod;
    return { pod, note: msg('kube.picked', { pod: pod.metadata?.name ?? '', name, n: pods.length }) };
  }
}

/** The container to read when none was named: kubectl's default-container annotation, else the first. */
export function defaultContainer(pod: V1Pod): string | undefined {
  const names = pod.spec?.containers.map((c) => c.name) ?? [];
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  return annotated && names.includes(annotated) ? annotated : names[0];
}

export function assertContainer(pod: V1Pod, container: string): void {
  const names = pod.spec?.containers.map((c) => c.name) ?? [];
  if (!names.includes(container)) {
    throw new OpsError('bad_usage', msg('kube.noContainer', { pod: pod.metadata?.name ?? '?', container, names: names.join(', ') }));
  }
}
