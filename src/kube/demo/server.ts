import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoCluster, type DemoTimings } from './cluster.js';
import { discovery } from './discovery.js';
import { demoExposition } from './metrics.js';
import { DEMO_RBAC, type DemoRbacRule, demoForbidden, type Impersonated, impersonatedBy } from './rbac.js';
import { LogError, podLogs } from './logs.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { seedCluster, type SeedOptions } from './seed.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { reconcile, startDeletion } from './simulator.js';
import { toTable, wantsTable } from './tables.js';
import type { Deployment, KObject, Pod } from './types.js';

const MAX_BODY = 1024 * 1024;
const MAX_REPLICAS = 500;

export interface DemoServerOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  timings?: Partial<DemoTimings>;
  seed?: SeedOptions;
  now?: () => number;
  /** The RBAC table for impersonated requests (default DEMO_RBAC); the bot's own requests are allowed. */
  rbac?: readonly DemoRbacRule[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  contentType?: string;
  dryRun: boolean;
  /** Who the request was made as (impersonation headers), when not the bot itself. */
  as?: Impersonated;
}

type Resource = 'namespaces' | 'nodes' | 'pods' | 'events' | 'deployments' | 'replicasets' | 'poddisruptionbudgets';
const GROUP: Record<Resource, '' | 'apps' | 'policy'> = { namespaces: '', nodes: '', pods: '', events: '', deployments: 'apps', replicasets: 'apps', poddisruptionbudgets: 'policy' };
const KIND: Record<Resource, string> = { namespaces: 'Namespace', nodes: 'Node', pods: 'Pod', events: 'Event', deployments: 'Deployment', replicasets: 'ReplicaSet', poddisruptionbudgets: 'PodDisruptionBudget' };
const CLUSTER_SCOPED = new Set<Resource>(['namespaces', 'nodes']);

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

/**
 * The embedded demo Kubernetes API: the real REST protocol (discovery, lists with label and field
 * selectors, server-side tables, logs, patches of three kinds, the scale subresource, dryRun=All,
 * Status errors) over an in-memory cluster that a controller loop keeps moving. kubectl and
 * client-node talk to it as to a real API server.
 */
export class DemoKubeServer {
  readonly cluster: DemoCluster;
  /** Every request, newest last (bounded), so tests can assert on what reached the API. */
  readonly requests: RecordedRequest[] = [];
  #server: Server;
  #timer?: NodeJS.Timeout;
  readonly #rbac: readonly DemoRbacRule[];
  url = '';

  private constructor(opts: DemoServerOptions) {
    this.#rbac = opts.rbac ?? DEMO_RBAC;
    this.cluster = new DemoCluster(opts.timings, opts.now);
    seedCluster(this.cluster, opts.seed);
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 5000;
  }

  static async start(opts: DemoServerOptions = {}): Promise<DemoKubeServer> {
    const s = new DemoKubeServer(opts);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (s.#server.address() as AddressInfo).port;
    s.url = `http://${host}:${port}`;
    s.#timer = setInterval(() => reconcile(s.cluster), s.cluster.timings.tickMs);
    s.#timer.unref();
    return s;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Tests: called with each request before it is handled (to inject a fault at a precise moment). */
  onRequest?: (r: { method: string; path: string; dryRun: boolean }) => void;

  /** How many recorded requests match. */
  count(method: string, path: RegExp, opts: { dryRun?: boolean } = {}): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path) && (opts.dryRun === undefined || r.dryRun === opts.dryRun)).length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo');
    const method = req.method ?? 'GET';
    const dryRun = url.searchParams.get('dryRun') === 'All';
    const as = impersonatedBy(req.headersDistinct);
    this.requests.push({ method, path: url.pathname, query: url.search, dryRun, ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}), ...(as ? { as } : {}) });
    if (this.requests.length > 20_000) this.requests.splice(0, 10_000);
    this.onRequest?.({ method, path: url.pathname, dryRun });
    try {
      const refused = as ? demoForbidden(this.#rbac, as, method, url.pathname) : undefined;
      if (refused) throw new HttpError(403, 'Forbidden', refused.message, refused.details);
      const body = method === 'GET' || method === 'DELETE' ? undefined : await readBody(req);
      const out = this.#route(method, url, req.headers.accept, req.headers['content-type'], body, dryRun);
      if (typeof out === 'string') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(out);
      } else {
        send(res, 200, out);
      }
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, e.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, ...(e.details ? { details: e.details } : {}), code: e.code });
      } else {
        send(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'internal error', reason: 'InternalError', code: 500 });
      }
    }
  }

  #route(method: string, url: URL, accept: string | undefined, contentType: string | undefined, body: Buffer | undefined, dryRun: boolean): unknown {
    const p = url.pathname.replace(/\/+$/, '');
    // The cluster's series (cAdvisor and kube-state-metrics style), for the demo's Prometheus.
    if (p === '/metrics' && method === 'GET') return demoExposition(this.cluster, this.cluster.now());
    const d = discovery(p, this.url);
    if (d !== undefined) return d;
    const m = p.match(/^\/(?:api\/v1|apis\/(apps|policy)\/v1)(\/.*)$/);
    if (!m) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const group = m[1] ?? '';
    const seg = (m[2] as string).split('/').slice(1).map(decodeURIComponent);
    let ns: string | undefined;
    if (seg[0] === 'namespaces' && seg.length >= 3) {
      ns = seg[1];
      seg.splice(0, 2);
    }
    const [resName, name, sub] = seg as [string, string | undefined, string | undefined];
    const resource = resName as Resource;
    if (!(resource in GROUP) || GROUP[resource] !== group || seg.length > 3) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    if (ns && CLUSTER_SCOPED.has(resource)) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');

    if (!name) {
      if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') throw new HttpError(405, 'MethodNotAllowed', 'watch is not supported by the demo cluster');
      return this.#list(resource, ns, url.searchParams, accept);
    }
    const obj = this.#get(resource, ns, name);
    if (!sub) {
      if (method === 'GET') return wantsTable(accept) ? toTable(resource, [obj], this.cluster.resourceVersion, this.cluster.now(), url.searchParams.get('includeObject')) : obj;
      if (method === 'PATCH' && resource === 'deployments') return this.#patchDeployment(obj as Deployment, contentType, body as Buffer, dryRun);
      if (method === 'PATCH' && resource === 'nodes') return this.#patchNode(obj, contentType, body as Buffer, dryRun);
      if (method === 'DELETE' && resource === 'pods') return this.#deletePod(obj as Pod, url.searchParams, dryRun);
      throw new HttpError(405, 'MethodNotAllowed', `the demo cluster does not allow ${method} on ${resource}`);
    }
    if (sub === 'log' && resource === 'pods' && method === 'GET') return this.#logs(obj as Pod, url.searchParams);
    if (sub === 'scale' && resource === 'deployments') return this.#scale(obj as Deployment, method, contentType, body, dryRun);
    if (sub === 'eviction' && resource === 'pods' && method === 'POST') return this.#evict(obj as Pod, body as Buffer, dryRun);
    throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
  }

  #all(resource: Resource): KObject[] {
    const c = this.cluster;
    if (resource === 'events') return c.events;
    return [...c[resource].values()];
  }

  #list(resource: Resource, ns: string | undefined, q: URLSearchParams, accept: string | undefined): unknown {
    let items = this.#all(resource).filter((o) => !ns || o.metadata.namespace === ns);
    const ls = q.get('labelSelector');
    if (ls) {
      const match = parseLabelSelector(ls);
      if (!match) throw new HttpError(400, 'BadRequest', `unable to parse requirement: invalid label selector "${ls}"`);
      items = items.filter((o) => match(o.metadata.labels ?? {}));
    }
    const fs = q.get('fieldSelector');
    if (fs) {
      const match = parseFieldSelector(fs);
      if (!match) throw new HttpError(400, 'BadRequest', `invalid field selector "${fs}"`);
      items = items.filter(match);
    }
    items.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
    const rv = this.cluster.resourceVersion;
    if (wantsTable(accept)) return toTable(resource, items, rv, this.cluster.now(), q.get('includeObject'));
    return { kind: `${KIND[resource]}List`, apiVersion: GROUP[resource] ? `${GROUP[resource]}/v1` : 'v1', metadata: { resourceVersion: rv }, items };
  }

  #get(resource: Resource, ns: string | undefined, name: string): KObject {
    const found = this.#all(resource).find((o) => o.metadata.name === name && (CLUSTER_SCOPED.has(resource) || o.metadata.namespace === ns));
    if (!found) {
      const qualified = GROUP[resource] ? `${resource}.${GROUP[resource]}` : resource;
      throw new HttpError(404, 'NotFound', `${qualified} "${name}" not found`, { name, ...(GROUP[resource] ? { group: GROUP[resource] } : {}), kind: resource });
    }
    return found;
  }

  #logs(pod: Pod, q: URLSearchParams): string {
    const num = (k: string) => {
      const v = q.get(k);
      if (v === null) return undefined;
      if (!/^-?\d+$/.test(v)) throw new HttpError(400, 'BadRequest', `invalid ${k}: "${v}"`);
      return Number(v);
    };
    const tailLines = num('tailLines');
    const sinceSeconds = num('sinceSeconds');
    try {
      return podLogs(this.cluster, pod, {
        ...(q.get('container') ? { container: q.get('container') as string } : {}),
        previous: q.get('previous') === 'true',
        timestamps: q.get('timestamps') === 'true',
        ...(tailLines !== undefined ? { tailLines } : {}),
        ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
      });
    } catch (e) {
      if (e instanceof LogError) throw new HttpError(e.code, 'BadRequest', e.message);
      throw e;
    }
  }

  #deletePod(pod: Pod, q: URLSearchParams, dryRun: boolean): unknown {
    if (dryRun) return pod;
    if (q.get('gracePeriodSeconds') === '0') {
      this.cluster.pods.delete(`${pod.metadata.namespace}/${pod.metadata.name}`);
      this.cluster.createdAt.delete(pod.metadata.uid);
      return pod;
    }
    startDeletion(this.cluster, pod, this.cluster.now());
    return pod;
  }

  /** Cordon and uncordon: of a node's spec only `unschedulable` may change here. */
  #patchNode(node: KObject, contentType: string | undefined, body: Buffer, dryRun: boolean): unknown {
    const next = applyPatch(node, contentType, body) as KObject & { spec?: Record<string, unknown> };
    const was = { ...(node['spec'] as Record<string, unknown>) };
    const now = { ...(next.spec ?? {}) };
    delete was['unschedulable'];
    delete now['unschedulable'];
    if (JSON.stringify(was) !== JSON.stringify(now) || next.metadata?.name !== node.metadata.name) throw new HttpError(422, 'Invalid', `Node "${node.metadata.name}" is invalid: the demo cluster only changes spec.unschedulable`);
    const u = next.spec?.['unschedulable'];
    if (u !== undefined && u !== null && typeof u !== 'boolean') throw new HttpError(422, 'Invalid', `Node "${node.metadata.name}" is invalid: spec.unschedulable: Invalid value: must be a boolean`);
    const result = structuredClone(node) as KObject & { spec: Record<string, unknown> };
    if (u) result.spec['unschedulable'] = true;
    else delete result.spec['unschedulable'];
    if (dryRun) return result;
    node['spec'] = result.spec;
    this.cluster.touch(node);
    this.cluster.event(node, 'Normal', u ? 'NodeNotSchedulable' : 'NodeSchedulable', `Node ${node.metadata.name} status is now: ${u ? 'NodeNotSchedulable' : 'NodeSchedulable'}`, 'node-controller', this.cluster.now());
    return node;
  }

  /**
   * The Eviction API as the API server runs it: the pod's PodDisruptionBudgets (same namespace, selector
   * matching its labels) must allow one more disruption, else 429 — the caller retries later. An evicted
   * pod is deleted gracefully; its ReplicaSet makes a replacement on a schedulable node.
   */
  #evict(pod: Pod, body: Buffer, dryRun: boolean): unknown {
    const ev = parseJson(body) as { kind?: string; metadata?: { name?: string }; deleteOptions?: { dryRun?: string[] } };
    if (ev?.kind !== 'Eviction') throw new HttpError(400, 'BadRequest', 'the body must be a policy/v1 Eviction');
    if (ev.metadata?.name !== pod.metadata.name) throw new HttpError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
    const dry = dryRun || Boolean(ev.deleteOptions?.dryRun?.includes('All'));
    const ns = pod.metadata.namespace;
    const status = (reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', reason, message, code: 201 });
    if (pod.metadata.deletionTimestamp) return status('', 'pod is already terminating');
    const healthyOf = (sel: Record<string, string>) => [...this.cluster.pods.values()].filter((p) => p.metadata.namespace === ns && Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v) && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const podHealthy = Boolean(pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    for (const pdb of this.cluster.poddisruptionbudgets.values()) {
      if (pdb.metadata.namespace !== ns) continue;
      const spec = pdb['spec'] as { selector: { matchLabels: Record<string, string> }; minAvailable?: number; maxUnavailable?: number };
      const sel = spec.selector.matchLabels;
      if (!Object.entries(sel).every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
      // An unhealthy pod may always go (it does not count towards what the budget protects).
      if (!podHealthy) continue;
      const healthy = healthyOf(sel).length;
      const expected = [...this.cluster.pods.values()].filter((p) => p.metadata.namespace === ns && Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v) && !p.metadata.deletionTimestamp).length;
      const desired = spec.minAvailable ?? Math.max(0, expected - (spec.maxUnavailable ?? 0));
      if (healthy - 1 < desired) {
        throw new HttpError(429, 'TooManyRequests', `Cannot evict pod as it would violate the pod's disruption budget.`, { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} needs ${desired} healthy pods and has ${healthy} currently` }] });
      }
    }
    if (dry) return status('', 'dry run: the pod would be evicted');
    startDeletion(this.cluster, pod, this.cluster.now());
    return status('', `pod ${pod.metadata.name} evicted`);
  }

  #patchDeployment(dep: Deployment, contentType: string | undefined, body: Buffer, dryRun: boolean): unknown {
    const next = applyPatch(dep, contentType, body) as Deployment;
    validateDeployment(dep, next);
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(dep.spec);
    const result = structuredClone(next);
    if (specChanged) result.metadata.generation = (dep.metadata.generation ?? 1) + 1;
    result.metadata.resourceVersion = dryRun ? dep.metadata.resourceVersion : this.cluster.nextRV();
    if (dryRun) return result;
    dep.metadata = result.metadata;
    dep.spec = result.spec;
    return dep;
  }

  #scale(dep: Deployment, method: string, contentType: string | undefined, body: Buffer | undefined, dryRun: boolean): unknown {
    const current = scaleOf(dep);
    if (method === 'GET') return current;
    let next: { spec?: { replicas?: unknown } };
    if (method === 'PATCH') next = applyPatch(current, contentType, body as Buffer) as typeof next;
    else if (method === 'PUT') next = parseJson(body as Buffer) as typeof next;
    else throw new HttpError(405, 'MethodNotAllowed', `the server does not allow ${method} on deployments/scale`);
    const replicas = next?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new HttpError(422, 'Invalid', `Scale.autoscaling "${dep.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    }
    if (replicas > MAX_REPLICAS) throw new HttpError(422, 'Invalid', `Scale.autoscaling "${dep.metadata.name}" is invalid: spec.replicas: the demo cluster allows at most ${MAX_REPLICAS}`);
    if (dryRun) return { ...current, spec: { replicas } };
    if (replicas !== dep.spec.replicas) {
      dep.spec.replicas = replicas;
      dep.metadata.generation = (dep.metadata.generation ?? 1) + 1;
      this.cluster.touch(dep);
    }
    return scaleOf(dep);
  }
}

function scaleOf(dep: Deployment) {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = dep.metadata;
  const selector = Object.entries(dep.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
  return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace, uid, resourceVersion, creationTimestamp }, spec: { replicas: dep.spec.replicas }, status: { replicas: Number(dep.status['replicas'] ?? 0), selector } };
}

function applyPatch(target: unknown, contentType: string | undefined, body: Buffer): unknown {
  const ct = (contentType ?? '').split(';')[0]?.trim();
  const patch = parseJson(body);
  try {
    if (ct === 'application/merge-patch+json') return mergePatch(target, patch);
    if (ct === 'application/strategic-merge-patch+json') return strategicMergePatch(target, patch);
    if (ct === 'application/json-patch+json') return jsonPatch(target, patch);
  } catch (e) {
    if (e instanceof PatchError) throw new HttpError(422, 'Invalid', e.message);
    throw e;
  }
  throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
}

function validateDeployment(before: Deployment, after: Deployment): void {
  const invalid = (field: string, msg: string) => new HttpError(422, 'Invalid', `Deployment.apps "${before.metadata.name}" is invalid: ${field}: ${msg}`);
  if (after.metadata?.name !== before.metadata.name || after.metadata?.namespace !== before.metadata.namespace) throw invalid('metadata.name', 'field is immutable');
  if (JSON.stringify(after.spec?.selector) !== JSON.stringify(before.spec.selector)) throw invalid('spec.selector', 'Invalid value: field is immutable');
  const r = after.spec?.replicas;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) throw invalid('spec.replicas', `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`);
  if (r > MAX_REPLICAS) throw invalid('spec.replicas', `the demo cluster allows at most ${MAX_REPLICAS}`);
  const cts = after.spec?.template?.spec?.containers;
  if (!Array.isArray(cts) || !cts.length) throw invalid('spec.template.spec.containers', 'Required value');
  cts.forEach((c, i) => {
    if (!c || typeof c.name !== 'string' || !c.name) throw invalid(`spec.template.spec.containers[${i}].name`, 'Required value');
    if (typeof c.image !== 'string' || !c.image) throw invalid(`spec.template.spec.containers[${i}].image`, 'Required value');
  });
  const labels = after.spec.template.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(after.spec.selector.matchLabels)) {
    if (labels[k] !== v) throw invalid('spec.template.metadata.labels', `Invalid value: selector does not match template labels`);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
