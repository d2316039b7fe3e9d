import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCard, startTestApp, type TestApp } from '../helpers/start-app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const one = async (user: string, text: string): Promise<ApiCard> => {
  const cards = await app.send(user, text);
  expect(cards).toHaveLength(1);
  return cards[0]!;
};

describe('console API answers commands', () => {
  it('serves the page, health, readiness and metrics', async () => {
    const page = await fetch(`${app.url}/console`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>opsbot console</title>');
    expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${app.url}/readyz`)).json()).toEqual({ ok: true, checks: { kubernetes: 'ok', store: 'ok' } });
    expect(await (await fetch(`${app.url}/metrics`)).text()).toMatch(/^opsbot_store_bytes [1-9]\d*$/m);
    const users = (await (await fetch(`${app.url}/console/api/users`)).json()) as { users: { user: string }[] };
    expect(users.users.map((u) => u.user)).toEqual(['alice', 'bob', 'carol', 'dave']);
  });

  it('/pods: problems first, a count of the rest, drill-down buttons', async () => {
    const c = await one('alice', '/pods');
    expect(c.title).toBe('production · 12 pods · 2 need attention');
    expect(c.severity).toBe('danger');
    const lines = c.text.split('\n');
    expect(lines[2]).toMatch(/^❌\s+order-service-\S+\s+0\/1\s+CrashLoopBackOff \(OOMKilled\)\s+\d+ \(\d+m ago\)/);
    expect(lines[3]).toMatch(/^⏳\s+data-export-\S+\s+0\/1\s+Pending/);
    expect(c.text).toMatch(/Unschedulable: 0\/3 nodes are available: 3 Insufficient cpu/);
    expect(c.text).toMatch(/✅ 10 Running · oldest \d+h · newest \d+h/);
    expect(c.buttons.map((b) => b.action)).toEqual(['logs', 'describe', 'events']);
    expect(c.buttons[0]!.label).toBe('Logs order-service');
    // The signed payload stays on the server; the API shows only the action name.
    expect(JSON.stringify(c)).not.toMatch(/v1\.[A-Za-z0-9_-]{20,}\./);
  });

  it('/pods -A covers only the namespaces the person may see', async () => {
    const alice = await one('alice', '/pods -A');
    expect(alice.text).not.toContain('kube-system/');
    expect(alice.text).toContain('staging/api-gateway-');
    // … and says what it left out, rather than leaving it out silently.
    expect(alice.text).toMatch(/🔒 Not shown: kube-system — \d+ pods in namespaces your roles may not see \(policy\)/);
    const carol = await one('carol', '/pods -A');
    expect(carol.text).toContain('kube-system/coredns-');
    expect(carol.text).not.toContain('Not shown');
  });

  it('a drill-down click runs the read-only command for the clicking user', async () => {
    const pods = await one('alice', '/pods production');
    const r = await app.click('carol', pods.id, 'logs');
    expect(r.status).toBe(200);
    const logs = r.body.cards![0]!;
    expect(logs.title).toMatch(/^Logs · production\/order-service-\S+ · previous$/);
    expect(logs.text).toContain('java.lang.OutOfMemoryError: Java heap space');
    const d = (await app.click('bob', pods.id, 'describe')).body.cards![0]!;
    expect(d.title).toMatch(/^Pod production\/order-service-/);
    expect(d.text).toMatch(/Restarts: \d+ \(last \d+m ago, OOMKilled\)/);
    expect(d.text).toContain('BackOff');
  });

  it('/logs picks the troubled pod of a deployment and cuts to a size every platform accepts', async () => {
    const c = await one('alice', '/logs order-service --tail 40');
    expect(c.title).toMatch(/^Logs · production\/order-service-/);
    expect(c.text).toMatch(/⚠️ \d+ error lines in this window/);
    expect(c.text).toMatch(/pod order-service-\S+ of order-service \(3 pods\)/);
    expect(c.text).toMatch(/--previous shows the crashed container/);
    const big = await one('alice', '/logs api-gateway --tail 500');
    expect(Buffer.byteLength(big.text)).toBeLessThan(4096);
    expect(big.text).toMatch(/showing the last \d+ of 500 lines fetched \(card size limit\)/);
    expect(big.text).toMatch(/… \d+ earlier lines not shown/);
  });

  it('a message over 4,000 characters is answered plainly, on every platform the same, and nothing runs', async () => {
    const long = `/pods ${'x'.repeat(4100)}`;
    const c = await one('alice', long);
    expect(c.title).toBe('❓ the message is too long (4,106 characters; at most 4,000) — nothing was run');
  });

  it('/describe without a kind: a deployment by its name, a pod by its name; neither is said plainly', async () => {
    const d = await one('alice', '/describe api-gateway');
    expect(d.title).toMatch(/^Deployment production\/api-gateway · \d+\/\d+ ready/);
    const podName = (await app.kube.listPods('production')).find((p) => p.metadata?.name?.startsWith('order-service-'))!.metadata!.name!;
    const p = await one('alice', `/describe ${podName}`);
    expect(p.title).toContain(podName);
    const none = await one('alice', '/describe no-such-thing');
    expect(none.title).toBe('❌ no pod or deployment called "no-such-thing" in production');
    const bad = await one('alice', '/describe service x');
    expect(bad.title).toBe('❓ kind: must be one of pod, po, pods, deploy, deployment, deployments (got "service")');
  });

  it('/describe deploy, /events --warnings, /deployments, /nodes, /status, /help', async () => {
    const d = await one('alice', '/describe deploy order-service');
    expect(d.title).toBe('Deployment production/order-service · 2/3 ready');
    expect(d.text).toContain('Revision: 3');
    expect(d.text).toMatch(/order-service +\S+ +cpu \S+\/\S+ mem \S+\/\S+/);
    const ev = await one('alice', '/events production --warnings');
    expect(ev.text).toContain('FailedScheduling');
    expect(ev.text).not.toMatch(/\bPulled\b/);
    const deps = await one('alice', '/deployments');
    expect(deps.text.split('\n')[2]).toMatch(/^❌\s+data-export\s+0\/1/);
    const nodes = await one('alice', '/nodes');
    expect(nodes.title).toBe('3 nodes · all ready');
    expect(nodes.text).toMatch(/cn-shanghai\.10\.12\.1\.21\s+Ready\s+\d+\s+\d+%/);
    const st = await one('alice', '/status');
    expect(st.title).toMatch(/^Cluster status · \d+ problems$/);
    expect(st.text).toMatch(/Nodes: 3\/3 ready/);
    expect(st.text).toMatch(/❌ production\/order-service-\S+ CrashLoopBackOff \(OOMKilled\)/);
    const help = await one('carol', '/help');
    expect(help.text).toContain('/pods');
    expect(help.text).not.toContain('/scale');
    const h = await one('alice', '/help scale');
    expect(h.text).toContain('/scale <deployment> <replicas>');
    expect(h.title).toBe('/scale — Set the replica count of a deployment');
  });

  it('mutating commands become approval cards after a server-side dry run, and change nothing', async () => {
    const before = app.demo!.count('PATCH', /./, { dryRun: false });
    const c = await one('alice', '/scale api-gateway 5 -n production');
    expect(c.title).toMatch(/^Approval needed · [A-Z0-9]{4}$/);
    expect(c.text).toContain('replicas 3 → 5 · dry run ✓');
    expect(c.buttons.map((b) => b.action)).toEqual(['approve', 'reject']);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: true })).toBe(1);
    expect((await one('alice', '/restart order-service')).title).toMatch(/^Approval needed/);
    const rb = await one('alice', '/rollback payment-service');
    expect(rb.text).toContain('revision 2 → 1 (image 3.2.1 → 3.2.0)');
    expect((await one('alice', '/delete-pod nope-1')).title).toBe('❌ pod "nope-1" not found in namespace "production"');
    expect(app.demo!.count('PATCH', /./, { dryRun: false })).toBe(before);
    expect(app.demo!.count('DELETE', /./, { dryRun: false })).toBe(0);
  });
});

describe('bad input: a clear reply, nothing executed', () => {
  const cases: [string, string, RegExp][] = [
    ['alice', '/posd', /^❓ unknown command \/posd — did you mean \/pods\?/],
    ['alice', '/scale api-gateway 500', /^❓ replicas: must be between 0 and 20 \(policy limits.scale\), got 500/],
    ['alice', '/scale api-gateway lots', /^❓ replicas: must be a number/],
    ['alice', '/scale Bad_Name 2', /^❓ deployment: must be lowercase/],
    ['alice', '/logs x --since 3 days', /^❓ unexpected argument "days"/],
    ['alice', '/logs x --tail 9999', /^❓ tail: at most 500 lines/],
    ['alice', '/pods -n kube-system', /^⛔ Alice Wang may not use \/pods in namespace "kube-system"/],
    ['alice', '/pods -n secret-ns', /^⛔ namespace "secret-ns" is not managed by opsbot/],
    ['carol', '/scale api-gateway 3', /^⛔ Carol Zhang \(viewer\) may not request \/scale/],
    ['mallory', '/pods', /^⛔ console user "mallory" is not in the opsbot policy/],
    ['alice', '/describe deploy ngnix -n default', /^❌ deployment "ngnix" not found in namespace "default"/],
    ['alice', '/scale ngnix 2 -n default', /^❌ deployment "ngnix" not found in namespace "default"/],
  ];
  it.each(cases)('%s: %s', async (user, text, want) => {
    const before = app.demo!.requests.filter((r) => r.method !== 'GET' && !r.dryRun).length;
    const c = await one(user, text);
    expect(c.text.split('\n')[0]).toMatch(new RegExp(`^🟠|^🔴`));
    expect(c.title).toMatch(want);
    expect(app.demo!.requests.filter((r) => r.method !== 'GET' && !r.dryRun).length).toBe(before);
  });

  it('usage errors show the usage line', async () => {
    const c = await one('alice', '/scale api-gateway');
    expect(c.text).toContain('usage: /scale <deployment> <replicas>');
  });

  it('plain text gets a pointer to the slash commands', async () => {
    const c = await one('alice', 'production 里哪些 pod 在重启？');
    expect(c.text).toContain('/help');
  });

  it('DNS rebinding: a foreign Host or a cross-site Origin is refused and nothing runs; scripts without Origin work', async () => {
    const raw = (path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(app.url);
        const req = request({ host: u.hostname, port: u.port, path, method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const before = app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: true });
    const send = JSON.stringify({ user: 'alice', text: '/scale api-gateway 6' });
    const rebound = await raw('/console/api/send', { host: 'rebind.evil.example:3000', origin: 'http://rebind.evil.example:3000' }, send);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/loopback names only/);
    expect((await raw('/console', { host: 'rebind.evil.example' })).status).toBe(403);
    const port = new URL(app.url).port;
    const crossSite = await raw('/console/api/send', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, send);
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatch(/cross-origin request refused/);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: true })).toBe(before);
    // Its own page (same origin) and scripts (no Origin) are served.
    expect((await raw('/console/api/send', { host: `localhost:${port}`, origin: `http://localhost:${port}` }, JSON.stringify({ user: 'alice', text: '/status' }))).status).toBe(200);
    expect((await raw('/console/api/send', { host: `127.0.0.1:${port}` }, JSON.stringify({ user: 'alice', text: '/status' }))).status).toBe(200);
  });

  it('refuses malformed API requests with 4xx and a reason', async () => {
    const post = (path: string, body: string, type = 'application/json') => fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('/console/api/send', '{"user":"alice"}')).status).toBe(400);
    expect((await post('/console/api/send', 'not json')).status).toBe(400);
    expect((await post('/console/api/send', '{"user":"alice","text":"/pods"}', 'text/plain')).status).toBe(415);
    expect((await post('/console/api/send', JSON.stringify({ user: 'alice', text: 'x'.repeat(70_000) }))).status).toBe(413);
    expect((await post('/console/api/send', JSON.stringify({ user: 'alice', text: '/pods ' + 'x'.repeat(20_000) }))).status).toBe(400);
    const pods = await one('alice', '/pods');
    const bad = await app.click('alice', pods.id, 'delete-everything');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/has no action "delete-everything"/);
    expect((await app.click('alice', 'c_nope', 'logs')).status).toBe(404);
    expect((await fetch(`${app.url}/console/api/cards/c_nope`)).status).toBe(404);
  });

  it('GET /console/api/cards/<id> returns the card as it is now', async () => {
    const c = await one('alice', '/nodes');
    const got = (await (await fetch(`${app.url}/console/api/cards/${c.id}`)).json()) as ApiCard;
    expect(got).toMatchObject({ id: c.id, title: c.title, severity: c.severity, text: c.text, buttons: c.buttons });
  });
});

describe('console token', () => {
  it('is required on every API call when CONSOLE_TOKEN is set', async () => {
    const t = await startTestApp({ CONSOLE_TOKEN: 'a-very-long-console-token-123' });
    try {
      const body = JSON.stringify({ user: 'alice', text: '/nodes' });
      const h = { 'content-type': 'application/json' };
      expect((await fetch(`${t.url}/console/api/send`, { method: 'POST', headers: h, body })).status).toBe(401);
      expect((await fetch(`${t.url}/console/api/send`, { method: 'POST', headers: { ...h, authorization: 'Bearer wrong' }, body })).status).toBe(401);
      const ok = await fetch(`${t.url}/console/api/send`, { method: 'POST', headers: { ...h, authorization: 'Bearer a-very-long-console-token-123' }, body });
      expect(ok.status).toBe(200);
      expect((await fetch(`${t.url}/console`)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
