import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { impersonationHeaders } from '../../src/kube/client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a policy document edited in place
type Yaml = Record<string, any>;

/**
 * Policy `impersonation`: every call made for a person carries Kubernetes impersonation headers, and the
 * demo API decides with its RBAC table (src/kube/demo/rbac.ts) as an API server would.
 */
describe('per-user Kubernetes identity (impersonation)', () => {
  let app: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-imp-'));
    const p = parse(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')) as Yaml;
    p['language'] = 'en';
    p['impersonation'] = {};
    // erin is on call in the bot's policy, but the cluster knows her only as a viewer.
    p['people']['erin'] = { name: 'Erin', roles: ['oncall'], ids: { console: 'erin' }, kube: { user: 'erin@corp.example', groups: ['opsbot:viewer'] } };
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, stringify(p));
    app = await startTestApp({ OPSBOT_CONFIG: file });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const since = (from: number) => app.demo!.requests.slice(from).filter((r) => !/^\/(api|apis)(\/[^/]+(\/v1)?)?$|^\/version$/.test(r.path));

  it('a read-only command is sent as the person: the policy allows carol, the cluster refuses her production', async () => {
    let from = app.demo!.requests.length;
    const [ok] = await app.send('carol', '/pods -n staging');
    expect(ok!.title).not.toMatch(/forbid|error/i);
    expect(since(from).every((r) => r.as?.user === 'opsbot:carol' && r.as.groups.join() === 'opsbot:viewer')).toBe(true);
    from = app.demo!.requests.length;
    const [no] = await app.send('carol', '/pods -n production');
    expect(no!.text).toMatch(/Kubernetes RBAC forbids this: pods is forbidden: User "opsbot:carol" cannot list resource "pods" in API group "" in the namespace "production"/);
    expect(since(from).map((r) => r.as?.user)).toEqual(['opsbot:carol']);
  });

  it('an approved change runs as the requester, with the approver sent as an impersonation extra', async () => {
    const from = app.demo!.requests.length;
    const [card] = await app.send('alice', '/scale api-gateway 6 -n production');
    expect(card!.title).toMatch(/^Approval needed/);
    expect((await app.click('bob', card!.id, 'approve')).status).toBe(200);
    await app.dispatcher.idle();
    await expect.poll(async () => (await app.kube.readDeployment('production', 'api-gateway')).spec?.replicas, { timeout: 5000 }).toBe(6);
    const writes = since(from).filter((r) => r.method === 'PATCH');
    // The dry run at request time (no approver yet), then after approval the re-read (a GET) and the write
    // itself — no second dry run: the write answers what it would.
    expect(writes.map((r) => [r.dryRun, r.as?.user, r.as?.groups, r.as?.extra['approved-by']])).toEqual([
      [true, 'opsbot:alice', ['opsbot:oncall'], undefined],
      [false, 'opsbot:alice', ['opsbot:oncall'], ['bob']],
    ]);
    const reads = since(from).filter((r) => r.method === 'GET' && /deployments\/api-gateway$/.test(r.path));
    const approvedReads = reads.filter((r) => r.as?.extra['approved-by']?.[0] === 'bob');
    expect(approvedReads.length).toBeGreaterThan(0);
    expect(new Set(approvedReads.map((r) => r.as?.user))).toEqual(new Set(['opsbot:alice']));
  });

  it('a change the cluster would refuse is refused at request time, by the cluster, with nothing pending', async () => {
    const open = (await app.approvals.listOpen()).length;
    const [card] = await app.send('erin', '/scale api-gateway 3 -n production');
    expect(card!.text).toMatch(/forbidden: User "erin@corp\.example" cannot (get|patch) resource "deployments(\/scale)?" in API group "apps" in the namespace "production"/);
    expect((await app.approvals.listOpen()).length).toBe(open);
    expect((await app.kube.readDeployment('production', 'api-gateway')).spec?.replicas).toBe(6);
  });

  it('several groups are several headers (a comma-joined value would be one group)', () => {
    expect(impersonationHeaders({ user: 'u', groups: ['a', 'b'], extra: { 'Approved-By': ['x y'] } })).toEqual([
      ['Impersonate-User', 'u'],
      ['Impersonate-Group', 'a'],
      ['Impersonate-Group', 'b'],
      ['Impersonate-Extra-approved-by', 'x y'],
    ]);
  });

  it('bob (lead and on call) reaches the API with both groups, each its own header', async () => {
    const from = app.demo!.requests.length;
    await app.send('bob', '/deployments -n kube-system');
    expect(since(from)[0]?.as).toMatchObject({ user: 'opsbot:bob', groups: ['opsbot:lead', 'opsbot:oncall'] });
  });

  it('the bot\'s own calls (readiness) are not impersonated', async () => {
    const from = app.demo!.requests.length;
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(app.demo!.requests.slice(from).every((r) => !r.as)).toBe(true);
  });
});
