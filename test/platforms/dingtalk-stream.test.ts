import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CardInstance, FakeDingtalk } from '../fakes/dingtalk-api.js';
import { cardClick, DINGTALK, dingtalkEnv, robotMessage } from '../helpers/sign-dingtalk.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/**
 * DingTalk over Stream mode against a local fake DingTalk: the bot opens the connection itself
 * (connections/open → single-use ticket → WebSocket), robot messages arrive as CALLBACK frames, cards
 * are created from the template and delivered to the group, clicks arrive on the socket and are
 * answered in their ack with the updated card, later states go through PUT /v1.0/card/instances.
 */
let n = 0;
const frame = (topic: string, data: unknown) => ({ type: 'CALLBACK', headers: { contentType: 'application/json', messageId: `m-${++n}`, time: String(Date.now()), topic, appId: 'app-1', connectionId: 'conn-1' }, data: JSON.stringify(data) });
const robot = (data: unknown) => frame('/v1.0/im/bot/messages/get', data);
const click = (data: unknown) => frame('/v1.0/card/instances/callback', data);
const responseOf = (ack: Record<string, unknown>) => (JSON.parse(ack['data'] as string) as { response: unknown }).response;

describe('DingTalk Stream mode with interactive cards', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream', { DINGTALK_CARD_TEMPLATE_ID: 'opsbot-card-test.schema' }), { platformBackoffMs: 50 });
    await until(() => dt.socket, 'the stream connection');
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  const newCard = (before: Set<string>, pred: (c: CardInstance) => boolean) => [...dt.cards.values()].find((c) => !before.has(c.outTrackId) && pred(c));

  it('/scale from the group → approval card → Bob clicks Approve on the socket → scaled → Done on the card', async () => {
    const before = new Set(dt.cards.keys());
    const ack = await dt.push(robot(robotMessage({ text: '/scale api-gateway 5 -n production', session: dt.session() })));
    expect(ack).toMatchObject({ code: 200, message: 'OK', headers: { contentType: 'application/json' } });
    const card = await until(() => newCard(before, (c) => /Approval needed/.test(c.params['title'] ?? '')), 'the approval card');
    expect(card.openSpaceId).toBe(`dtv1.card//IM_GROUP.${DINGTALK.group}`);
    expect(card.callbackType).toBe('STREAM');
    expect(card.templateId).toBe('opsbot-card-test.schema');
    expect(card.params).toMatchObject({ status: 'open', btn1_text: 'Approve', btn2_text: 'Reject', btn1_show: 'true', btn3_show: 'false' });
    expect(card.params['content']).toContain('replicas 3 → 5');
    // What reaches DingTalk is a short action id; its signed payload stays on the server.
    expect(card.params['btn1_action']).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

    // The template binds params.action to the button's action id; the slot alone would do as well.
    const a = await dt.push(click(cardClick({ outTrackId: card.outTrackId, userId: 'sre_bob', action: card.params['btn1_action'] as string })));
    const update = responseOf(a) as { cardUpdateOptions: unknown; cardData: { cardParamMap: Record<string, string> } };
    expect(update.cardUpdateOptions).toEqual({ updateCardDataByKey: true, updatePrivateDataByKey: true });
    expect(update.cardData.cardParamMap['title']).toMatch(/Approved by Bob Li .*executing/);
    expect(update.cardData.cardParamMap['status']).toBe('closed');
    await until(() => card.updates.some((u) => /Done/.test(u['title'] ?? '')), 'the Done update');
    await app.dispatcher.idle();
    expect(card.params['content']).toMatch(/scaled production\/api-gateway 3 → 5/);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    expect(dt.rejected).toEqual([]);
  });

  it('a click by the button slot alone (actionIds) works too; a repeated click does not run twice', async () => {
    const before = new Set(dt.cards.keys());
    await dt.push(robot(robotMessage({ text: '/scale user-service 3 -n production' })));
    const card = await until(() => newCard(before, (c) => /Approval needed/.test(c.params['title'] ?? '') && (c.params['content'] ?? '').includes('user-service')), 'the approval card');
    const body = cardClick({ outTrackId: card.outTrackId, userId: 'sre_bob', slot: 'btn1' });
    const first = responseOf(await dt.push(click(body))) as { cardData: { cardParamMap: Record<string, string> } };
    expect(first.cardData.cardParamMap['title']).toMatch(/executing/);
    await dt.push(click(body));
    await until(() => card.updates.some((u) => /Done/.test(u['title'] ?? '')), 'the Done update');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /user-service\/scale$/, { dryRun: false })).toBe(1);
  });

  it('a click by someone the policy does not allow: refused in the chat (DingTalk has no toast), nothing runs', async () => {
    const before = new Set(dt.cards.keys());
    await dt.push(robot(robotMessage({ text: '/scale payment-service 4 -n production' })));
    const card = await until(() => newCard(before, (c) => /Approval needed/.test(c.params['title'] ?? '') && (c.params['content'] ?? '').includes('payment-service')), 'the approval card');
    const sent = new Set(dt.cards.keys());
    const a = await dt.push(click(cardClick({ outTrackId: card.outTrackId, userId: 'sre_carol', slot: 'btn1' })));
    expect(responseOf(a)).toBe('SUCCESS');
    const refusal = await until(() => newCard(sent, () => true), 'the refusal');
    expect(refusal.params['title']).toMatch(/may not|not allowed|cannot|role/i);
    expect(refusal.openSpaceId).toBe(`dtv1.card//IM_GROUP.${DINGTALK.group}`);
    // An unknown user gets the same.
    const sent2 = new Set(dt.cards.keys());
    await dt.push(click(cardClick({ outTrackId: card.outTrackId, userId: 'sre_mallory', slot: 'btn1' })));
    await until(() => newCard(sent2, () => true), 'the second refusal');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /payment-service\/scale$/, { dryRun: false })).toBe(0);
    expect(card.updates).toEqual([]);
  });

  it('a replayed msgId runs once; a 1:1 message gets its card in the 1:1 chat; richText works', async () => {
    const before = new Set(dt.cards.keys());
    const m = robotMessage({ text: '/pods production', msgId: 'msg-replayed==' });
    await dt.push(robot(m));
    await dt.push(robot(m));
    await until(() => newCard(before, (c) => /pods/.test(c.params['title'] ?? '')), 'the /pods card');
    await app.dispatcher.idle();
    expect([...dt.cards.values()].filter((c) => !before.has(c.outTrackId))).toHaveLength(1);
    const pods = newCard(before, () => true)!;
    expect(pods.params['content']).toMatch(/order-service-[a-z0-9]+-[a-z0-9]+ · 0\/1 · CrashLoopBackOff/);
    expect(pods.params['btn1_text']).toMatch(/^Logs /);

    const b2 = new Set(dt.cards.keys());
    await dt.push(robot(robotMessage({ text: '/status', direct: true, staffId: 'sre_bob', msgtype: 'richText' })));
    const status = await until(() => newCard(b2, () => true), 'the 1:1 card');
    expect(status.openSpaceId).toBe('dtv1.card//IM_ROBOT.sre_bob');
    expect(status.params['title']).toMatch(/Cluster status/);
  });

  it('malformed frames are logged and acked and the connection survives; SYSTEM ping is echoed; disconnect reconnects', async () => {
    const ws = dt.socket!;
    ws.send('not json at all');
    const bad = await dt.push({ type: 'CALLBACK', headers: { messageId: 'bad-1', topic: '/v1.0/im/bot/messages/get', contentType: 'application/json' }, data: '{not json' });
    expect(responseOf(bad)).toBe('SUCCESS');
    const odd = await dt.push(robot({ msgId: 'x' }));
    expect(responseOf(odd)).toBe('SUCCESS');
    const ping = await dt.push({ type: 'SYSTEM', headers: { contentType: 'application/json', messageId: 'ping-1', time: '1', topic: 'ping' }, data: '{"opaque":"o-1"}' });
    expect(ping).toEqual({ code: 200, headers: { contentType: 'application/json', messageId: 'ping-1', time: '1', topic: 'ping' }, message: 'OK', data: '{"opaque":"o-1"}' });
    expect(dt.socket).toBe(ws);
    const opens = dt.opens;
    ws.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { contentType: 'application/json', messageId: 'bye-1', topic: 'disconnect' }, data: '{"reason":"upgrade"}' }));
    await until(() => dt.opens > opens && dt.socket && dt.socket !== ws, 'a new connection with a new ticket');
    const before = new Set(dt.cards.keys());
    await dt.push(robot(robotMessage({ text: '/nodes' })));
    await until(() => newCard(before, () => true), 'a reply over the new connection');
  });
});

describe('DingTalk Stream mode without a card template: markdown, approvals typed', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream'), { platformBackoffMs: 50 });
    await until(() => dt.socket, 'the stream connection');
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  it('replies through the sessionWebhook; the approval says what to type; /approve runs it; an expired session falls back to the robot API', async () => {
    await dt.push(robot(robotMessage({ text: '/scale api-gateway 4 -n production', session: dt.session() })));
    const req = await until(() => dt.messages.find((m) => /Approval needed/.test(m.title)), 'the approval message');
    expect(req.via).toBe('session');
    const id = /· ([A-Z0-9]{4})/.exec(req.title)![1]!;
    expect(req.text).toContain(`/approve ${id}`);
    expect(req.text).toMatch(/\*\*Change\*\*|replicas 3 → 4/);
    // Bob's session expired already: the answer goes to the group through the OpenAPI.
    await dt.push(robot(robotMessage({ text: `/approve ${id}`, staffId: 'sre_bob', session: dt.session(-1000) })));
    const done = await until(() => dt.messages.find((m) => /^🟢 Done/.test(m.title)), 'the Done message');
    expect(done.via).toBe('group');
    expect(done.to).toBe(DINGTALK.group);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    expect(dt.cards.size).toBe(0);
  });
});

describe('DingTalk DING (urgent reminders) behind the capabilities', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream', { DINGTALK_DING: 'app,phone' }), { platformBackoffMs: 50 });
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  it('declares the enabled levels; rings by phone in batches of 20; reports who could not be reached; refuses a level not enabled', async () => {
    const adapter = app.adapters.get('dingtalk')!;
    expect(adapter.caps.urgent).toEqual(['app', 'phone']);
    const many = Array.from({ length: 25 }, (_, i) => (i === 0 ? 'sre_bob' : `sre_x${i}`));
    const r = await adapter.remind!({ level: 'phone', userIds: many, text: 'P0 api-gateway down' });
    expect(dt.dings.map((d) => [d.remindType, d.to.length])).toEqual([
      [3, 20],
      [3, 5],
    ]);
    expect(r.failed).toHaveLength(24);
    expect(r.failed).not.toContain('sre_bob');
    await expect(adapter.remind!({ level: 'sms', userIds: ['sre_bob'], text: 'x' })).rejects.toThrow(/DING sms is not enabled/);
    dt.dingQuota = 0;
    await expect(adapter.remind!({ level: 'phone', userIds: ['sre_bob'], text: 'x' })).rejects.toThrow(/DING quota is used up/);
  });
});
