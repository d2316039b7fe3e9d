import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, FakeFeishuApi } from '../fakes/feishu-api.js';
import { clickEnvelope, FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import type { FeishuAdapter } from '../../src/platforms/feishu/index.js';

let api: FakeFeishuApi;
let app: TestApp;
beforeAll(async () => {
  api = await new FakeFeishuApi().start();
  app = await startTestApp(feishuEnv(api.url, 'http'), { platformBackoffMs: 20 });
});
afterAll(async () => {
  await app?.stop();
  await api?.stop();
});

const post = async (plain: unknown, o: Parameters<typeof signedRequest>[1] = {}) => {
  const { headers, body } = signedRequest(plain, o);
  const t = performance.now();
  const res = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body });
  return { res, ms: performance.now() - t, json: (await res.json()) as Record<string, unknown> };
};
const say = async (from: string, text: string, o: Parameters<typeof messageEnvelope>[2] = {}) => {
  const before = api.messages.length;
  const r = await post(messageEnvelope(from, text, o));
  expect(r.res.status).toBe(200);
  await app.dispatcher.idle();
  return { ...r, sent: api.messages.slice(before) };
};
const click = (from: string, value: unknown, messageId: string, o: Parameters<typeof clickEnvelope>[3] = {}) => post(clickEnvelope(from, value, messageId, o));

describe('the full loop over HTTP', () => {
  it('/scale from Feishu → approval card → signed click by an approver → toast + card → cluster scaled → card patched with the result', async () => {
    const { res, ms, json, sent } = await say(FEISHU.alice, '/scale api-gateway 5 -n production');
    expect(json).toEqual({});
    expect(ms).toBeLessThan(3000);
    expect(sent).toHaveLength(1);
    const card = sent[0]!;
    expect(res.status).toBe(200);
    expect(card.replyTo).toMatch(/^om_/);
    expect(card.card.header.title.content).toMatch(/^Approval needed · [A-Z0-9]{4}$/);
    expect(card.card.header.template).toBe('orange');
    expect(cardText(card.card)).toContain('replicas 3 → 5 · dry run ✓');
    const approve = FakeFeishuApi.buttonValue(card.card, 'Approve');
    expect(Object.keys(approve)).toEqual(['p']);

    // alice may not approve her own request: a toast, the card unchanged, nothing executed.
    const self = await click(FEISHU.alice, approve, card.id);
    expect(self.json).toEqual({ toast: { type: 'error', content: expect.stringMatching(/^Alice Wang requested [A-Z0-9]{4}; someone else must approve it$/) } });

    const ok = await click(FEISHU.bob, approve, card.id);
    expect(ok.res.status).toBe(200);
    expect(ok.ms).toBeLessThan(3000);
    const answer = ok.json as { toast: { type: string; content: string }; card: { type: string; data: { header: { title: { content: string } } } } };
    expect(answer.toast.type).toBe('success');
    expect(answer.toast.content).toMatch(/^Approved by Bob Li \d\d:\d\d — executing… · [A-Z0-9]{4}$/);
    expect(answer.card.type).toBe('raw');
    expect(answer.card.data.header.title.content).toBe(answer.toast.content);

    await api.until(() => card.patches.some((p) => /^Done · /.test(p.header.title.content)));
    await app.dispatcher.idle();
    const done = card.patches.at(-1)!;
    expect(cardText(done)).toMatch(/scaled production\/api-gateway 3 → 5 — 5\/5 ready in \d+ s/);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);

    // A later click is answered, not executed.
    const late = await click(FEISHU.bob, approve, card.id);
    expect((late.json as { toast: { content: string } }).toast.content).toMatch(/was already approved by Bob Li/);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('read-only commands reply to the message; drill-down buttons answer in the chat', async () => {
    const { sent } = await say(FEISHU.carol, '/pods production');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.card.header.title.content).toMatch(/^production · \d+ pods · 2 need attention$/);
    const logs = FakeFeishuApi.buttonValue(sent[0]!.card, 'Logs order-service');
    const before = api.messages.length;
    const r = await click(FEISHU.carol, logs, sent[0]!.id);
    expect(r.json).toEqual({ toast: { type: 'info', content: 'The answer follows in this chat' } });
    await app.dispatcher.idle();
    const reply = api.messages.slice(before)[0]!;
    expect(reply.replyTo).toBe(sent[0]!.id);
    expect(cardText(reply.card)).toContain('java.lang.OutOfMemoryError: Java heap space');
  });

  it('direct chats need no @mention; post messages work; the bot ignores itself and un-mentioned group chatter', async () => {
    expect((await say(FEISHU.carol, '/nodes', { chatType: 'p2p' })).sent).toHaveLength(1);
    const post = JSON.stringify({ title: '', content: [[{ tag: 'at', user_id: '@_user_1', user_name: 'opsbot' }, { tag: 'text', text: ' /deployments staging' }]] });
    const viaPost = await say(FEISHU.carol, '', { messageType: 'post', content: post });
    expect(viaPost.sent[0]!.card.header.title.content).toMatch(/^staging · 2 deployments/);
    expect((await say(FEISHU.carol, '/nodes', { mentionBot: false })).sent).toHaveLength(0);
    expect((await say(FEISHU.botOpenId, '/nodes', { senderType: 'app' })).sent).toHaveLength(0);
    expect((await say(FEISHU.carol, '', { messageType: 'image', content: JSON.stringify({ image_key: 'img_x' }) })).sent).toHaveLength(0);
  });
});

describe('bad input: answered as stated, nothing executed', () => {
  const body = () => signedRequest(messageEnvelope(FEISHU.alice, '/scale api-gateway 7'));
  const raw = (b: string, headers: Record<string, string>) => fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
  const writesBefore = () => app.demo!.requests.filter((r) => r.method !== 'GET').length;

  it('missing or bad signature → 401', async () => {
    const w = writesBefore();
    const { headers, body: b } = body();
    expect((await raw(b, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await raw(b, { ...headers, 'x-lark-signature': '0'.repeat(64) })).status).toBe(401);
    expect((await raw(b, { ...headers, 'x-lark-signature': headers['x-lark-signature']!.slice(0, 10) })).status).toBe(401);
    const { 'x-lark-request-nonce': _, ...noNonce } = headers;
    expect((await raw(b, noNonce)).status).toBe(401);
    await app.dispatcher.idle();
    expect(writesBefore()).toBe(w);
  });

  it('tampered ciphertext → 401; stale timestamp → 401; wrong verification token → 401', async () => {
    const { headers, body: b } = body();
    const enc = (JSON.parse(b) as { encrypt: string }).encrypt;
    const flipped = enc.slice(0, 30) + (enc[30] === 'A' ? 'B' : 'A') + enc.slice(31);
    expect((await raw(JSON.stringify({ encrypt: flipped }), headers)).status).toBe(401);
    const stale = signedRequest(messageEnvelope(FEISHU.alice, '/nodes'), { timestamp: Math.floor(Date.now() / 1000) - 8 * 3600 });
    expect((await raw(stale.body, stale.headers)).status).toBe(401);
    const env = messageEnvelope(FEISHU.alice, '/nodes');
    env.header.token = 'not-the-token';
    const wrong = signedRequest(env);
    const r = await raw(wrong.body, wrong.headers);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: 'verification token mismatch (check FEISHU_VERIFICATION_TOKEN)' });
  });

  it('a replayed event_id → 200 without a second execution', async () => {
    const env = messageEnvelope(FEISHU.carol, '/nodes');
    const first = await post(env);
    const second = await post(env);
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    await app.dispatcher.idle();
    expect(api.messages.filter((m) => m.replyTo === env.event.message.message_id)).toHaveLength(1);
  });

  it('a reply that could not be sent (the send API failing through every retry) is not lost: Feishu\'s redelivery of the event is answered', async () => {
    for (let i = 0; i < 8; i++) api.failures.push({ path: '/open-apis/im/v1/messages', status: 500 });
    const env = messageEnvelope(FEISHU.carol, '/nodes');
    expect((await post(env)).res.status).toBe(200);
    await app.dispatcher.idle();
    const answered = () => api.messages.filter((m) => m.replyTo === env.event.message.message_id);
    expect(answered()).toHaveLength(0);
    api.failures.splice(0);
    // Feishu redelivers the same event (same event_id): this time it is handled, once.
    expect((await post(env)).res.status).toBe(200);
    await app.dispatcher.idle();
    expect(answered()).toHaveLength(1);
    expect((await post(env)).res.status).toBe(200);
    await app.dispatcher.idle();
    expect(answered()).toHaveLength(1);
    expect(app.logs.text).toMatch(/the event is released so a redelivery is answered/);
  });

  it('oversized body → 413; non-JSON → 401/400; unknown event types → 200 and ignored', async () => {
    const big = await raw('{"encrypt":"' + 'A'.repeat(1_100_000) + '"}', { 'content-type': 'application/json' });
    expect(big.status).toBe(413);
    const junk = await raw('not json', {});
    expect([400, 401]).toContain(junk.status);
    const before = api.messages.length;
    const unknown = await post({ schema: '2.0', header: { event_id: 'ev_unknown_1', token: FEISHU.verificationToken, event_type: 'im.chat.member.bot.added_v1', create_time: '1' }, event: {} });
    expect(unknown.res.status).toBe(200);
    await app.dispatcher.idle();
    expect(api.messages.length).toBe(before);
  });

  it('a click by someone the policy does not know → toast error, nothing executed', async () => {
    const { sent } = await say(FEISHU.alice, '/restart user-service');
    const value = FakeFeishuApi.buttonValue(sent[0]!.card, 'Approve');
    const r = await click('ou_stranger00000000000000000000000', value, sent[0]!.id);
    expect(r.json).toEqual({ toast: { type: 'error', content: 'feishu user "ou_stranger00000000000000000000000" is not in the opsbot policy; ask an admin to add you under people' } });
    const forged = await click(FEISHU.bob, { p: 'v1.eyJrIjoiYXBwcm92YWwifQ.AAAAAAAAAAAAAAAAAAAAAA' }, sent[0]!.id);
    expect((forged.json as { toast: { type: string; content: string } }).toast).toEqual({ type: 'error', content: 'button payload signature is invalid' });
    const otherChat = await click(FEISHU.bob, value, sent[0]!.id, { chatId: 'oc_other' });
    expect((otherChat.json as { toast: { content: string } }).toast.content).toBe('button belongs to another chat');
    expect(app.demo!.requests.filter((x) => x.method === 'PATCH' && /user-service$/.test(x.path) && !x.dryRun)).toHaveLength(0);
  });

  it('the url_verification handshake is answered only with the right token', async () => {
    const ok = await post({ challenge: 'c-123', token: FEISHU.verificationToken, type: 'url_verification' });
    expect(ok.json).toEqual({ challenge: 'c-123' });
    const bad = await post({ challenge: 'c-123', token: 'nope', type: 'url_verification' });
    expect(bad.res.status).toBe(401);
  });
});

describe('in-place updates wait for the click answer', () => {
  it('updates of a held card are not sent; on release only the newest one is', async () => {
    const f = app.adapters.get('feishu') as FeishuAdapter;
    const ref = await f.send({ chatId: FEISHU.chat }, { title: 'v0', tone: 'info', blocks: [] });
    const msg = api.messages.find((m) => m.id === ref)!;
    f.holdUpdates(ref);
    await f.update(ref, { title: 'v1', tone: 'info', blocks: [] });
    await f.update(ref, { title: 'v2', tone: 'success', blocks: [] });
    expect(msg.patches).toHaveLength(0);
    await f.releaseUpdates(ref);
    expect(msg.patches.map((p) => p.header.title.content)).toEqual(['v2']);
    await f.update(ref, { title: 'v3', tone: 'success', blocks: [] });
    expect(msg.patches.map((p) => p.header.title.content)).toEqual(['v2', 'v3']);
  });
});

describe('sending: token, retries, rate limits', () => {
  it('one token for many sends; a 429 with x-ogw-ratelimit-reset, a 5xx and an expired token are retried', async () => {
    const issued = api.tokensIssued;
    await Promise.all([say(FEISHU.carol, '/nodes'), say(FEISHU.carol, '/nodes')]);
    expect(api.tokensIssued).toBe(issued);
    api.failures.push({ path: '/open-apis/im/v1/messages', status: 429, code: 99991400, reset: 1 });
    api.failures.push({ path: '/open-apis/im/v1/messages', status: 502 });
    api.failures.push({ path: '/open-apis/im/v1/messages', code: 99991663 });
    const t = performance.now();
    const { sent } = await say(FEISHU.carol, '/nodes');
    expect(sent).toHaveLength(1);
    expect(performance.now() - t).toBeGreaterThanOrEqual(1000);
    expect(api.tokensIssued).toBe(issued + 1);
    expect(app.logs.text).toMatch(/rate limited \(429\)/);
    expect(app.logs.text).toMatch(/token expired \(99991663\)/);
  });

  it('a permanent API error is logged with its code, not retried forever', async () => {
    api.failures.push({ path: '/open-apis/im/v1/messages', code: 230002 });
    const before = api.requests.length;
    const { sent } = await say(FEISHU.carol, '/nodes');
    expect(sent).toHaveLength(0);
    expect(api.requests.length - before).toBe(1);
    expect(app.logs.text).toMatch(/"code":230002/);
  });
});

describe('routes of platforms that are not configured', () => {
  it('answer 404 and say why', async () => {
    const plain = await startTestApp();
    try {
      const r = await fetch(`${plain.url}/webhooks/feishu`, { method: 'POST', body: '{}' });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ error: 'feishu is not configured (set FEISHU_APP_ID and FEISHU_APP_SECRET)' });
      expect((await fetch(`${plain.url}/webhooks/dingtalk`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
