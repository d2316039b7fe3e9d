import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { APP_CALLS, key, KUBE_CALLS, renderRbac, requiredVerbs, verbOfRequest } from '../../src/kube/rbac.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

let cluster: DemoKubeServer;
let app: TestApp;
const dir = mkdtempSync(join(tmpdir(), 'opsbot-rbac-'));
beforeAll(async () => {
  cluster = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
  writeFileSync(join(dir, 'kubeconfig'), demoKubeConfigText(cluster.url));
  app = await startTestApp({ OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), HOST: '127.0.0.1' });
});
afterAll(async () => {
  await app?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command (approving it when it asks) and returns the permissions its requests needed. */
async function used(text: string, who: [string, string] = ['alice', 'bob']): Promise<Set<string>> {
  await app.dispatcher.idle();
  const from = cluster.requests.length;
  const [card] = await app.send(who[0], text);
  expect(card?.title, text).not.toMatch(/^❌|may not/);
  if (card && /^Approval needed/.test(card.title)) {
    const click = await app.click(who[1], card.id, 'approve');
    expect(click.status, text).toBe(200);
  }
  await app.dispatcher.idle();
  const out = new Set<string>();
  for (const r of cluster.requests.slice(from)) {
    const x = verbOfRequest(r.method, r.path);
    if (x) out.add(key(x));
  }
  return out;
}

describe('RBAC from the command registry', () => {
  it('every command calls exactly what it declares, and the rules grant exactly that', async () => {
    const pod = (await app.kube.listPods('production')).find((p) => p.metadata?.name?.startsWith('user-service'))!.metadata!.name!;
    const node = 'cn-shanghai.10.12.2.23';
    const other = (await app.kube.listPods('production')).find((p) => p.metadata?.name?.startsWith('payment-service'))!.metadata!.name!;
    const runs: [string, string, string?, string?][] = [
      ['pods', '/pods -n production'],
      ['pods', '/pods -A'],
      ['deployments', '/deployments -n production'],
      ['deployments', '/deployments -A'],
      ['describe', '/describe deployment api-gateway -n production'],
      ['describe', `/describe pod ${pod} -n production`],
      ['events', '/events production'],
      ['logs', '/logs api-gateway -n production'],
      ['nodes', '/nodes'],
      ['status', '/status'],
      ['clusters', '/clusters'],
      ['report', '/report'],
      ['investigate', '/investigate order-service -n production'],
      ['scale', '/scale api-gateway 4 -n production'],
      ['restart', '/restart user-service -n production'],
      ['rollback', '/rollback order-service -n production'],
      ['delete-pod', `/delete-pod ${pod} -n production`],
      ['cordon', `/cordon ${node}`],
      ['uncordon', `/uncordon ${node}`],
      ['drain', `/drain ${node}`, 'bob', 'alice'],
      // A runbook makes its own reads and waits; its steps are commands that declare theirs.
      ['runbook', `/runbook show pod_restart pod=${other} namespace=production`],
      ['runbook', '/runbook show scale_down deployment=api-gateway namespace=production by=1'],
      ['runbook', `/runbook show drain_node node=${node}`, 'bob'],
      ['runbook-run', '/runbook run scale_up deployment=api-gateway namespace=production by=1'],
      ['runbook-run', `/runbook run drain_node node=${node}`, 'bob', 'alice'],
      ['runbook-run', `/runbook run pod_restart pod=${other} namespace=production`],
    ];
    const recorded = new Map<string, Set<string>>();
    for (const [name, text, from, by] of runs) {
      const got = await used(text, [from ?? 'alice', by ?? 'bob']);
      recorded.set(name, new Set([...(recorded.get(name) ?? []), ...got]));
    }
    const declared = (name: string) => new Set(requiredVerbs(COMMANDS.filter((c) => c.name === name)).map(key));
    // Runbooks: every call is their own or one of a step command's, and each of their own was made.
    const steps = new Set(requiredVerbs(COMMANDS.filter((c) => ['scale', 'delete-pod', 'cordon', 'drain'].includes(c.name))).map(key));
    for (const rb of ['runbook', 'runbook-run']) {
      const got = recorded.get(rb) ?? new Set<string>();
      expect([...got].filter((x) => !declared(rb).has(x) && !steps.has(x)), `/${rb} calls only what it and its steps declare`).toEqual([]);
      expect([...declared(rb)].filter((x) => !got.has(x)), `/${rb} makes each call it declares`).toEqual([]);
      recorded.delete(rb);
    }
    const calls = Object.fromEntries([...recorded].map(([name, got]) => [name, [...got].sort()]));
    expect(calls, 'each command calls the API as its `kube` list declares').toEqual(Object.fromEntries([...recorded.keys()].map((name) => [name, [...declared(name)].sort()])));
    // A command that declares calls must have been run above (or its declaration is untested).
    for (const c of COMMANDS) if (c.kube?.length && !c.name.startsWith('runbook')) expect(recorded.has(c.name), `/${c.name} declares Kubernetes calls but is not exercised here`).toBe(true);
    // Every client method is described (a new one must say what it needs).
    expect(Object.keys(KUBE_CALLS).sort()).toContain('scaleDeployment');
  }, 60_000);

  it('deploy/base/rbac.yaml is generated from the registry (npm run rbac) and grants nothing else', () => {
    const want = renderRbac(requiredVerbs(COMMANDS, APP_CALLS));
    expect(readFileSync(join(ROOT, 'deploy/base/rbac.yaml'), 'utf8'), 'run `npm run rbac` after changing a command\'s kube calls').toBe(want);
  });
});
