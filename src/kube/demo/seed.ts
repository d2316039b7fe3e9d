import { type DemoCluster, iso, templateHash } from './cluster.js';
import { containerStatus, createPod, createReplicaSet, markRunning, reconcile, REVISION } from './simulator.js';
import { FAULT_ANNOTATION, type Container, type Deployment, type PodTemplate } from './types.js';

const REGISTRY = 'registry.cn-shanghai.aliyuncs.com/acme';
const DAY = 86_400_000;

interface AppSeed {
  ns: string;
  name: string;
  replicas: number;
  /** Image tags, oldest first; the last is running now. Each is a revision. */
  tags: string[];
  image?: string;
  team: string;
  cpu: [string, string];
  mem: [string, string];
  port?: number;
  sidecar?: boolean;
  ageDays: number;
  /** Index of the pod that is crash-looping (OOMKilled). */
  crashPod?: number;
}

const APPS: AppSeed[] = [
  { ns: 'production', name: 'api-gateway', replicas: 3, tags: ['v2.13.0', 'v2.14.2', 'v2.14.3'], team: 'platform', cpu: ['500m', '1'], mem: ['512Mi', '1Gi'], port: 8080, sidecar: true, ageDays: 62 },
  { ns: 'production', name: 'order-service', replicas: 3, tags: ['1.8.0', '1.8.1', '1.8.2'], team: 'trade', cpu: ['1', '2'], mem: ['1Gi', '1Gi'], port: 8080, ageDays: 58, crashPod: 0 },
  { ns: 'production', name: 'payment-service', replicas: 2, tags: ['3.2.0', '3.2.1'], team: 'trade', cpu: ['500m', '1'], mem: ['768Mi', '1Gi'], port: 8443, ageDays: 58 },
  { ns: 'production', name: 'user-service', replicas: 2, tags: ['1.21.0'], team: 'account', cpu: ['250m', '500m'], mem: ['256Mi', '512Mi'], port: 8080, ageDays: 40 },
  { ns: 'production', name: 'notification-worker', replicas: 1, tags: ['0.9.3', '0.9.4'], team: 'growth', cpu: ['100m', '500m'], mem: ['128Mi', '256Mi'], ageDays: 21 },
  { ns: 'production', name: 'data-export', replicas: 1, tags: ['2.0.1'], team: 'data', cpu: ['16', '16'], mem: ['8Gi', '8Gi'], ageDays: 0 },
  { ns: 'staging', name: 'api-gateway', replicas: 1, tags: ['v2.14.3', 'v2.15.0-rc.1'], team: 'platform', cpu: ['250m', '500m'], mem: ['256Mi', '512Mi'], port: 8080, sidecar: true, ageDays: 30 },
  { ns: 'staging', name: 'order-service', replicas: 1, tags: ['1.8.2', '1.9.0-rc.1'], team: 'trade', cpu: ['500m', '1'], mem: ['768Mi', '768Mi'], port: 8080, ageDays: 30 },
  { ns: 'kube-system', name: 'coredns', replicas: 2, tags: ['v1.11.3.2-f57ea7ed6-aliyun'], image: 'registry.cn-shanghai.aliyuncs.com/acs/coredns', team: 'platform', cpu: ['100m', '1'], mem: ['70Mi', '2Gi'], port: 53, ageDays: 86 },
  { ns: 'kube-system', name: 'metrics-server', replicas: 1, tags: ['v0.7.2'], image: 'registry.k8s.io/metrics-server/metrics-server', team: 'platform', cpu: ['100m', '200m'], mem: ['200Mi', '400Mi'], port: 10250, ageDays: 86 },
];

export interface SeedOptions {
  /** Add worker deployments in `production` until the cluster has at least this many pods (benchmarks). */
  minPods?: number;
}

/** Seeds a small company's cluster: 4 namespaces, 3 nodes, 10 deployments, one crash loop, one unschedulable pod. */
export function seedCluster(c: DemoCluster, opts: SeedOptions = {}): void {
  const now = c.now();
  for (const [ns, age] of [['default', 86], ['kube-system', 86], ['production', 80], ['staging', 80]] as const) {
    c.put(c.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: c.meta(ns, undefined, { labels: { 'kubernetes.io/metadata.name': ns } }, now - age * DAY),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  ['10.12.1.21', '10.12.1.22', '10.12.2.23'].forEach((ip, i) => {
    const name = `cn-shanghai.${ip}`;
    const zone = i < 2 ? 'cn-shanghai-b' : 'cn-shanghai-g';
    c.put(c.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: c.meta(name, undefined, {
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'ecs.g7.2xlarge',
          'topology.kubernetes.io/region': 'cn-shanghai',
          'topology.kubernetes.io/zone': zone,
        },
      }, now - 86 * DAY + i * 3_600_000),
      spec: { providerID: `cn-shanghai.i-uf6${(1000 + i).toString(36)}k2xq9`, podCIDR: `172.20.${i}.0/24` },
      status: {
        capacity: { cpu: '8', memory: '32386544Ki', pods: '110', 'ephemeral-storage': '123722704Ki' },
        allocatable: { cpu: '7910m', memory: '28912624Ki', pods: '110', 'ephemeral-storage': '114022843818' },
        conditions: [
          ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
          ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
          ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
          ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
        ].map(([type, status, reason, message]) => ({ type, status, reason, message, lastHeartbeatTime: iso(now), lastTransitionTime: iso(now - 20 * DAY) })),
        addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
        nodeInfo: {
          kubeletVersion: 'v1.31.4-aliyun.1',
          kubeProxyVersion: 'v1.31.4-aliyun.1',
          containerRuntimeVersion: 'containerd://1.6.36',
          kernelVersion: '5.10.134-18.al8.x86_64',
          osImage: 'Alibaba Cloud Linux 3.2104 U11 (OpenAnolis Edition)',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    });
  });
  APPS.forEach((a, i) => seedApp(c, a, now, i));
  seedBudgets(c, now);
  let extra = 0;
  while (opts.minPods && c.pods.size < opts.minPods) {
    const replicas = Math.min(100, opts.minPods - c.pods.size);
    seedApp(c, { ns: 'production', name: `batch-worker-${++extra}`, replicas, tags: ['1.0.0'], team: 'data', cpu: ['50m', '100m'], mem: ['64Mi', '128Mi'], ageDays: 3 }, now, 100 + extra);
  }
  reconcile(c);
}

function template(a: AppSeed, tag: string): PodTemplate {
  const containers: Container[] = [
    {
      name: a.name,
      image: `${a.image ?? `${REGISTRY}/${a.name}`}:${tag}`,
      ...(a.port ? { ports: [{ containerPort: a.port, name: a.port === 53 ? 'dns' : 'http', protocol: a.port === 53 ? 'UDP' : 'TCP' }] } : {}),
      resources: { requests: { cpu: a.cpu[0], memory: a.mem[0] }, limits: { cpu: a.cpu[1], memory: a.mem[1] } },
      env: [{ name: 'TZ', value: 'Asia/Shanghai' }, ...(a.name === 'order-service' ? [{ name: 'JAVA_OPTS', value: '-Xms512m -Xmx896m' }] : [])],
      imagePullPolicy: 'IfNotPresent',
    },
  ];
  if (a.sidecar) {
    containers.push({ name: 'log-agent', image: `${REGISTRY}/log-agent:1.4.0`, resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } });
  }
  return {
    metadata: {
      labels: { app: a.name, 'app.kubernetes.io/name': a.name, 'app.kubernetes.io/part-of': 'acme-shop', team: a.team },
      ...(a.sidecar ? { annotations: { 'kubectl.kubernetes.io/default-container': a.name } } : {}),
    },
    spec: { containers, terminationGracePeriodSeconds: 30 },
  };
}

function seedApp(c: DemoCluster, a: AppSeed, now: number, index: number): void {
  const created = now - a.ageDays * DAY - index * 3_600_000 - 120_000;
  const dep: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: c.meta(a.name, a.ns, { labels: { app: a.name, team: a.team }, annotations: { [REVISION]: String(a.tags.length) }, generation: a.tags.length }, created),
    spec: {
      replicas: a.replicas,
      selector: { matchLabels: { app: a.name } },
      template: template(a, a.tags[a.tags.length - 1] as string),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
  c.put(c.deployments, dep);
  a.tags.forEach((tag, r) => {
    const tpl = template(a, tag);
    const rs = createReplicaSet(c, { ...dep, spec: { ...dep.spec, template: tpl } }, templateHash(tpl), r + 1);
    const rsCreated = created + (r / a.tags.length) * (now - created) * 0.9;
    rs.metadata.creationTimestamp = iso(rsCreated);
    if (r < a.tags.length - 1) return;
    rs.spec.replicas = a.replicas;
    for (let p = 0; p < a.replicas; p++) {
      const podCreated = Math.max(rsCreated, now - (3 + ((index * 7 + p * 5) % 90)) * 3_600_000);
      const pod = createPod(c, rs, a.ageDays === 0 ? now - 150_000 : podCreated);
      if (a.ageDays === 0) {
        // Unschedulable: requests more CPU than any node has.
        const msg = `0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.`;
        pod.status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastTransitionTime: iso(now - 150_000) }];
        c.event(pod, 'Warning', 'FailedScheduling', msg, 'default-scheduler', now - 150_000);
        continue;
      }
      const nodes = [...c.nodes.values()];
      const node = nodes[(index + p) % nodes.length] as (typeof nodes)[number];
      pod.spec.nodeName = node.metadata.name;
      pod.status.hostIP = (node.status?.['addresses'] as { address: string }[])[0]?.address as string;
      markRunning(c, pod, podCreated + 20_000, false);
      if (p === a.crashPod) crashLoop(c, pod, now);
    }
  });
}

/**
 * Disruption budgets as a platform team sets them: api-gateway keeps two of its three pods, payment-service
 * loses at most one, user-service keeps both of its two (so a drain of a node that runs one waits — the
 * budget is the point), coredns keeps one.
 */
function seedBudgets(c: DemoCluster, now: number): void {
  const budgets: [string, string, { minAvailable?: number; maxUnavailable?: number }][] = [
    ['production', 'api-gateway', { minAvailable: 2 }],
    ['production', 'payment-service', { maxUnavailable: 1 }],
    ['production', 'user-service', { minAvailable: 2 }],
    ['kube-system', 'coredns', { minAvailable: 1 }],
  ];
  for (const [ns, app, rule] of budgets) {
    c.put(c.poddisruptionbudgets, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: c.meta(app, ns, { labels: { app } }, now - 30 * DAY), spec: { selector: { matchLabels: { app } }, ...rule }, status: {} });
  }
}

/** order-service's heap is too small for the nightly export: OOMKilled, restarted 14 times. */
function crashLoop(c: DemoCluster, pod: ReturnType<typeof createPod>, now: number): void {
  (pod.metadata.annotations ??= {})[FAULT_ANNOTATION] = 'oom-crashloop';
  const ct = pod.spec.containers[0] as Container;
  const cs = containerStatus(ct.name, ct.image, { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${ct.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})` } }, false);
  cs.restartCount = 14;
  cs.lastState = { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: iso(now - 275_000), finishedAt: iso(now - 180_000), containerID: `containerd://${'9f'.repeat(32)}` } };
  pod.status.containerStatuses = [cs];
  pod.status.conditions = (pod.status.conditions ?? []).map((cond) => (cond.type === 'Ready' || cond.type === 'ContainersReady' ? { ...cond, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${ct.name}]` } : cond));
  c.touch(pod);
  c.event(pod, 'Normal', 'Pulled', `Container image "${ct.image}" already present on machine`, 'kubelet', now - 275_000);
  c.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${ct.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, 'kubelet', now - 170_000);
  const ev = c.events[c.events.length - 1];
  if (ev) {
    ev.count = 61;
    ev.firstTimestamp = iso(now - 50 * 60_000);
  }
}
