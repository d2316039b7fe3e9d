import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PatchStrategy } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UpstreamError } from '../../src/core/errors.js';
import { KubeClient, loadKubeConfig, REVISION_ANNOTATION } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { summarizePod } from '../../src/kube/pod-status.js';

let demo: DemoKubeServer;
let kube: KubeClient;
const FAST = { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 };

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  demo = await DemoKubeServer.start({ timings: FAST });
  kube = new KubeClient(loadKubeConfig({ kind: 'demo' }, demo.url), 5000);
});
afterAll(() => demo.stop());

describe('demo cluster through @kubernetes/client-node', () => {
  it('is seeded like a small company cluster', async () => {
    expect((await kube.version()).gitVersion).toMatch(/^v1\.\d+/);
    expect((await kube.listNamespaces()).map((n) => n.metadata?.name).sort()).toEqual(['default', 'kube-system', 'production', 'staging']);
    expect(await kube.listNodes()).toHaveLength(3);
    const deps = await kube.listDeployments(undefined);
    expect(deps.length).toBeGreaterThanOrEqual(6);
    for (const d of deps) {
      expect(d.spec?.template.spec?.containers[0]?.image).toMatch(/^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/);
      expect(d.spec?.template.spec?.containers[0]?.resources?.requests?.['cpu']).toBeTruthy();
      expect(d.spec?.template.metadata?.labels?.['app']).toBe(d.metadata?.name);
    }
    const pods = await kube.listPods(undefined);
    const byHealth = (h: string) => pods.filter((p) => summarizePod(p).health === h);
    const crash = byHealth('failing');
    expect(crash).toHaveLength(1);
    const s = summarizePod(crash[0]!);
    expect(s).toMatchObject({ status: 'CrashLoopBackOff', lastTerminationReason: 'OOMKilled' });
    expect(s.restarts).toBeGreaterThan(5);
    const pending = byHealth('pending');
    expect(pending).toHaveLength(1);
    const ev = await kube.listEvents('production', { kind: 'Pod', name: pending[0]!.metadata!.name! });
    expect(ev.map((e) => e.reason)).toContain('FailedScheduling');
    expect(ev[0]?.message).toMatch(/Insufficient cpu/);
    expect(byHealth('ok').length).toBeGreaterThan(10);
  });

  it('filters by namespace and label selector', async () => {
    const prod = await kube.listPods('production', 'app=api-gateway');
    expect(prod).toHaveLength(3);
    expect(prod.every((p) => p.metadata?.namespace === 'production' && p.metadata.labels?.['app'] === 'api-gateway')).toBe(true);
    expect(await kube.listPods('production', 'app in (api-gateway,user-service),team!=trade')).toHaveLength(5);
    expect(await kube.listPods('production', 'app=nothing')).toHaveLength(0);
    await expect(kube.listPods('production', 'app=(')).rejects.toThrow(/Kubernetes rejected the request: unable to parse/);
  });

  it('serves logs with tailLines, sinceSeconds, container, previous and timestamps', async () => {
    const [gw] = await kube.listPods('production', 'app=api-gateway');
    const name = gw!.metadata!.name!;
    const tail = (await kube.readPodLog('production', name, { tailLines: 5 })).trim().split('\n');
    expect(tail).toHaveLength(5);
    for (const l of tail) expect(JSON.parse(l)).toMatchObject({ logger: 'api-gateway.access', method: expect.any(String), status: expect.any(Number) });
    const recent = (await kube.readPodLog('production', name, { sinceSeconds: 30 })).trim().split('\n');
    const now = Date.now();
    for (const l of recent) expect(now - Date.parse(JSON.parse(l).time)).toBeLessThanOrEqual(31_000);
    const sidecar = await kube.readPodLog('production', name, { container: 'log-agent', tailLines: 1, timestamps: true });
    expect(sidecar).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \{.*"shipped batch"/);
    await expect(kube.readPodLog('production', name, { previous: true })).rejects.toThrow(/previous terminated container "api-gateway" in pod .* not found/);
    await expect(kube.readPodLog('production', name, { container: 'nope' })).rejects.toThrow(/container nope is not valid/);

    const crash = (await kube.listPods('production', 'app=order-service')).find((p) => summarizePod(p).health === 'failing')!;
    const prev = await kube.readPodLog('production', crash.metadata!.name!, { previous: true, tailLines: 40 });
    expect(prev).toContain('java.lang.OutOfMemoryError: Java heap space');
    expect(prev).toMatch(/\tat com\.acme\.order\.repository\.OrderRepository/);
    const pending = (await kube.listPods('production', 'app=data-export'))[0]!;
    await expect(kube.readPodLog('production', pending.metadata!.name!, {})).rejects.toThrow(/is waiting to start/);
  });

  it('maps API errors to one line', async () => {
    await expect(kube.readDeployment('default', 'ngnix')).rejects.toThrow(new NotFoundError('deployment "ngnix" not found in namespace "default"'));
    await expect(kube.readPod('production', 'x')).rejects.toThrow('pod "x" not found in namespace "production"');
  });

  it('scales through the scale subresource; new pods go Pending → Running, removed ones Terminating → gone', async () => {
    const before = (await kube.readDeployment('production', 'user-service')).spec?.replicas;
    expect(before).toBe(2);
    expect(await kube.scaleDeployment('production', 'user-service', 4)).toBe(4);
    const pods = await until('4 pods', async () => {
      const p = await kube.listPods('production', 'app=user-service');
      return p.length === 4 && p;
    });
    expect(pods.filter((p) => p.status?.phase === 'Pending')).toHaveLength(2);
    const done = await kube.waitForRollout('production', 'user-service', 8000);
    expect(done.done).toBe(true);
    expect(done.dep.status?.readyReplicas).toBe(4);
    expect((await kube.listEvents('production', { kind: 'Deployment', name: 'user-service' })).map((e) => e.message)).toContainEqual(expect.stringMatching(/^Scaled up replica set user-service-\w+ from 2 to 4$/));

    await kube.scaleDeployment('production', 'user-service', 1);
    const terminating = await until('terminating pods', async () => {
      const p = await kube.listPods('production', 'app=user-service');
      return p.filter((x) => x.metadata?.deletionTimestamp).length === 3 && p;
    });
    expect(terminating.map((p) => summarizePod(p).status)).toContain('Terminating');
    await until('pods gone', async () => (await kube.listPods('production', 'app=user-service')).length === 1);
  });

  it('validates with dryRun=All without changing anything', async () => {
    const patches = demo.count('PATCH', /user-service\/scale$/);
    await kube.scaleDeployment('production', 'user-service', 9, { dryRun: true });
    expect(demo.count('PATCH', /user-service\/scale$/, { dryRun: true })).toBe(1);
    expect(demo.count('PATCH', /user-service\/scale$/)).toBe(patches + 1);
    expect((await kube.readDeployment('production', 'user-service')).spec?.replicas).toBe(1);
    await expect(kube.scaleDeployment('production', 'user-service', 9999, { dryRun: true })).rejects.toThrow(/Kubernetes rejected the request: .*at most 500/);
  });

  it('rollout restart makes a new ReplicaSet with the next revision and rolls the pods', async () => {
    const dep = await kube.readDeployment('production', 'payment-service');
    const rev = Number(dep.metadata?.annotations?.[REVISION_ANNOTATION]);
    const oldPods = (await kube.listPods('production', 'app=payment-service')).map((p) => p.metadata?.name);
    await kube.restartDeployment('production', 'payment-service', new Date());
    const r = await kube.waitForRollout('production', 'payment-service', 8000);
    expect(r.done).toBe(true);
    expect(Number(r.dep.metadata?.annotations?.[REVISION_ANNOTATION])).toBe(rev + 1);
    const revs = await kube.revisions('production', r.dep);
    expect(revs[0]?.revision).toBe(rev + 1);
    expect(revs[0]?.rs.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    await until('old pods gone', async () => {
      const now = (await kube.listPods('production', 'app=payment-service')).map((p) => p.metadata?.name);
      return now.length === 2 && now.every((n) => !oldPods.includes(n));
    });
  });

  it('rollback returns to the previous revision\'s template', async () => {
    const dep = await kube.readDeployment('production', 'api-gateway');
    expect(dep.spec?.template.spec?.containers[0]?.image).toMatch(/:v2\.14\.3$/);
    const revs = await kube.revisions('production', dep);
    const prev = revs.find((x) => x.revision === 2)!;
    const tpl = structuredClone(prev.rs.spec!.template!);
    delete tpl.metadata!.labels!['pod-template-hash'];
    await kube.replaceDeploymentTemplate('production', 'api-gateway', tpl);
    const r = await kube.waitForRollout('production', 'api-gateway', 8000);
    expect(r.done).toBe(true);
    expect(r.dep.spec?.template.spec?.containers[0]?.image).toMatch(/:v2\.14\.2$/);
    expect(r.dep.metadata?.annotations?.[REVISION_ANNOTATION]).toBe('4');
    const after = await kube.revisions('production', r.dep);
    expect(after.map((x) => x.revision)).toEqual([4, 3, 1]);
  });

  it('applies merge and strategic merge patches like the API server', async () => {
    await kube.apps.patchNamespacedDeployment(
      { name: 'notification-worker', namespace: 'production', body: { spec: { template: { spec: { containers: [{ name: 'notification-worker', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }] } } } } },
      { middleware: [{ pre: (c: { setHeaderParam(k: string, v: string): void }) => { c.setHeaderParam('Content-Type', PatchStrategy.StrategicMergePatch); return Object.assign(Promise.resolve(c), { toPromise: () => Promise.resolve(c) }); }, post: (r: unknown) => Object.assign(Promise.resolve(r), { toPromise: () => Promise.resolve(r) }) }], middlewareMergeStrategy: 'append' } as never,
    );
    const d = await kube.readDeployment('production', 'notification-worker');
    const c = d.spec!.template.spec!.containers;
    expect(c).toHaveLength(1);
    expect(c[0]!.image).toMatch(/notification-worker:0\.9\.4$/);
    expect(c[0]!.env?.map((e) => e.name)).toEqual(['TZ', 'LOG_LEVEL']);
    expect(d.metadata?.generation).toBeGreaterThan(2);
  });

  it('deletes a pod gracefully and the ReplicaSet replaces it', async () => {
    const [p] = await kube.listPods('production', 'app=notification-worker');
    await kube.deletePod('production', p!.metadata!.name!);
    await until('replacement running', async () => {
      const pods = await kube.listPods('production', 'app=notification-worker');
      return pods.length === 1 && pods[0]!.metadata!.name !== p!.metadata!.name && summarizePod(pods[0]!).health === 'ok';
    });
  });
});

describe('scale subresource and kubeconfig contexts', () => {
  it('GET and PUT deployments/scale like the API server', async () => {
    const scale = await kube.apps.readNamespacedDeploymentScale({ name: 'order-service', namespace: 'staging' });
    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status?.selector).toBe('app=order-service');
    const put = await kube.apps.replaceNamespacedDeploymentScale({ name: 'order-service', namespace: 'staging', body: { ...scale, spec: { replicas: 2 } } });
    expect(put.spec?.replicas).toBe(2);
    expect((await kube.readDeployment('staging', 'order-service')).spec?.replicas).toBe(2);
    expect(demo.count('PUT', /staging\/deployments\/order-service\/scale$/)).toBe(1);
  });

  it('KUBECONFIG with KUBE_CONTEXT picks that context; an unknown context is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-kc-'));
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: dead', '  cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true }', `- name: demo`, `  cluster: { server: "${demo.url}", insecure-skip-tls-verify: true }`, 'users:', '- name: u', '  user: {}', 'contexts:', '- name: dead-ctx', '  context: { cluster: dead, user: u }', '- name: demo-ctx', '  context: { cluster: demo, user: u }', 'current-context: dead-ctx', ''].join('\n'),
    );
    const k = new KubeClient(loadKubeConfig({ kind: 'kubeconfig', path: file, context: 'demo-ctx' }), 5000);
    expect(k.contextName).toBe('demo-ctx');
    expect(await k.listNodes()).toHaveLength(3);
    expect(() => loadKubeConfig({ kind: 'kubeconfig', path: file, context: 'prod' })).toThrow(/KUBE_CONTEXT: context "prod" is not in .* \(has: dead-ctx, demo-ctx\)/);
  });
});

describe('Kubernetes client failures', () => {
  it('times out a call that never answers', async () => {
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const k = new KubeClient(loadKubeConfig({ kind: 'demo' }, url), 300);
    const started = Date.now();
    const err = await k.listPods('default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).userMessage).toBe('Kubernetes API did not answer within 0.3s');
    expect(Date.now() - started).toBeLessThan(3000);
    hang.closeAllConnections();
    hang.close();
  });

  it('says the API is unreachable when nothing listens', async () => {
    const k = new KubeClient(loadKubeConfig({ kind: 'demo' }, 'http://127.0.0.1:9'), 2000);
    await expect(k.listPods('default')).rejects.toThrow('Kubernetes API unreachable (ECONNREFUSED)');
  });
});
