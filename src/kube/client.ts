import { msg } from '../core/i18n.js';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  type V1Deployment,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  type V1ReplicaSet,
  type CoreV1Event,
  type VersionInfo,
} from '@kubernetes/client-node';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KubeConfigSource } from '../config/env.js';
import { withDeadline } from '../core/deadline.js';
import { UsageError } from '../core/errors.js';
import { type CallTarget, toKubeError } from './errors.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** Validate on the server without persisting (`dryRun=All`). */
  dryRun?: boolean;
}

export interface LogOptions {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  timestamps?: boolean;
}

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/**
 * client-node 1.x runs middleware through an rxjs stub that calls `.toPromise()` on what `pre`/`post`
 * return (ObjectParamAPI), or wraps a plain promise (PromiseAPI). A promise with `toPromise` fits both.
 */
type Both<T> = Promise<T> & { toPromise(): Promise<T> };
const both = <T>(v: T): Both<T> => {
  const p = Promise.resolve(v) as Both<T>;
  p.toPromise = () => Promise.resolve(v);
  return p;
};
type Middleware = { pre(ctx: RequestCtx): Both<RequestCtx>; post<T>(r: T): Both<T> };
interface RequestCtx {
  setSignal(s: AbortSignal): void;
  getAgent(): unknown;
  setAgent(a: unknown): void;
  setHeaderParam(k: string, v: string): void;
  getHeaders(): Record<string, string>;
  headers: unknown;
}

/**
 * Who a call is made as (Kubernetes impersonation): the API server checks RBAC for this user and these
 * groups, and its audit log records them and the `extra` fields (e.g. who approved).
 */
export interface KubeIdentity {
  user: string;
  groups?: readonly string[];
  extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The impersonation headers, one per value: Kubernetes reads each `Impersonate-Group` header as one group
 * (a comma-joined value would be one group named "a,b"). Extra keys are percent-encoded as the API requires.
 */
export function impersonationHeaders(id: KubeIdentity): [string, string][] {
  const out: [string, string][] = [['Impersonate-User', id.user]];
  for (const g of id.groups ?? []) out.push(['Impersonate-Group', g]);
  for (const [k, vs] of Object.entries(id.extra ?? {})) for (const v of vs) out.push([`Impersonate-Extra-${encodeURIComponent(k.toLowerCase())}`, v]);
  return out;
}

/** The agent options that decide who we are to the API server and whom we trust: one pooled agent per set. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'ciphers', 'secureProtocol', 'timeout'] as const;
/**
 * An idle pooled connection is closed after this: below the idle timeouts of what sits in front of API
 * servers (cloud load balancers: 15 s on some HTTP listeners, 60 s and more elsewhere), so a request is
 * not sent on a socket the other end is about to close. A server that says its own (`Keep-Alive:
 * timeout=N`) is believed when shorter.
 */
const KUBE_IDLE_SOCKET_MS = 10_000;

/** The library reads the CA and client certificate into new Buffers for every call: compared by content. */
function sameOption(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameOption(x, b[i]));
  return false;
}

/**
 * client-node 1.x makes a new `https.Agent` for every API call (applySecurityAuthentication), so every
 * call opened a new connection — a TCP and TLS handshake per call, on both ends (an approved change
 * made three). This keeps one keep-alive agent per cluster with exactly the options of the agent the
 * library made (CA, client certificate, verification), made again if those change (a rotated exec
 * certificate). Proxy agents (socks, hpagent) are left as made.
 */
class AgentPool {
  #current?: { made: Record<string, unknown>; agent: HttpAgent };

  for(made: unknown): unknown {
    if (!(made instanceof HttpAgent) || (made.constructor !== HttpsAgent && made.constructor !== HttpAgent)) return made;
    const options = (made as HttpAgent & { options: Record<string, unknown> }).options;
    const c = this.#current;
    if (c && c.agent.constructor === made.constructor && TLS_OPTIONS.every((k) => sameOption(c.made[k], options[k]))) return c.agent;
    const Ctor = made.constructor as typeof HttpsAgent;
    const agent = new Ctor({ ...options, keepAlive: true, timeout: (options['timeout'] as number | undefined) ?? KUBE_IDLE_SOCKET_MS });
    // The agent it replaces keeps its sockets until they go idle: requests on them finish.
    this.#current = { made: options, agent };
    return agent;
  }

  /** Closes the pooled connections (the app's shutdown). */
  close(): void {
    this.#current?.agent.destroy();
    this.#current = undefined;
  }
}

/**
 * Kubernetes access over `@kubernetes/client-node`. Every call has a timeout (KUBE_TIMEOUT) and can be
 * cancelled; every failure becomes a one-line OpsError (`deployment "ngnix" not found in namespace "default"`).
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly #version: VersionApi;
  readonly #timeoutMs: number;
  /** The client this one is a view of (`as`), whose onError it reports to. */
  readonly #root?: KubeClient;
  readonly identity?: KubeIdentity;
  readonly #agents: AgentPool;

  /** Each failed API call that is not "not found", by error code (/metrics: opsbot_kube_errors_total). */
  onError?: (code: string) => void;

  constructor(kc: KubeConfig, timeoutMs: number, view?: { of: KubeClient; identity: KubeIdentity }) {
    this.kubeConfig = kc;
    this.#timeoutMs = timeoutMs;
    if (view) {
      this.core = view.of.core;
      this.apps = view.of.apps;
      this.#version = view.of.#version;
      this.#root = view.of.#root ?? view.of;
      this.identity = view.identity;
      this.#agents = view.of.#agents;
    } else {
      this.#agents = new AgentPool();
      this.core = kc.makeApiClient(CoreV1Api);
      this.apps = kc.makeApiClient(AppsV1Api);
      this.#version = kc.makeApiClient(VersionApi);
    }
  }

  /** The same cluster, every call made as `identity` (impersonation headers); shares the connections. */
  as(identity: KubeIdentity): KubeClient {
    return new KubeClient(this.kubeConfig, this.#timeoutMs, { of: this.#root ?? this, identity });
  }

  /** Closes the kept-alive connections to the API server (views share them: close the client they came from). */
  close(): void {
    this.#agents.close();
  }

  /** Where the API is, for the startup log (no credentials). */
  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? '(unknown)';
  }

  get contextName(): string {
    return this.kubeConfig.getCurrentContext();
  }

  // --- reads -------------------------------------------------------------------------------------

  version(o: CallOptions = {}): Promise<VersionInfo> {
    // getCode(param, options): the options (our timeout and signal) are the second argument; passed as
    // the first they were ignored, and a server that never answered held /readyz and a socket forever.
    return this.#call({ kind: 'version' }, o, (opts) => this.#version.getCode({}, opts));
  }

  async listNamespaces(o: CallOptions = {}): Promise<V1Namespace[]> {
    return (await this.#call({ kind: 'namespaces' }, o, (opts) => this.core.listNamespace({}, opts))).items;
  }

  async listNodes(o: CallOptions = {}): Promise<V1Node[]> {
    return (await this.#call({ kind: 'nodes' }, o, (opts) => this.core.listNode({}, opts))).items;
  }

  /** Pods in one namespace, or in all when `namespace` is undefined. */
  async listPods(namespace: string | undefined, labelSelector?: string, o: CallOptions = {}): Promise<V1Pod[]> {
    const sel = labelSelector ? { labelSelector } : {};
    const list = await this.#call({ kind: 'pods', ...(namespace ? { namespace } : {}) }, o, (opts) =>
      namespace ? this.core.listNamespacedPod({ namespace, ...sel }, opts) : this.core.listPodForAllNamespaces(sel, opts),
    );
    return list.items;
  }

  /** Every pod scheduled on one node (field selector spec.nodeName), in all namespaces. */
  async listPodsOnNode(node: string, o: CallOptions = {}): Promise<V1Pod[]> {
    return (await this.#call({ kind: 'pods' }, o, (opts) => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, opts))).items;
  }

  readNode(name: string, o: CallOptions = {}): Promise<V1Node> {
    return this.#call({ kind: 'node', name }, o, (opts) => this.core.readNode({ name }, opts));
  }

  readPod(namespace: string, name: string, o: CallOptions = {}): Promise<V1Pod> {
    return this.#call({ kind: 'pod', name, namespace }, o, (opts) => this.core.readNamespacedPod({ name, namespace }, opts));
  }

  readPodLog(namespace: string, name: string, l: LogOptions, o: CallOptions = {}): Promise<string> {
    return this.#call({ kind: 'pod', name, namespace }, o, (opts) =>
      this.core.readNamespacedPodLog(
        {
          name,
          namespace,
          ...(l.container ? { container: l.container } : {}),
          ...(l.tailLines !== undefined ? { tailLines: l.tailLines } : {}),
          ...(l.sinceSeconds !== undefined ? { sinceSeconds: l.sinceSeconds } : {}),
          ...(l.previous ? { previous: true } : {}),
          ...(l.timestamps ? { timestamps: true } : {}),
        },
        opts,
      ),
    );
  }

  async listDeployments(namespace: string | undefined, o: CallOptions = {}): Promise<V1Deployment[]> {
    const list = await this.#call({ kind: 'deployments', ...(namespace ? { namespace } : {}) }, o, (opts) =>
      namespace ? this.apps.listNamespacedDeployment({ namespace }, opts) : this.apps.listDeploymentForAllNamespaces({}, opts),
    );
    return list.items;
  }

  readDeployment(namespace: string, name: string, o: CallOptions = {}): Promise<V1Deployment> {
    return this.#call({ kind: 'deployment', name, namespace }, o, (opts) => this.apps.readNamespacedDeployment({ name, namespace }, opts));
  }

  async listReplicaSets(namespace: string, labelSelector?: string, o: CallOptions = {}): Promise<V1ReplicaSet[]> {
    const sel = labelSelector ? { labelSelector } : {};
    return (await this.#call({ kind: 'replicasets', namespace }, o, (opts) => this.apps.listNamespacedReplicaSet({ namespace, ...sel }, opts))).items;
  }

  /** Events in a namespace (or all), optionally about one object. */
  async listEvents(namespace: string | undefined, involved?: { kind: string; name: string }, o: CallOptions = {}): Promise<CoreV1Event[]> {
    const fieldSelector = involved ? `involvedObject.kind=${involved.kind},involvedObject.name=${involved.name}` : undefined;
    const fs = fieldSelector ? { fieldSelector } : {};
    const list = await this.#call({ kind: 'events', ...(namespace ? { namespace } : {}) }, o, (opts) =>
      namespace ? this.core.listNamespacedEvent({ namespace, ...fs }, opts) : this.core.listEventForAllNamespaces(fs, opts),
    );
    return list.items;
  }

  // --- writes (each also validates with dryRun=All when asked) -----------------------------------

  async scaleDeployment(namespace: string, name: string, replicas: number, o: CallOptions = {}): Promise<number> {
    const scale = await this.#call({ kind: 'deployment', name, namespace }, o, (opts) =>
      this.apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas } }, ...(o.dryRun ? { dryRun: 'All' } : {}) },
        opts,
      ),
    PatchStrategy.MergePatch);
    return scale.spec?.replicas ?? replicas;
  }

  /** What `kubectl rollout restart` does: a new pod-template annotation, so the Deployment rolls its pods. */
  restartDeployment(namespace: string, name: string, at: Date, o: CallOptions = {}): Promise<V1Deployment> {
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at.toISOString() } } } } };
    return this.#call({ kind: 'deployment', name, namespace }, o, (opts) =>
      this.apps.patchNamespacedDeployment({ name, namespace, body, ...(o.dryRun ? { dryRun: 'All' } : {}) }, opts),
    PatchStrategy.StrategicMergePatch);
  }

  /** Replaces the pod template (rollback to a ReplicaSet's template), as `kubectl rollout undo` does. */
  replaceDeploymentTemplate(namespace: string, name: string, template: unknown, o: CallOptions = {}): Promise<V1Deployment> {
    const body = [{ op: 'replace', path: '/spec/template', value: template }];
    return this.#call({ kind: 'deployment', name, namespace }, o, (opts) =>
      this.apps.patchNamespacedDeployment({ name, namespace, body, ...(o.dryRun ? { dryRun: 'All' } : {}) }, opts),
    PatchStrategy.JsonPatch);
  }

  /** `kubectl cordon` / `uncordon`: marks the node (un)schedulable; its pods stay where they are. */
  cordonNode(name: string, unschedulable: boolean, o: CallOptions = {}): Promise<V1Node> {
    return this.#call({ kind: 'node', name }, o, (opts) =>
      this.core.patchNode({ name, body: { spec: { unschedulable } }, ...(o.dryRun ? { dryRun: 'All' } : {}) }, opts),
    PatchStrategy.MergePatch);
  }

  /**
   * Evicts a pod through the Eviction API (what `kubectl drain` does): the API server refuses with 429
   * while the pod's PodDisruptionBudget does not allow one more disruption (`kube_disruption_budget`).
   */
  async evictPod(namespace: string, name: string, o: CallOptions = {}): Promise<void> {
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, ...(o.dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}) };
    await this.#call({ kind: 'pod', name, namespace }, o, (opts) =>
      this.core.createNamespacedPodEviction({ name, namespace, body, ...(o.dryRun ? { dryRun: 'All' } : {}) }, opts),
    );
  }

  async deletePod(namespace: string, name: string, o: CallOptions = {}): Promise<void> {
    await this.#call({ kind: 'pod', name, namespace }, o, (opts) =>
      this.core.deleteNamespacedPod({ name, namespace, ...(o.dryRun ? { dryRun: 'All' } : {}) }, opts),
    );
  }

  /** ReplicaSets owned by a deployment, newest revision first. */
  async revisions(namespace: string, dep: V1Deployment, o: CallOptions = {}): Promise<{ revision: number; rs: V1ReplicaSet }[]> {
    const labels = dep.spec?.selector?.matchLabels ?? {};
    const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
    const sets = await this.listReplicaSets(namespace, selector || undefined, o);
    return sets
      .filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === dep.metadata?.uid))
      .map((rs) => ({ revision: Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0), rs }))
      .sort((a, b) => b.revision - a.revision);
  }

  /** Polls until the deployment's rollout is complete or `timeoutMs` passes. */
  async waitForRollout(namespace: string, name: string, timeoutMs: number, o: CallOptions = {}): Promise<{ done: boolean; dep: V1Deployment; elapsedMs: number }> {
    const start = Date.now();
    for (;;) {
      const dep = await this.readDeployment(namespace, name, o);
      if (rolloutComplete(dep)) return { done: true, dep, elapsedMs: Date.now() - start };
      if (Date.now() - start >= timeoutMs || o.signal?.aborted) return { done: false, dep, elapsedMs: Date.now() - start };
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // --- plumbing ----------------------------------------------------------------------------------

  async #call<T>(target: CallTarget, o: CallOptions, fn: (opts: never) => Promise<T>, contentType?: string): Promise<T> {
    if (o.signal?.aborted) throw new UsageError(msg('kube.cancelled'));
    return withDeadline(this.#timeoutMs, o.signal, (signal) => this.#send(target, signal, fn, contentType));
  }

  async #send<T>(target: CallTarget, signal: AbortSignal, fn: (opts: never) => Promise<T>, contentType?: string): Promise<T> {
    const identity = this.identity;
    const agents = this.#agents;
    const mw: Middleware = {
      pre: (ctx) => {
        ctx.setSignal(signal);
        ctx.setAgent(agents.for(ctx.getAgent()));
        if (contentType) ctx.setHeaderParam('Content-Type', contentType);
        // Headers as [name, value] pairs, so that each group is its own header: node-fetch (client-node
        // 1.x's HTTP library) appends every pair, where a record would hold one value per name. Nothing
        // after the middleware writes headers (authentication ran before it).
        if (identity) ctx.headers = [...Object.entries(ctx.getHeaders()), ...impersonationHeaders(identity)];
        return both(ctx);
      },
      post: (r) => both(r),
    };
    try {
      return await fn({ middleware: [mw], middlewareMergeStrategy: 'append' } as never);
    } catch (err) {
      const e = toKubeError(err, target, this.#timeoutMs);
      // A missing object is an answer, not an API error.
      if (e.code !== 'not_found') (this.#root ?? this).onError?.(e.code);
      throw e;
    }
  }
}

export function rolloutComplete(dep: V1Deployment): boolean {
  const want = dep.spec?.replicas ?? 1;
  const s = dep.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/** Builds a KubeConfig from the configured source. The demo passes its own server URL. */
export function loadKubeConfig(source: KubeConfigSource, demoServer?: string): KubeConfig {
  const kc = new KubeConfig();
  if (source.kind === 'kubeconfig') {
    kc.loadFromFile(source.path.split(':')[0] as string);
    if (source.context) {
      if (!kc.getContextObject(source.context)) {
        throw new UsageError(`KUBE_CONTEXT: context "${source.context}" is not in ${source.path} (has: ${kc.getContexts().map((c) => c.name).join(', ')})`);
      }
      kc.setCurrentContext(source.context);
    }
  } else if (source.kind === 'in-cluster') {
    kc.loadFromCluster();
  } else {
    if (!demoServer) throw new Error('demo server URL missing');
    kc.loadFromString(demoKubeConfigText(demoServer));
  }
  return kc;
}

/**
 * The kubeconfig of the embedded demo cluster(s), one context each (the first is current); also written
 * to data/demo.kubeconfig for kubectl.
 */
export function demoKubeConfigText(server: string | readonly { name: string; url: string }[]): string {
  const list = typeof server === 'string' ? [{ name: 'opsbot-demo', url: server }] : server;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...list.flatMap((c) => [
      `- name: ${c.name}`,
      '  cluster:',
      `    server: ${c.url}`,
      // client-node refuses plain http unless this is set; the demo API is http on loopback (there is no TLS to skip).
      '    insecure-skip-tls-verify: true',
    ]),
    // No credentials: the demo API listens on loopback only, and client-go will not send a bearer token over plain HTTP.
    'users:',
    '- name: demo',
    '  user: {}',
    'contexts:',
    ...list.flatMap((c) => [`- name: ${c.name}`, '  context:', `    cluster: ${c.name}`, '    user: demo', '    namespace: default']),
    `current-context: ${list[0]?.name ?? 'opsbot-demo'}`,
    '',
  ].join('\n');
}
