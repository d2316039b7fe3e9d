import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { RedisStore } from '../../src/core/store/redis.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FakeFeishuBot } from '../fakes/feishu-bot.js';
import { RedisServer } from '../helpers/redis.js';
import { clickEnvelope, FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until, untilAsync } from '../helpers/until.js';
import { FakeWecom } from '../fakes/wecom-api.js';
import { wecomEnv } from '../helpers/sign-wecom.js';

/** Two opsbot processes' worth of app on one real redis-server, one cluster, one Feishu. */
const haveRedis = RedisServer.available();
let redis: RedisServer;
let cluster: DemoKubeServer;
let api: FakeFeishuApi;
let a: TestApp;
let b: TestApp;
const dir = mkdtempSync(join(tmpdir(), 'opsbot-replicas-'));

beforeAll(async () => {
  if (!haveRedis) return;
  redis = await RedisServer.start();
  cluster = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
  api = await new FakeFeishuApi().start();
  writeFileSync(join(dir, 'kubeconfig'), demoKubeConfigText(cluster.url));
  const env = { ...feishuEnv(api.url, 'http'), OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), HOST: '127.0.0.1', OPSBOT_STORE: redis.url, OPSBOT_SECRET: 'replicas-share-this-signing-key-0123456789abcdef' };
  [a, b] = await Promise.all([startTestApp(env, { sweepMs: 100 }), startTestApp(env, { sweepMs: 100 })]);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await api?.stop();
  await cluster?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = async (app: TestApp, plain: unknown) => {
  const { headers, body } = signedRequest(plain);
  const res = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
const idle = () => Promise.all([a.dispatcher.idle(), b.dispatcher.idle()]);

describe.skipIf(!haveRedis)('two replicas on one Redis', () => {
  it('the same event delivered to both is answered once', async () => {
    const before = api.messages.length;
    const ev = messageEnvelope(FEISHU.carol, '/pods production', { eventId: 'ev-both-replicas' });
    const [ra, rb] = await Promise.all([post(a, ev), post(b, ev)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    await idle();
    expect(api.messages.length - before).toBe(1);
  });

  it('one approval clicked on both executes once, and both see it done', async () => {
    const before = api.messages.length;
    await post(a, messageEnvelope(FEISHU.alice, '/scale api-gateway 5 -n production'));
    await idle();
    const card = api.messages.slice(before).find((m) => /^Approval needed · /.test(m.card.header.title.content))!;
    const id = /· ([A-Z0-9]{4})$/.exec(card.card.header.title.content)![1]!;
    const approve = FakeFeishuApi.buttonValue(card.card, 'Approve');
    // Bob's double click lands on both replicas at once (two events, one approval).
    const clicks = await Promise.all([post(a, clickEnvelope(FEISHU.bob, approve, card.id)), post(b, clickEnvelope(FEISHU.bob, approve, card.id))]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    const toasts = clicks.map((c) => (c.json as { toast?: { content: string } }).toast?.content ?? '');
    expect(toasts.filter((t) => /^Approved by Bob Li/.test(t))).toHaveLength(1);
    await untilAsync(async () => (await b.approvals.get(id))?.state === 'succeeded', 'the execution recorded');
    await idle();
    expect(cluster.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    expect((await a.approvals.get(id))?.state).toBe('succeeded');
    // One audit log for both: request, one approval, one execution.
    const lines = (await a.audit()).filter((e) => e.approvalId === id).map((e) => e.kind);
    expect(lines.filter((k) => k === 'execute')).toHaveLength(1);
    expect(lines.filter((k) => k === 'approve')).toHaveLength(1);
  });

  it('an execution another replica runs (its lease is live) is left alone; once its lease lapses, a survivor closes it', async () => {
    const store = new RedisStore(redis.url);
    const now = Date.now();
    await store.insertApproval({
      id: 'LEA5', command: 'scale', args: { deployment: 'order-service', replicas: 5 }, preview: { target: 'production/order-service', change: 'replicas 3 → 5', before: 3 },
      risk: 'medium', requester: { personId: 'alice', name: 'Alice Wang', platform: 'feishu', userId: FEISHU.alice }, chatId: FEISHU.chat,
      steps: [{ role: 'lead', timeoutMs: 600_000, startedAt: now, decidedBy: { personId: 'bob', name: 'Bob Li', platform: 'feishu', userId: FEISHU.bob }, decidedAt: now }],
      step: 0, state: 'executing', version: 3, createdAt: now, updatedAt: now, expiresAt: now + 600_000, lease: { owner: 'replica-c:42:abc', until: now + 1500 },
    });
    await store.close();
    await new Promise((r) => setTimeout(r, 800)); // several sweeps of both replicas
    expect((await a.approvals.get('LEA5'))?.state).toBe('executing');
    await untilAsync(async () => (await a.approvals.get('LEA5'))?.state === 'failed', 'the lapsed execution closed', 5000);
    const closed = await a.approvals.get('LEA5');
    expect(closed?.result?.summary).toMatch(/^interrupted by a restart before the change reached the cluster: production\/order-service still shows 3/);
    expect(closed?.lease).toBeUndefined();
    await idle();
    expect((await a.audit()).filter((e) => e.approvalId === 'LEA5' && e.kind === 'execute')).toHaveLength(1); // closed once, by one of them
  });

  it("one chat's send limit (Feishu: 5 per second) holds across both replicas", async () => {
    const from = api.sendTimes.length;
    const chat = 'oc_rate_shared';
    // Five events for one chat on each replica at once: each alone would send all five at once.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(i % 2 ? b : a, messageEnvelope(FEISHU.carol, '/pods production', { chatType: 'p2p', chatId: chat, eventId: `ev-rate-${i}` }))),
    );
    await idle();
    const times = api.sendTimes.slice(from).map((s) => s.at).sort((x, y) => x - y);
    expect(times).toHaveLength(10);
    // A sliding window of 900 ms (under Feishu's second, for delivery jitter) never holds more than 5.
    const most = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 900).length));
    expect(most).toBeLessThanOrEqual(5);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(900);
  });

  it('a long connection that allows one per bot (WeCom) is held by one replica; the other stands by', async () => {
    const wc = new FakeWecom();
    await wc.start();
    const env = { ...wecomEnv(wc.url, 'aibot-ws', { WECOM_WS_URL: wc.wsUrl }), OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), HOST: '127.0.0.1', OPSBOT_STORE: redis.url, OPSBOT_SECRET: 'replicas-share-this-signing-key-0123456789abcdef' };
    const [c, d] = await Promise.all([startTestApp(env, { platformBackoffMs: 50 }), startTestApp(env, { platformBackoffMs: 50 })]);
    try {
      await until(() => wc.live, 'a subscribed connection');
      await new Promise((r) => setTimeout(r, 1000));
      expect(wc.subscribes).toBe(1);
      expect(`${c.logs.text}${d.logs.text}`).toMatch(/another replica holds the connection lease; standing by/);
      // A card posted on the standby replica (an alert that reached it, say) goes out through the holder's
      // connection, handed over the bus.
      const standby = /standing by/.test(c.logs.text) ? c : d;
      const before = wc.sent.length;
      await standby.adapters.get('wecom')!.send({ chatId: 'wr-oncall-group' }, { title: 'handed over', tone: 'info', blocks: [{ type: 'markdown', text: '经由持有连接的副本发送' }] });
      const sent = wc.sent.slice(before);
      expect(sent.map((m) => [m.cmd, m.body['chatid']])).toEqual([['aibot_send_msg', 'wr-oncall-group']]);
      expect(JSON.stringify(sent[0]!.body)).toContain('经由持有连接的副本发送');
      expect(wc.subscribes).toBe(1);
    } finally {
      await Promise.all([c.stop(), d.stop()]);
      await wc.stop();
    }
  });

  it("a group robot's limit (Feishu custom bot: one post per 600 ms) holds across both replicas", async () => {
    const TOKEN = 'replicas0robot0token';
    const bot = await new FakeFeishuBot({ [TOKEN]: {} }).start();
    const env = { OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), HOST: '127.0.0.1', OPSBOT_STORE: redis.url, OPSBOT_SECRET: 'replicas-share-this-signing-key-0123456789abcdef', FEISHU_BOT_WEBHOOKS: `sre=${bot.hook(TOKEN)}` };
    const [c, d] = await Promise.all([startTestApp(env), startTestApp(env)]);
    try {
      const card = (n: number) => ({ title: `robot post ${n}`, tone: 'info' as const, blocks: [] });
      await Promise.all([0, 1, 2, 3].map((n) => (n % 2 ? c : d).adapters.get('feishu-bot')!.send({ chatId: 'sre' }, card(n))));
      const at = bot.posts.map((p) => p.at).sort((x, y) => x - y);
      expect(at).toHaveLength(4);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      // Each replica alone would post its two at once to one webhook; shared, they queue across replicas.
      expect(Math.min(...gaps), `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(550);
    } finally {
      await Promise.all([c.stop(), d.stop()]);
      await bot.stop();
    }
  });

  it('a console page open on one replica sees the cards another replica posts and updates (pub/sub)', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${b.url}/console/api/stream`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    let seen = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);
    await until(() => seen.includes(': connected'), 'the stream is open');
    const [card] = await a.send('alice', '/scale api-gateway 6 -n production');
    expect(card!.title).toMatch(/^Approval needed/);
    await until(() => seen.includes(`"id":"${card!.id}"`), 'replica b streams the card replica a posted');
    // Approved on b, executed wherever it runs: the page on b sees the card change in place.
    expect((await b.click('bob', card!.id, 'approve')).status).toBe(200);
    await until(() => seen.split(`"id":"${card!.id}"`).length - 1 >= 2, 'the update reaches the page');
    expect(seen.split(`"id":"${card!.id}"`).slice(2).join('')).not.toMatch(/^[^\n]*"title":"Approval needed/);
    ctl.abort();
    await read;
    await idle();
  });

  it('alert groups taken in by either replica are all known to both (/alerts, reports)', async () => {
    const group = (alertname: string) => ({
      version: '4', groupKey: `{}:{alertname="${alertname}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'opsbot', groupLabels: { alertname }, commonLabels: { alertname, severity: 'warning' }, commonAnnotations: {}, externalURL: '',
      alerts: [{ status: 'firing', labels: { alertname, severity: 'warning' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `fp-${alertname}` }],
    });
    const am = (app: TestApp, body: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // At once: each replica's index write must keep the other's new group.
    await Promise.all([am(a, group('OnReplicaA')), am(b, group('OnReplicaB'))]);
    await idle();
    for (const app of [a, b]) {
      await untilAsync(async () => {
        const names = (await app.core.alerts.all()).map((g) => g.labels['alertname']);
        return names.includes('OnReplicaA') && names.includes('OnReplicaB');
      }, 'both groups in the shared index');
    }
  });

  it('with Redis gone: readiness fails with the reason and a webhook answers 503 (the platform retries); nothing runs', async () => {
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
    const ready = await fetch(`${a.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks['store']).toMatch(/cannot write: .*(ECONNREFUSED|Connection is closed|max retries|timeout)/i);
    const before = cluster.requests.length;
    const r = await post(a, messageEnvelope(FEISHU.alice, '/scale api-gateway 6 -n production'));
    expect(r.status).toBe(503);
    expect(String(r.json['error'])).toMatch(/^Storage cannot be written/);
    await idle();
    expect(cluster.requests.length).toBe(before);
  });
});
