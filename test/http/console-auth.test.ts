import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

/**
 * Outside the demo (a configured cluster), the console acts as the person whose token is presented, and
 * no one else; the shared CONSOLE_TOKEN reads but cannot act as anyone.
 */
const ALICE = 'oc_alice-personal-token-000000000001';
const BOB = 'oc_bob-personal-token-0000000000000002';
const SHARED = 'console-shared-token-0123456789';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('console access outside the demo: personal tokens', () => {
  let cluster: DemoKubeServer;
  let app: TestApp;
  let appEnv: Record<string, string> = {};
  beforeAll(async () => {
    cluster = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-auth-'));
    writeFileSync(join(dir, 'kubeconfig'), demoKubeConfigText(cluster.url));
    writeFileSync(
      join(dir, 'policy.yaml'),
      `language: en
namespaces: { allow: [production], default: production }
roles:
  oncall: { commands: ["*"], namespaces: ["*"] }
  lead: { commands: ["*"], namespaces: ["*"] }
people:
  alice: { name: Alice Wang, roles: [oncall], ids: { console: alice }, consoleTokenSha256: ${sha(ALICE)} }
  bob: { name: Bob Li, roles: [lead], ids: { console: bob }, consoleTokenSha256: ${sha(BOB)} }
approvals: { risk: { medium: { steps: [{ role: lead }] }, high: { steps: [{ role: lead }] }, low: { steps: [{ role: lead }] } } }
`,
    );
    appEnv = { OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), OPSBOT_CONFIG: join(dir, 'policy.yaml'), HOST: '127.0.0.1' };
    app = await startTestApp({ ...appEnv, CONSOLE_TOKEN: SHARED });
  });
  afterAll(async () => {
    await app?.stop();
    await cluster?.stop();
  });
  const api = async (path: string, token: string | undefined, body?: unknown) => {
    const r = await fetch(`${app.url}/console/api/${path}`, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & { cards?: { id: string; title: string }[]; error?: string } };
  };

  it('no token: 401; a wrong one: 401', async () => {
    expect((await api('users', undefined)).status).toBe(401);
    expect((await api('send', 'oc_not-a-token', { user: 'alice', text: '/status' })).status).toBe(401);
  });

  it("alice's token acts as alice only: her request works, acting as bob is refused, and she cannot approve as bob", async () => {
    const users = await api('users', ALICE);
    expect(users.body['fixed']).toBe('alice');
    const req = await api('send', ALICE, { text: '/scale api-gateway 5' });
    expect(req.status).toBe(200);
    const card = req.body.cards![0]!;
    expect(card.title).toMatch(/^Approval needed/);
    const asBob = await api('click', ALICE, { user: 'bob', card: card.id, action: 'approve' });
    expect(asBob.status).toBe(403);
    expect(asBob.body.error).toMatch(/this token acts as Alice Wang only/);
    expect(cluster.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(0);
    // Bob's own token decides it.
    const ok = await api('click', BOB, { card: card.id, action: 'approve' });
    expect(ok.status).toBe(200);
    await app.approvals.idle();
    expect(cluster.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    expect((await app.audit()).some((e) => e.kind === 'approve' && e.actor === 'bob')).toBe(true);
  });

  it('the shared CONSOLE_TOKEN reads (status, audit) but cannot act as anyone', async () => {
    expect((await api('status', SHARED)).status).toBe(200);
    expect((await api('audit', SHARED)).status).toBe(200);
    expect((await api('users', SHARED)).body['readOnly']).toBe(true);
    const send = await api('send', SHARED, { user: 'bob', text: '/status' });
    expect(send.status).toBe(403);
    expect(send.body.error).toMatch(/CONSOLE_TOKEN reads only/);
  });

  it('with personal tokens only (no CONSOLE_TOKEN) the console still demands a token, and its pages ask for one', async () => {
    const only = await startTestApp(appEnv);
    try {
      expect((await fetch(`${only.url}/console/api/users`)).status).toBe(401);
      for (const page of ['/console', '/console/status', '/console/tools', '/console/config']) expect(await (await fetch(`${only.url}${page}`)).text()).toContain('const TOKEN_REQUIRED = true');
      const r = await fetch(`${only.url}/console/api/send`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` }, body: JSON.stringify({ text: '/status' }) });
      expect(r.status).toBe(200);
    } finally {
      await only.stop();
    }
  });
});
