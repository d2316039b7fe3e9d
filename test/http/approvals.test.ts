import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCard, ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

const POLICY = join(ROOT, 'test/fixtures/policy.yaml');
const SCALE = /\/deployments\/[a-z-]+\/scale$/;

let app: TestApp;
let clock = Date.now();
beforeAll(async () => {
  clock = Date.now();
  app = await startTestApp({ OPSBOT_CONFIG: POLICY }, { now: () => clock, sweepMs: 60_000 });
});
afterAll(() => app.stop());

const one = async (user: string, text: string, chat?: string): Promise<ApiCard> => {
  const cards = await app.send(user, text, chat);
  expect(cards).toHaveLength(1);
  return cards[0]!;
};
const idOf = (c: ApiCard) => /· ([A-Z0-9]{4})/.exec(c.title)?.[1] ?? '';
const writes = (path: RegExp) => app.demo!.count('PATCH', path, { dryRun: false });

describe('approval flow (done-when)', () => {
  it('alice requests, alice and carol cannot approve, bob approves, the cluster scales, the card shows the result', async () => {
    const dryRuns = app.demo!.count('PATCH', SCALE, { dryRun: true });
    const req = await one('alice', '/scale api-gateway 5 -n production');
    const id = idOf(req);
    expect(req.title).toBe(`Approval needed · ${id}`);
    expect(app.demo!.count('PATCH', SCALE, { dryRun: true })).toBe(dryRuns + 1);
    expect(req.text).toContain('Alice Wang wants to scale production/api-gateway');
    expect(req.text).toContain('Change: replicas 3 → 5 · dry run ✓');
    expect(req.text).toContain('Risk: medium');
    expect(req.text).toMatch(/Approval: → lead \(until \d\d:\d\d, in 10m\)/);
    expect(req.text).toMatch(new RegExp(`expires \\d\\d:\\d\\d \\(in 10m\\) · or type /approve ${id}`));
    expect(req.buttons.map((b) => [b.label, b.action])).toEqual([['Approve', 'approve'], ['Reject', 'reject']]);

    const self = await app.click('alice', req.id, 'approve');
    expect(self.body.cards![0]!.title).toBe(`⛔ Alice Wang requested ${id}; someone else must approve it`);
    // Each refusal's advice fits it: the people who can decide, not "ask an admin".
    expect(self.body.cards![0]!.text).toContain('Nothing was run. Ask Bob Li / Dave Chen to approve it.');
    expect(self.body.cards![0]!.text).not.toMatch(/admin/);
    const viewer = await app.click('carol', req.id, 'approve');
    expect(viewer.body.cards![0]!.title).toBe(`⛔ Carol Zhang may not approve ${id} (needs role lead)`);
    expect(viewer.body.cards![0]!.text).toContain('Ask Bob Li / Dave Chen to approve it.');
    const oncall = await app.click('erin', req.id, 'approve');
    expect(oncall.body.cards![0]!.title).toMatch(/needs role lead/);
    expect(writes(SCALE)).toBe(0);

    const ok = await app.click('bob', req.id, 'approve');
    expect(ok.status).toBe(200);
    expect(ok.body.cards).toHaveLength(1);
    const interim = ok.body.cards![0]!;
    expect(interim.id).toBe(req.id); // updated in place
    expect(interim.title).toMatch(new RegExp(`^Approved by Bob Li \\d\\d:\\d\\d — executing… · ${id}$`));
    expect(interim.buttons).toEqual([]);

    await app.approvals.idle();
    const done = await app.card(req.id);
    expect(done.title).toMatch(new RegExp(`^Done · ${id} · approved by Bob Li \\d\\d:\\d\\d$`));
    expect(done.text).toMatch(/✅ scaled production\/api-gateway 3 → 5 — 5\/5 ready in \d+ s/);
    expect(writes(/\/deployments\/api-gateway\/scale$/)).toBe(1);
    // The dry run was the request's; the approved run re-read the target and wrote, without a second one.
    expect(app.demo!.count('PATCH', SCALE, { dryRun: true })).toBe(dryRuns + 1);
    expect((await app.kube.readDeployment('production', 'api-gateway')).status?.readyReplicas).toBe(5);

    const log = (await app.audit()).filter((e) => e.approvalId === id).map((e) => `${e.kind}:${e.actor}:${e.outcome}`).reverse();
    expect(log).toEqual(['request:alice:ok', 'refuse:alice:refused', 'refuse:carol:refused', 'refuse:erin:refused', 'approve:bob:ok', 'execute:alice:ok']);
  });

  it('a replayed click is answered "already approved by" and runs nothing', async () => {
    const req = await one('alice', '/scale user-service 3');
    await app.click('bob', req.id, 'approve');
    await app.approvals.idle();
    const again = await app.click('bob', req.id, 'approve');
    expect(again.body.cards![0]!.title).toMatch(new RegExp(`^❌ ${idOf(req)} was already approved by Bob Li at \\d\\d:\\d\\d \\(succeeded\\)$`));
    const late = await app.click('dave', req.id, 'reject');
    expect(late.body.cards![0]!.title).toMatch(/already approved by Bob Li/);
    expect(writes(/user-service\/scale$/)).toBe(1);
    // Counted as refused (someone decided first), never as an error of ours.
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_commands_total\{command="approve",outcome="refused"\} [1-9]/);
    expect(metrics).not.toMatch(/opsbot_commands_total\{command="approve",outcome="error"\}/);
  });

  it('nothing to do: scaling to the current replicas or rolling back to the current revision creates no approval', async () => {
    const before = (await app.approvals.listOpen()).length;
    const same = await one('alice', '/scale payment-service 2 -n production');
    expect(same.title).toBe('✅ production/payment-service already has 2 replicas — nothing to do');
    expect(same.text).toContain('Nothing was changed and no approval was requested.');
    expect(same.buttons).toEqual([]);
    const rev = await one('alice', '/rollback api-gateway --to-revision 3 -n production');
    expect(rev.title).toBe('✅ deployment "api-gateway" is already at revision 3');
    expect((await app.approvals.listOpen()).length).toBe(before);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_commands_total\{command="scale",outcome="nothing_to_do"\} 1/);
    expect((await app.audit()).some((e) => e.kind === 'command' && e.command === 'scale' && e.outcome === 'ok' && /^nothing to do: /.test(e.reason ?? ''))).toBe(true);
  });
});

describe('text fallbacks and other paths', () => {
  it('/reject <id> <reason> rejects and updates the original card in place', async () => {
    const req = await one('alice', '/restart order-service');
    const id = idOf(req);
    const r = await one('dave', `/reject ${id} not during the sale`);
    expect(r.title).toMatch(new RegExp(`^Rejected · ${id} · by Dave Chen \\d\\d:\\d\\d$`));
    expect(r.text).toContain('Reason: not during the sale');
    expect((await app.card(req.id)).title).toBe(r.title);
    expect((await one('bob', `/approve ${id.toLowerCase()}`)).title).toMatch(new RegExp(`^❌ ${id} was already rejected by Dave Chen`));
    expect(app.demo!.count('PATCH', /order-service$/, { dryRun: false })).toBe(0);
  });

  it('/approve <id> does what the button does', async () => {
    const req = await one('alice', '/scale payment-service 3');
    const r = await one('dave', `/approve ${idOf(req)}`);
    expect(r.title).toMatch(/^Approved by Dave Chen/);
    await app.approvals.idle();
    expect((await app.card(req.id)).title).toMatch(/^Done · /);
    expect((await app.card(r.id)).title).toMatch(/^Done · /); // every copy is updated
  });

  it('/cancel by the requester; nobody else', async () => {
    const req = await one('alice', '/scale user-service 4');
    const id = idOf(req);
    expect((await one('bob', `/cancel ${id}`)).title).toBe(`⛔ only Alice Wang can cancel ${id}; approvers can /reject it`);
    expect((await one('alice', `/cancel ${id}`)).title).toMatch(new RegExp(`^Cancelled · ${id} · by Alice Wang`));
    expect((await app.click('bob', req.id, 'approve')).body.cards![0]!.title).toMatch(/was cancelled by Alice Wang/);
  });

  it('/approvals lists what waits in this chat; /audit is for approvers only', async () => {
    const req = await one('alice', '/scale user-service 6');
    const list = await one('carol', '/approvals');
    expect(list.text).toContain(idOf(req));
    expect(list.text).toContain('scale production/user-service: replicas');
    expect((await one('carol', '/audit')).title).toBe('⛔ Carol Zhang may not read the audit log (approvers only)');
    const a = await one('bob', '/audit 5');
    expect(a.title).toBe('Audit · last 5 entries');
    await one('alice', `/cancel ${idOf(req)}`);
  });
});

describe('multi-step approval and auto-approval', () => {
  it('high risk needs on-call, then a different lead', async () => {
    const req = await one('alice', '/rollback payment-service');
    const id = idOf(req);
    expect(req.text).toMatch(/Approvals \(2 steps\): → oncall \(until \d\d:\d\d, in 5m\) · lead/);
    expect(req.text).toMatch(/\(in 5m\)/);
    const step1 = await app.click('bob', req.id, 'approve');
    expect(step1.body.cards![0]!.title).toBe(`Approval needed · ${id}`);
    expect(step1.body.cards![0]!.text).toMatch(/✓ oncall: Bob Li \d\d:\d\d · → lead \(until/);
    expect((await app.click('bob', req.id, 'approve')).body.cards![0]!.title).toBe(`⛔ Bob Li already approved an earlier step of ${id}; the next step needs a different person`);
    expect((await app.click('erin', req.id, 'approve')).body.cards![0]!.title).toMatch(/needs role lead, step 2\/2/);
    expect(writes(/payment-service$/)).toBe(0);
    await app.click('dave', req.id, 'approve');
    await app.approvals.idle();
    const done = await app.card(req.id);
    expect(done.title).toMatch(/^Done · .* approved by Dave Chen/);
    expect(done.text).toMatch(/rolled back production\/payment-service revision \d+ → \d+/);
    expect(writes(/payment-service$/)).toBe(1);
  });

  it('a policy auto-approve rule runs at once and is audited as auto-approved', async () => {
    const c = await one('alice', '/scale api-gateway 2 -n staging');
    expect(c.title).toMatch(/^Approved by policy — executing… · /);
    await app.approvals.idle();
    expect((await app.card(c.id)).text).toContain('auto-approved: policy approvals.autoApprove[0]');
    expect((await app.audit()).find((e) => e.approvalId === idOf(c) && e.kind === 'auto-approve')).toBeTruthy();
    // Beyond the rule's bound it needs a human.
    const manual = await one('alice', '/scale api-gateway 4 -n staging');
    expect(manual.title).toMatch(/^Approval needed/);
    await one('alice', `/cancel ${idOf(manual)}`);
  });
});

describe('safety', () => {
  it('drift: if the target changed since the request, nothing runs', async () => {
    const req = await one('alice', '/scale notification-worker 3');
    await app.kube.scaleDeployment('production', 'notification-worker', 2);
    const before = writes(/notification-worker\/scale$/);
    await app.click('bob', req.id, 'approve');
    await app.approvals.idle();
    const c = await app.card(req.id);
    expect(c.title).toMatch(/^Failed · /);
    expect(c.text).toContain('production/notification-worker changed since the request (was 1, now 2); nothing was run — send a new request');
    expect(writes(/notification-worker\/scale$/)).toBe(before);
  });

  it('expiry: a click after the deadline expires it; the sweeper expires the rest and updates cards', async () => {
    const a = await one('alice', '/scale user-service 7');
    const b = await one('alice', '/scale user-service 8');
    clock += 11 * 60_000;
    const late = await app.click('bob', a.id, 'approve');
    expect(late.body.cards![0]!.title).toMatch(new RegExp(`^❌ ${idOf(a)} expired at \\d\\d:\\d\\d; nothing was changed$`));
    expect((await app.card(a.id)).title).toBe(`Expired · ${idOf(a)}`);
    expect(await app.approvals.sweep()).toBe(1);
    await app.approvals.idle();
    expect((await app.card(b.id)).title).toBe(`Expired · ${idOf(b)}`);
    expect((await app.click('bob', b.id, 'approve')).body.cards![0]!.title).toMatch(/expired at/);
    expect(writes(/user-service\/scale$/)).toBe(1); // only the earlier, approved one
  });

  it('an approval belongs to its chat: another chat cannot decide it', async () => {
    const req = await one('alice', '/scale user-service 5', 'ops-room');
    const id = idOf(req);
    expect((await one('bob', `/approve ${id}`)).title).toBe(`⛔ approval ${id} belongs to another chat; decide it there`);
    // A button payload is bound to its chat too.
    const stored = await app.approvals.get(id);
    const payload = app.approvals.card(stored!).buttons![0]!.value;
    const [forged] = await app.router.click({ platform: 'console', userId: 'bob', chatId: 'console', payload });
    expect(forged!.title).toBe('❌ button belongs to another chat');
    expect((await one('bob', `/approve ${id}`, 'ops-room')).title).toMatch(/^Approved by Bob Li/);
    await app.approvals.idle();
  });

  it('forged or altered button payloads and unknown users are refused and audited', async () => {
    const req = await one('alice', '/scale user-service 2');
    const a = await app.approvals.get(idOf(req));
    const good = app.approvals.card(a!).buttons![1]!.value; // reject
    const [v, body, mac] = good.split('.') as [string, string, string];
    const altered = Buffer.from(Buffer.from(body, 'base64url').toString().replace('"reject"', '"approve"')).toString('base64url');
    const [r1] = await app.router.click({ platform: 'console', userId: 'bob', chatId: 'console', payload: `${v}.${altered}.${mac}` });
    expect(r1!.title).toBe('❌ button payload signature is invalid');
    const [r2] = await app.router.click({ platform: 'console', userId: 'bob', chatId: 'console', payload: 'v1.e30.AAAAAAAAAAAAAAAAAAAAAA' });
    expect(r2!.title).toBe('❌ button payload signature is invalid');
    const [r3] = await app.router.click({ platform: 'console', userId: 'mallory', chatId: 'console', payload: good });
    expect(r3!.title).toMatch(/^⛔ console user "mallory" is not in the opsbot policy/);
    const refusals = (await app.audit()).filter((e) => e.kind === 'refuse').map((e) => `${e.actor}:${e.reason}`);
    expect(refusals).toEqual(expect.arrayContaining(['bob:button payload signature is invalid', 'console:mallory:console user "mallory" is not in the opsbot policy; ask an admin to add you under people']));
    expect((await app.approvals.get(idOf(req)))!.state).toBe('pending');
    await one('alice', `/cancel ${idOf(req)}`);
  });

  it('50 concurrent approvals of one request lead to exactly one execution', async () => {
    const req = await one('alice', '/scale user-service 9');
    const before = writes(/user-service\/scale$/);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => app.click(i % 2 ? 'bob' : 'dave', req.id, 'approve')));
    await app.approvals.idle();
    const titles = results.map((r) => r.body.cards![0]!.title);
    expect(titles.filter((t) => t.startsWith('Approved by'))).toHaveLength(1);
    expect(titles.filter((t) => /was already approved by/.test(t))).toHaveLength(49);
    expect(writes(/user-service\/scale$/) - before).toBe(1);
    expect((await app.audit()).filter((e) => e.approvalId === idOf(req) && e.kind === 'execute')).toHaveLength(1);
  });

  it('concurrent clicks on one approval are decided in turn: one compare-and-set, no lost races to retry', async () => {
    const req = await one('alice', '/scale user-service 8');
    const store = app.store as unknown as { updateApproval: (next: { id: string; state: string }, v: number) => Promise<boolean> };
    const original = store.updateApproval;
    const attempts: { state: string; ok: boolean }[] = [];
    store.updateApproval = async (next, v) => {
      const ok = await original.call(app.store, next, v);
      if (next.id === idOf(req)) attempts.push({ state: next.state, ok });
      return ok;
    };
    try {
      // Straight to the router, all at once (as a burst of platform callbacks reaches it): each click's
      // reads then interleave with the others'.
      const stored = await app.store.getCard<{ view: { chat: string }; actions: Record<string, string> }>(`console:${req.id}`);
      const click = { platform: 'console' as const, userId: 'bob', chatId: stored!.view.chat, payload: stored!.actions['approve']! };
      const results = await Promise.all(Array.from({ length: 10 }, () => app.router.act(click)));
      await app.approvals.idle();
      expect(results.filter((r) => !r.refused)).toHaveLength(1);
      expect(results.filter((r) => r.refused && /already approved by/.test(r.refused))).toHaveLength(9);
      // The decision once; then the execution's outcome. No failed attempt.
      expect(attempts).toEqual([{ state: 'executing', ok: true }, { state: 'succeeded', ok: true }]);
    } finally {
      store.updateApproval = original;
    }
  });
});
