import { cpuCores } from '../quantity.js';
import { type DemoCluster, iso, templateHash } from './cluster.js';
import { FAULT_ANNOTATION, type ContainerStatus, type Deployment, type KObject, type Pod, type ReplicaSet } from './types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
const HISTORY_LIMIT = 10;

/**
 * One pass of the controllers the demo needs: deployment (ReplicaSets, revisions, rolling update),
 * replicaset (pod count), scheduler and kubelet (Pending → Running, Terminating → gone). Runs on a
 * timer; each pass moves the cluster one step toward the desired state, as the real controllers do.
 */
export function reconcile(c: DemoCluster): void {
  const now = c.now();
  for (const dep of [...c.deployments.values()]) reconcileDeployment(c, dep);
  for (const rs of [...c.replicasets.values()]) reconcileReplicaSet(c, rs, now);
  for (const pod of [...c.pods.values()]) progressPod(c, pod, now);
  for (const rs of c.replicasets.values()) updateRsStatus(c, rs);
  for (const dep of c.deployments.values()) updateDeploymentStatus(c, dep);
}

const rev = (o: KObject) => Number(o.metadata.annotations?.[REVISION] ?? 0);
const live = (p: Pod) => !p.metadata.deletionTimestamp;
const isReady = (p: Pod) => live(p) && p.status.phase === 'Running' && (p.status.containerStatuses ?? []).every((s) => s.ready);

function reconcileDeployment(c: DemoCluster, dep: Deployment): void {
  const ns = dep.metadata.namespace as string;
  const hash = templateHash(dep.spec.template);
  const owned = c.ownedBy(c.replicasets, dep);
  const maxRev = owned.reduce((m, rs) => Math.max(m, rev(rs)), 0);
  let active = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
  if (!active) {
    active = createReplicaSet(c, dep, hash, maxRev + 1);
    owned.push(active);
  } else if (rev(active) < maxRev) {
    // A rollback re-uses the old ReplicaSet and gives it the next revision number, as Kubernetes does.
    (active.metadata.annotations ??= {})[REVISION] = String(maxRev + 1);
    c.touch(active);
  }
  const annotations = (dep.metadata.annotations ??= {});
  if (annotations[REVISION] !== String(rev(active))) {
    annotations[REVISION] = String(rev(active));
    c.touch(dep);
  }
  const desired = dep.spec.replicas;
  const readyNew = c.ownedBy(c.pods, active).filter(isReady).length;
  scaleRs(c, dep, active, desired);
  for (const old of owned) {
    if (old === active || old.spec.replicas === 0) continue;
    scaleRs(c, dep, old, Math.max(0, Math.min(old.spec.replicas, desired - readyNew)));
  }
  // revisionHistoryLimit: drop the oldest empty ReplicaSets.
  const empty = owned.filter((rs) => rs !== active && rs.spec.replicas === 0 && !c.ownedBy(c.pods, rs).length).sort((a, b) => rev(a) - rev(b));
  while (empty.length > (dep.spec.revisionHistoryLimit ?? HISTORY_LIMIT)) {
    const rs = empty.shift() as ReplicaSet;
    c.replicasets.delete(`${ns}/${rs.metadata.name}`);
  }
}

export function createReplicaSet(c: DemoCluster, dep: Deployment, hash: string, revision: number): ReplicaSet {
  const ns = dep.metadata.namespace as string;
  const tpl = structuredClone(dep.spec.template);
  tpl.metadata.labels = { ...tpl.metadata.labels, 'pod-template-hash': hash };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: c.meta(`${dep.metadata.name}-${hash}`, ns, {
      labels: { ...tpl.metadata.labels },
      annotations: { [REVISION]: String(revision), 'deployment.kubernetes.io/desired-replicas': String(dep.spec.replicas) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name, uid: dep.metadata.uid, controller: true, blockOwnerDeletion: true }],
      generation: 1,
    }),
    spec: { replicas: 0, selector: { matchLabels: { ...dep.spec.selector.matchLabels, 'pod-template-hash': hash } }, template: tpl },
    status: { replicas: 0, observedGeneration: 1 },
  };
  return c.put(c.replicasets, rs);
}

function scaleRs(c: DemoCluster, dep: Deployment, rs: ReplicaSet, to: number): void {
  const from = rs.spec.replicas;
  if (from === to) return;
  rs.spec.replicas = to;
  (rs.metadata.annotations ??= {})['deployment.kubernetes.io/desired-replicas'] = String(dep.spec.replicas);
  rs.metadata.generation = (rs.metadata.generation ?? 1) + 1;
  c.touch(rs);
  const verb = to > from ? 'up' : 'down';
  c.event(dep, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${to}`, 'deployment-controller');
}

function reconcileReplicaSet(c: DemoCluster, rs: ReplicaSet, now: number): void {
  const pods = c.ownedBy(c.pods, rs).filter(live);
  const want = rs.spec.replicas;
  for (let i = pods.length; i < want; i++) createPod(c, rs, now);
  if (pods.length > want) {
    // Delete the least useful first: unscheduled, then not ready, then the newest.
    const order = (p: Pod) => (!p.spec.nodeName ? 0 : !isReady(p) ? 1 : 2);
    pods.sort((a, b) => order(a) - order(b) || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp));
    for (const p of pods.slice(0, pods.length - want)) startDeletion(c, p, now);
  }
}

export function createPod(c: DemoCluster, rs: ReplicaSet, createdAt: number, name = c.podName(rs.metadata.name)): Pod {
  const tpl = rs.spec.template;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: c.meta(
      name,
      rs.metadata.namespace,
      {
        labels: { ...tpl.metadata.labels },
        ...(tpl.metadata.annotations ? { annotations: { ...tpl.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      createdAt,
    ),
    spec: { ...structuredClone(tpl.spec), restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' },
    status: { phase: 'Pending', qosClass: qosClass(tpl.spec.containers) },
  };
  c.createdAt.set(pod.metadata.uid, createdAt);
  return c.put(c.pods, pod);
}

export function startDeletion(c: DemoCluster, pod: Pod, now: number): void {
  if (pod.metadata.deletionTimestamp) return;
  pod.metadata.deletionTimestamp = iso(now);
  c.deletingSince.set(pod.metadata.uid, now);
  pod.metadata.deletionGracePeriodSeconds = 30;
  for (const s of pod.status.containerStatuses ?? []) s.ready = false;
  c.touch(pod);
  if (pod.spec.nodeName) for (const ct of pod.spec.containers) c.event(pod, 'Normal', 'Killing', `Stopping container ${ct.name}`, 'kubelet', now);
}

function progressPod(c: DemoCluster, pod: Pod, now: number): void {
  const t = c.timings;
  const ns = pod.metadata.namespace as string;
  if (pod.metadata.deletionTimestamp) {
    const since = c.deletingSince.get(pod.metadata.uid) ?? Date.parse(pod.metadata.deletionTimestamp);
    if (now - since >= t.terminateMs || !pod.spec.nodeName) {
      c.pods.delete(`${ns}/${pod.metadata.name}`);
      c.createdAt.delete(pod.metadata.uid);
      c.deletingSince.delete(pod.metadata.uid);
    }
    return;
  }
  const fault = pod.metadata.annotations?.[FAULT_ANNOTATION];
  if (fault === 'oom-crashloop') return crashLoopTick(c, pod, now);
  const age = now - (c.createdAt.get(pod.metadata.uid) ?? Date.parse(pod.metadata.creationTimestamp));
  if (pod.status.phase !== 'Pending') return;
  if (!pod.spec.nodeName) {
    if (age < t.scheduleMs) return;
    const node = pickNode(c, pod);
    if (!node) {
      const msg = `0/${c.nodes.size} nodes are available: ${c.nodes.size} Insufficient cpu. preemption: 0/${c.nodes.size} nodes are available: ${c.nodes.size} No preemption victims found for incoming pod.`;
      if (!pod.status.conditions?.length) {
        pod.status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastTransitionTime: iso(now) }];
        c.touch(pod);
        c.event(pod, 'Warning', 'FailedScheduling', msg, 'default-scheduler', now);
      }
      return;
    }
    pod.spec.nodeName = node.metadata.name;
    pod.status.hostIP = nodeIp(node);
    pod.status.conditions = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(now) }];
    pod.status.containerStatuses = pod.spec.containers.map((ct) => containerStatus(ct.name, ct.image, { waiting: { reason: 'ContainerCreating' } }, false));
    c.touch(pod);
    c.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${pod.metadata.name} to ${node.metadata.name}`, 'default-scheduler', now);
    return;
  }
  if (age < t.scheduleMs + t.startMs) return;
  markRunning(c, pod, now, true);
}

/** Running and ready: containers started, conditions true, events like the kubelet's. */
export function markRunning(c: DemoCluster, pod: Pod, at: number, withEvents: boolean): void {
  pod.status.phase = 'Running';
  pod.status.startTime = pod.status.startTime ?? iso(at);
  pod.status.podIP = pod.status.podIP ?? podIp(pod.metadata.name);
  pod.status.conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: iso(at) }));
  pod.status.containerStatuses = pod.spec.containers.map((ct) => containerStatus(ct.name, ct.image, { running: { startedAt: iso(at) } }, true));
  c.touch(pod);
  if (!withEvents) return;
  for (const ct of pod.spec.containers) {
    c.event(pod, 'Normal', 'Pulled', `Container image "${ct.image}" already present on machine`, 'kubelet', at);
    c.event(pod, 'Normal', 'Created', `Created container: ${ct.name}`, 'kubelet', at);
    c.event(pod, 'Normal', 'Started', `Started container ${ct.name}`, 'kubelet', at);
  }
}

export function containerStatus(name: string, image: string, state: ContainerStatus['state'], ready: boolean): ContainerStatus {
  return {
    name,
    image,
    imageID: `${image.split(':')[0]}@sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    ...(state['running'] ? { containerID: `containerd://${Buffer.from(name + image).toString('hex').padEnd(64, 'a').slice(0, 64)}` } : {}),
    ready,
    started: Boolean(state['running']),
    restartCount: 0,
    state,
    lastState: {},
  };
}

/** The OOM-killed container comes back, runs out of heap again, and backs off: every 5 minutes. */
function crashLoopTick(c: DemoCluster, pod: Pod, now: number): void {
  const cs = pod.status.containerStatuses?.[0];
  const last = cs?.lastState['terminated'];
  if (!cs || !last) return;
  if (now - Date.parse(String(last['finishedAt'])) < 5 * 60_000) return;
  cs.restartCount++;
  last['finishedAt'] = iso(now);
  last['startedAt'] = iso(now - 95_000);
  c.touch(pod);
  c.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${cs.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, 'kubelet', now);
}

function updateRsStatus(c: DemoCluster, rs: ReplicaSet): void {
  const pods = c.ownedBy(c.pods, rs).filter(live);
  const ready = pods.filter(isReady).length;
  const status = { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation ?? 1 };
  if (JSON.stringify(status) !== JSON.stringify(rs.status)) {
    rs.status = status;
    c.touch(rs);
  }
}

function updateDeploymentStatus(c: DemoCluster, dep: Deployment): void {
  const hash = templateHash(dep.spec.template);
  const owned = c.ownedBy(c.replicasets, dep);
  const pods = owned.flatMap((rs) => c.ownedBy(c.pods, rs)).filter(live);
  const updated = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
  const ready = pods.filter(isReady).length;
  const desired = dep.spec.replicas;
  const maxUnavailable = Math.floor(desired / 4);
  const available = ready >= desired - maxUnavailable;
  const complete = updated.length === desired && pods.length === desired && updated.filter(isReady).length === desired;
  const prev = (dep.status['conditions'] as { type: string; status: string; lastTransitionTime?: string }[] | undefined) ?? [];
  const since = (type: string, status: string) => {
    const p = prev.find((x) => x.type === type);
    return p && p.status === status && p.lastTransitionTime ? p.lastTransitionTime : iso(c.now());
  };
  const activeName = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash)?.metadata.name ?? '';
  const status: Record<string, unknown> = {
    observedGeneration: dep.metadata.generation ?? 1,
    replicas: pods.length,
    updatedReplicas: updated.length,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
    conditions: [
      {
        type: 'Available',
        status: available ? 'True' : 'False',
        reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        lastTransitionTime: since('Available', available ? 'True' : 'False'),
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        message: complete ? `ReplicaSet "${activeName}" has successfully progressed.` : `ReplicaSet "${activeName}" is progressing.`,
        lastTransitionTime: since('Progressing', 'True'),
      },
    ],
  };
  if (JSON.stringify(status) !== JSON.stringify(dep.status)) {
    dep.status = status;
    c.touch(dep);
  }
}

/** The node with the fewest pods that has room for the pod's CPU request, or none. */
function pickNode(c: DemoCluster, pod: Pod): KObject | undefined {
  const want = pod.spec.containers.reduce((n, ct) => n + cpuCores(ct.resources?.requests?.['cpu']), 0);
  const counts = new Map<string, number>();
  for (const p of c.pods.values()) if (p.spec.nodeName) counts.set(p.spec.nodeName, (counts.get(p.spec.nodeName) ?? 0) + 1);
  const fits = [...c.nodes.values()].filter((n) => !(n['spec'] as { unschedulable?: boolean } | undefined)?.unschedulable && cpuCores(String((n.status?.['allocatable'] as Record<string, string>)['cpu'])) >= want);
  fits.sort((a, b) => (counts.get(a.metadata.name) ?? 0) - (counts.get(b.metadata.name) ?? 0));
  return fits[0];
}

function qosClass(containers: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[]): string {
  if (containers.every((ct) => ct.resources?.limits && JSON.stringify(ct.resources.limits) === JSON.stringify(ct.resources.requests))) return 'Guaranteed';
  return containers.some((ct) => ct.resources?.requests) ? 'Burstable' : 'BestEffort';
}

function nodeIp(n: KObject): string {
  const addrs = (n.status?.['addresses'] as { type: string; address: string }[] | undefined) ?? [];
  return addrs.find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
}

function podIp(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `172.20.${(h >> 8) % 250}.${(h % 250) + 2}`;
}
