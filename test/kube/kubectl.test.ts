import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';

const run = promisify(execFile);
let demo: DemoKubeServer;
let kubeconfig: string;
let cacheDir: string;

/** The real kubectl (on PATH; .ci/run installs it) against the embedded demo API. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 20_000, env: { PATH: process.env['PATH'] ?? '', HOME: cacheDir } });
  return stdout;
}

beforeAll(async () => {
  demo = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-kubectl-'));
  kubeconfig = join(dir, 'demo.kubeconfig');
  cacheDir = join(dir, 'cache');
  writeFileSync(kubeconfig, demoKubeConfigText(demo.url));
});
afterAll(() => demo.stop());

const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

describe('real kubectl against the demo API', () => {
  it('kubectl version talks to the server', async () => {
    const out = await kubectl('version', '-o', 'json');
    expect(JSON.parse(out).serverVersion.gitVersion).toMatch(/opsbot-demo/);
  });

  it('kubectl get pods -A prints the server-side table with every namespace', async () => {
    const out = rows(await kubectl('get', 'pods', '-A'));
    expect(out[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const body = out.slice(1);
    expect(new Set(body.map((r) => r[0]))).toEqual(new Set(['kube-system', 'production', 'staging']));
    const crash = body.find((r) => r[3] === 'CrashLoopBackOff');
    expect(crash?.[1]).toMatch(/^order-service-/);
    expect(crash?.[4]).toMatch(/^\d+ \(\d+m ago\)$/);
    expect(body.find((r) => r[3] === 'Pending')?.[1]).toMatch(/^data-export-/);
    expect(body.filter((r) => r[3] === 'Running').length).toBeGreaterThan(10);
  });

  it('kubectl get deploy -n production', async () => {
    const out = rows(await kubectl('get', 'deploy', '-n', 'production'));
    expect(out[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(out.find((r) => r[0] === 'api-gateway')?.slice(1, 4)).toEqual(['3/3', '3', '3']);
    expect(out.find((r) => r[0] === 'order-service')?.[1]).toBe('2/3');
  });

  it('kubectl logs (default container, --tail, --previous)', async () => {
    const name = (await kubectl('get', 'pods', '-n', 'production', '-l', 'app=api-gateway', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    const lines = (await kubectl('logs', '-n', 'production', name, '--tail', '3')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ logger: 'api-gateway.access' });
    const crash = rows(await kubectl('get', 'pods', '-n', 'production', '-l', 'app=order-service')).find((r) => r[2] === 'CrashLoopBackOff')![0]!;
    expect(await kubectl('logs', '-n', 'production', crash, '--previous', '--tail', '20')).toContain('java.lang.OutOfMemoryError: Java heap space');
  });

  it('kubectl scale changes the replicas and pods follow', async () => {
    expect((await kubectl('scale', 'deploy/api-gateway', '--replicas=5', '-n', 'production')).trim()).toBe('deployment.apps/api-gateway scaled');
    expect(demo.count('PATCH', /\/deployments\/api-gateway\/scale$/)).toBe(1);
    for (let i = 0; i < 100; i++) {
      const out = rows(await kubectl('get', 'deploy', 'api-gateway', '-n', 'production'));
      if (out[1]?.[1] === '5/5') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('api-gateway never became 5/5');
  });

  it('kubectl rollout restart rolls a new ReplicaSet; rollout undo returns', async () => {
    expect((await kubectl('rollout', 'restart', 'deploy/user-service', '-n', 'production')).trim()).toBe('deployment.apps/user-service restarted');
    const rs = rows(await kubectl('get', 'rs', '-n', 'production', '-l', 'app=user-service'));
    expect(rs.length - 1).toBe(2);
    const hist = await kubectl('rollout', 'history', 'deploy/user-service', '-n', 'production');
    expect(hist).toMatch(/^1\s/m);
    expect(hist).toMatch(/^2\s/m);
    expect((await kubectl('rollout', 'undo', 'deploy/payment-service', '-n', 'production')).trim()).toBe('deployment.apps/payment-service rolled back');
    const image = await kubectl('get', 'deploy', 'payment-service', '-n', 'production', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    expect(image).toMatch(/payment-service:3\.2\.0$/);
  });

  it('kubectl get nodes and events', async () => {
    const nodes = rows(await kubectl('get', 'nodes'));
    expect(nodes.slice(1).map((r) => r[1])).toEqual(['Ready', 'Ready', 'Ready']);
    const ev = await kubectl('get', 'events', '-n', 'production');
    expect(ev).toMatch(/FailedScheduling/);
    expect(ev).toMatch(/BackOff/);
  });
});

describe('real kubectl impersonating, against the demo RBAC table', () => {
  const refused = async (...args: string[]) => {
    try {
      await kubectl(...args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} was allowed`);
  };
  it('--as/--as-group: a viewer reads staging, is refused production in the API server\'s words; several groups each count', async () => {
    expect(await kubectl('get', 'pods', '-n', 'staging', '--as', 'opsbot:carol', '--as-group', 'opsbot:viewer')).toMatch(/^NAME/);
    expect(await refused('get', 'pods', '-n', 'production', '--as', 'opsbot:carol', '--as-group', 'opsbot:viewer')).toMatch(
      /Error from server \(Forbidden\): pods is forbidden: User "opsbot:carol" cannot list resource "pods" in API group "" in the namespace "production"/,
    );
    expect(await refused('get', 'deployment', 'api-gateway', '-n', 'production', '--as', 'opsbot:carol', '--as-group', 'opsbot:viewer')).toMatch(
      /deployments\.apps "api-gateway" is forbidden: User "opsbot:carol" cannot get resource "deployments" in API group "apps" in the namespace "production"/,
    );
    expect(await refused('get', 'pods', '-A', '--as', 'opsbot:carol', '--as-group', 'opsbot:viewer')).toMatch(/cannot list resource "pods" in API group "" at the cluster scope/);
    // kubectl sends one Impersonate-Group header per group; the second grants what the first does not.
    expect(await kubectl('get', 'pods', '-n', 'production', '--as', 'opsbot:bob', '--as-group', 'opsbot:viewer', '--as-group', 'opsbot:oncall')).toMatch(/^NAME/);
    expect(demo.requests.at(-1)?.as).toEqual({ user: 'opsbot:bob', groups: ['opsbot:viewer', 'opsbot:oncall'], extra: {} });
  });
});
