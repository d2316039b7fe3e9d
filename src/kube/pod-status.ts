import type { V1Pod } from '@kubernetes/client-node';
/**
 * What kubectl shows in the STATUS column, computed the way kubectl's printer does
 * (kubernetes/pkg/printers/internalversion/printers.go, printPod). Shared by the /pods command and
 * the demo API's server-side tables, so both always agree. Typed structurally so it works on
 * client-node models (Date timestamps) and on raw JSON (string timestamps).
 */
export interface PodLike {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: Date | string; creationTimestamp?: Date | string };
  spec?: { nodeName?: string; containers?: { name: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: ContainerStatusLike[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface ContainerStatusLike {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: { waiting?: { reason?: string }; running?: { startedAt?: Date | string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: Date | string } };
}

export type PodHealth = 'ok' | 'pending' | 'failing' | 'terminating' | 'done';

export interface PodSummary {
  status: string;
  ready: number;
  total: number;
  restarts: number;
  /** When the last restart's container finished, if any. */
  lastRestartAt?: number;
  /** `OOMKilled`, `Error`: the reason of the last termination, if any. */
  lastTerminationReason?: string;
  health: PodHealth;
  /** The scheduler's or kubelet's explanation, for pending pods. */
  detail?: string;
}

export function summarizePod(pod: PodLike): PodSummary {
  const st = pod.status ?? {};
  const cs = st.containerStatuses ?? [];
  let reason = st.reason || st.phase || 'Unknown';
  let running = false;
  for (let i = cs.length - 1; i >= 0; i--) {
    const c = cs[i] as ContainerStatusLike;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode ?? 0}`;
    else if (c.ready && c.state?.running) running = true;
  }
  if (reason === 'Completed' && running) reason = 'Running';
  if (pod.metadata?.deletionTimestamp) reason = 'Terminating';

  const ready = cs.filter((c) => c.ready).length;
  const total = pod.spec?.containers?.length ?? cs.length;
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  let lastRestartAt: number | undefined;
  let lastTerminationReason: string | undefined;
  for (const c of cs) {
    const t = c.lastState?.terminated;
    if (t?.finishedAt) {
      const at = new Date(t.finishedAt).getTime();
      if (lastRestartAt === undefined || at > lastRestartAt) {
        lastRestartAt = at;
        lastTerminationReason = t.reason;
      }
    }
  }
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  let health: PodHealth;
  if (reason === 'Terminating') health = 'terminating';
  else if (reason === 'Completed' || st.phase === 'Succeeded') health = 'done';
  else if (st.phase === 'Failed' || /BackOff|Err|Error|OOMKilled|Invalid|Unknown/.test(reason)) health = 'failing';
  else if (st.phase === 'Pending' || ready < total) health = 'pending';
  else health = 'ok';
  const summary: PodSummary = { status: reason, ready, total, restarts, health };
  if (lastRestartAt !== undefined) summary.lastRestartAt = lastRestartAt;
  if (lastTerminationReason) summary.lastTerminationReason = lastTerminationReason;
  if (sched?.reason) summary.detail = sched.message ? `${sched.reason}: ${sched.message}` : sched.reason;
  return summary;
}

/** What a drain moves: not DaemonSet pods (they belong on every node), not mirror pods, not finished pods. */
export function evictable(p: V1Pod): boolean {
  if (p.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet')) return false;
  if (p.metadata?.annotations?.['kubernetes.io/config.mirror']) return false;
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}
