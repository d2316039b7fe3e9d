import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WecomAdapter } from '../../src/platforms/wecom/index.js';
import { type BotSent, FakeWecom } from '../fakes/wecom-api.js';
import { botClick, botText, WECOM, wecomEnv } from '../helpers/sign-wecom.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/**
 * WeCom's intelligent bot over its long connection, against a local fake: subscribe, callbacks, replies
 * with the inbound req_id, a click answered with aibot_respond_update_msg inside WeCom's 5 s, later
 * states pushed with aibot_send_msg, one live connection per bot.
 */
type Card = { card_type: string; task_id: string; main_title: { title: string }; sub_title_text?: string; button_list: { text: string; key: string }[] };
const cardOf = (s: BotSent) => (s.body['template_card'] ?? undefined) as Card | undefined;
const textOf = (s: BotSent) => String((s.body['stream'] as { content?: string } | undefined)?.content ?? (s.body['markdown'] as { content?: string } | undefined)?.content ?? cardOf(s)?.main_title.title ?? '');

let n = 0;
const rid = () => `req-${++n}-${Date.now()}`;

describe('WeCom intelligent bot over the long connection', () => {
  const wc = new FakeWecom();
  let app: TestApp;
  beforeAll(async () => {
    await wc.start();
    app = await startTestApp(wecomEnv(wc.url, 'aibot-ws', { WECOM_WS_URL: wc.wsUrl }), { platformBackoffMs: 50 });
    await until(() => wc.live, 'the subscribed connection');
  });
  afterAll(async () => {
    await app?.stop();
    await wc.stop();
  });

  it('/scale in the group → approval template card replying to the req_id → Bob clicks → updated within 5 s → scaled → Done pushed', async () => {
    const msgReq = rid();
    const before = wc.sent.length;
    wc.push('aibot_msg_callback', msgReq, botText('/scale api-gateway 5 -n production'));
    const reply = await until(() => wc.sent.slice(before).find((s) => cardOf(s)?.main_title.title.includes('Approval needed')), 'the approval card');
    expect(reply.cmd).toBe('aibot_respond_msg');
    expect(reply.reqId).toBe(msgReq);
    const card = cardOf(reply)!;
    expect(card.card_type).toBe('button_interaction');
    expect(card.button_list.map((b) => b.text)).toEqual(['Approve', 'Reject']);
    expect(JSON.stringify(card)).toContain('replicas 3 → 5');
    expect(card.button_list[0]!.key).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

    const clickReq = rid();
    const t0 = Date.now();
    wc.push('aibot_event_callback', clickReq, botClick({ key: card.button_list[0]!.key, taskId: card.task_id, userid: 'sre_bob' }));
    const update = await until(() => wc.sent.find((s) => s.cmd === 'aibot_respond_update_msg' && s.reqId === clickReq), 'the card update', 5000);
    const answeredIn = Date.now() - t0;
    expect(answeredIn).toBeLessThan(1000);
    expect(update.body['response_type']).toBe('update_template_card');
    expect(cardOf(update)!.task_id).toBe(card.task_id);
    expect(cardOf(update)!.main_title.title).toMatch(/Approved by Bob Li .*executing/);
    expect(update.body).not.toHaveProperty('userids'); // everyone in the group sees the new state
    const done = await until(() => wc.sent.find((s) => s.cmd === 'aibot_send_msg' && /Done/.test(textOf(s))), 'the Done message');
    expect(done.body['chatid']).toBe(WECOM.group);
    expect(textOf(done)).toMatch(/scaled production\/api-gateway 3 → 5/);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    const adapter = app.adapters.get('wecom') as WecomAdapter;
    expect(Math.max(...adapter.clickTimes)).toBeLessThan(1000);
    expect(wc.rejected, JSON.stringify(wc.rejected)).toEqual([]);
  });

  it('a replayed msgid runs once; the @name prefix is stripped; a 1:1 message answers in the 1:1 chat', async () => {
    const m = botText('/pods production', { msgid: 'CAIQreplayed=' });
    const before = wc.sent.length;
    wc.push('aibot_msg_callback', rid(), m);
    wc.push('aibot_msg_callback', rid(), m);
    await until(() => wc.sent.slice(before).find((s) => /production · \d+ pods/.test(textOf(s))), 'the /pods reply');
    await app.dispatcher.idle();
    expect(wc.sent.slice(before).filter((s) => /production · \d+ pods/.test(textOf(s)))).toHaveLength(1);
    const b2 = wc.sent.length;
    const single = rid();
    wc.push('aibot_msg_callback', single, botText('/status', { single: true, userid: 'sre_bob' }));
    const r = await until(() => wc.sent.slice(b2).find((s) => /Cluster status/.test(textOf(s))), 'the 1:1 reply');
    expect(r.reqId).toBe(single);
    expect(r.cmd).toBe('aibot_respond_msg');
  });

  it('a click by someone the policy does not allow is refused in the chat, and nothing runs', async () => {
    const before = wc.sent.length;
    wc.push('aibot_msg_callback', rid(), botText('/scale payment-service 4 -n production'));
    const reply = await until(() => wc.sent.slice(before).find((s) => cardOf(s)?.sub_title_text?.includes('payment-service')), 'the approval card');
    const card = cardOf(reply)!;
    const b2 = wc.sent.length;
    wc.push('aibot_event_callback', rid(), botClick({ key: card.button_list[0]!.key, taskId: card.task_id, userid: 'sre_carol' }));
    const refusal = await until(() => wc.sent.slice(b2).find((s) => s.cmd === 'aibot_send_msg'), 'the refusal');
    expect(textOf(refusal)).toMatch(/may not|not allowed|cannot|role/i);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /payment-service\/scale$/, { dryRun: false })).toBe(0);
  });

  it('one live connection per bot: when another connection takes the bot over, opsbot stands by instead of kicking it back', async () => {
    const subs = wc.subscribes;
    const WebSocket = (await import('ws')).default;
    const intruder = new WebSocket(wc.wsUrl);
    await new Promise((r) => intruder.once('open', r));
    intruder.send(JSON.stringify({ cmd: 'aibot_subscribe', headers: { req_id: 'intruder-1' }, body: { bot_id: wc.botId, secret: wc.botSecret } }));
    await until(() => wc.subscribes === subs + 1, 'the second subscription');
    await new Promise((r) => setTimeout(r, 600));
    // Still the intruder's: opsbot did not reconnect and kick it.
    expect(wc.subscribes).toBe(subs + 1);
    expect(app.logs.text).toContain('another connection took this bot over');
    intruder.terminate();
  });
});
