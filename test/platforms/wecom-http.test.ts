import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, encrypt, msgSignature } from '../../src/platforms/wecom/crypto.js';
import type { WecomAdapter } from '../../src/platforms/wecom/index.js';
import { FakeWecom } from '../fakes/wecom-api.js';
import { botClick, botText, encryptedCallback, WECOM, wecomEnv } from '../helpers/sign-wecom.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/**
 * WeCom over HTTP: the intelligent bot in API mode (encrypted JSON, receiveid "", passive replies
 * carrying the card) and a self-built app (encrypted XML, receiveid = CorpID, cards updated through
 * update_template_card with the click's ResponseCode), on /webhooks/wecom.
 */
type Card = { card_type: string; task_id: string; main_title: { title: string }; button_list: { text: string; key: string }[] };

function openReply(text: string, nonce: string): Record<string, unknown> {
  const r = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
  expect(r.nonce).toBe(nonce);
  expect(typeof r.timestamp).toBe('number');
  expect(r.msgsignature).toBe(msgSignature(WECOM.token, String(r.timestamp), r.nonce, r.encrypt));
  return JSON.parse(decrypt(WECOM.aesKey, '', r.encrypt)) as Record<string, unknown>;
}

describe('WeCom intelligent bot, API mode', () => {
  const wc = new FakeWecom();
  let app: TestApp;
  beforeAll(async () => {
    await wc.start();
    app = await startTestApp(wecomEnv(wc.url, 'aibot-http'));
  });
  afterAll(async () => {
    await app?.stop();
    await wc.stop();
  });
  const post = (cb: { query: string; body: string }, type = 'application/json') => fetch(`${app.url}/webhooks/wecom?${cb.query}`, { method: 'POST', headers: { 'content-type': type }, body: cb.body });

  it('answers GET URL verification with the bare plaintext; refuses a bad signature', async () => {
    const echo = encrypt(WECOM.aesKey, '', 'echo-12345');
    const ts = '1700000000';
    const ok = await fetch(`${app.url}/webhooks/wecom?msg_signature=${msgSignature(WECOM.token, ts, 'n1', echo)}&timestamp=${ts}&nonce=n1&echostr=${encodeURIComponent(echo)}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('echo-12345');
    const bad = await fetch(`${app.url}/webhooks/wecom?msg_signature=${'0'.repeat(40)}&timestamp=${ts}&nonce=n1&echostr=${encodeURIComponent(echo)}`);
    expect(bad.status).toBe(401);
  });

  it('/scale → the passive reply carries the approval card → Bob clicks → the answer carries the update within 5 s → Done via the click\'s response_url', async () => {
    const msg = encryptedCallback(JSON.stringify(botText('/scale api-gateway 5 -n production', { responseUrl: wc.responseUrl() })), { nonce: 'nonce-m1' });
    const r = await post(msg);
    expect(r.status).toBe(200);
    const reply = openReply(await r.text(), 'nonce-m1');
    expect(reply['msgtype']).toBe('template_card');
    const card = reply['template_card'] as Card;
    expect(card.main_title.title).toMatch(/Approval needed/);
    expect(card.button_list.map((b) => b.text)).toEqual(['Approve', 'Reject']);

    const clickUrl = wc.responseUrl();
    const t0 = Date.now();
    const c = await post(encryptedCallback(JSON.stringify(botClick({ key: card.button_list[0]!.key, taskId: card.task_id, userid: 'sre_bob', responseUrl: clickUrl })), { nonce: 'nonce-c1' }));
    const took = Date.now() - t0;
    expect(c.status).toBe(200);
    expect(took).toBeLessThan(1000);
    const update = openReply(await c.text(), 'nonce-c1');
    expect(update['response_type']).toBe('update_template_card');
    expect((update['template_card'] as Card).task_id).toBe(card.task_id);
    expect((update['template_card'] as Card).main_title.title).toMatch(/Approved by Bob Li .*executing/);
    await until(() => wc.urlPosts.find((p) => /Done/.test(JSON.stringify(p.body))), 'the Done message via response_url');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    expect(Math.max(...(app.adapters.get('wecom') as WecomAdapter).clickTimes)).toBeLessThan(1000);
  });

  it('a replayed msgid runs once; wrong signature, receiveid of a corp, bad padding → refused, nothing runs', async () => {
    const body = JSON.stringify(botText('/scale user-service 2 -n production', { msgid: 'CAIQdup=' }));
    const first = await post(encryptedCallback(body));
    expect(first.status).toBe(200);
    const again = await post(encryptedCallback(body));
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('');
    const corp = encryptedCallback(JSON.stringify(botText('/scale order-service 7')), { receiveId: WECOM.corpId });
    expect((await post(corp)).status).toBe(401);
    const ts = String(Math.floor(Date.now() / 1000));
    expect((await post({ query: `msg_signature=${'a'.repeat(40)}&timestamp=${ts}&nonce=1`, body: JSON.stringify({ encrypt: encrypt(WECOM.aesKey, '', '{}') }) })).status).toBe(401);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /order-service\/scale$/, { dryRun: false })).toBe(0);
  });
});

describe('WeCom self-built app callbacks (XML)', () => {
  const wc = new FakeWecom();
  let app: TestApp;
  beforeAll(async () => {
    await wc.start();
    // In the app's 1:1 chats only the requester sees the card: this team lets a lead approve their own change.
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-wecom-app-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, readFileSync(new URL('../fixtures/policy-wecom.yaml', import.meta.url), 'utf8').replace('  expiry: 15m', '  expiry: 15m\n  allowSelfApproval: true'));
    app = await startTestApp(wecomEnv(wc.url, 'app', { OPSBOT_CONFIG: policy, WECOM_CALL: 'on' }));
  });
  afterAll(async () => {
    await app?.stop();
    await wc.stop();
  });
  const post = (cb: { query: string; body: string }) => fetch(`${app.url}/webhooks/wecom?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
  const xml = (fields: Record<string, string | number>) => `<xml>${Object.entries(fields).map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`)).join('')}</xml>`;

  it('a 1:1 /scale → template card by message/send → the click updates it with the ResponseCode → Done by message/send', async () => {
    const now = Math.floor(Date.now() / 1000);
    const r = await post(encryptedCallback(xml({ ToUserName: WECOM.corpId, FromUserName: 'sre_bob', CreateTime: now, MsgType: 'text', Content: '/scale api-gateway 4 -n production', MsgId: '1456453720', AgentID: 1000002 }), { receiveId: WECOM.corpId, format: 'xml' }));
    expect(r.status).toBe(200);
    const sent = await until(() => wc.appMessages.find((m) => m['msgtype'] === 'template_card'), 'the card');
    expect(sent['touser']).toBe('sre_bob');
    const card = sent['template_card'] as Card;
    const click = await post(encryptedCallback(xml({ ToUserName: WECOM.corpId, FromUserName: 'sre_bob', CreateTime: now + 1, MsgType: 'event', Event: 'template_card_event', EventKey: card.button_list[0]!.key, TaskId: card.task_id, CardType: 'button_interaction', ResponseCode: 'rc_click_0001', AgentID: 1000002 }), { receiveId: WECOM.corpId, format: 'xml' }));
    expect(click.status).toBe(200);
    const upd = await until(() => wc.cardUpdates.find((u) => u['response_code'] === 'rc_click_0001'), 'the card update');
    expect(upd['userids']).toEqual(['sre_bob']);
    expect(JSON.stringify(upd['template_card'])).toMatch(/Approved by Bob Li .*executing/);
    await until(() => wc.appMessages.find((m) => /Done/.test(JSON.stringify(m))), 'the Done message');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('XML with a DOCTYPE or entities is refused before anything is read; a huge body gets 413', async () => {
    const evil = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><ToUserName>&e;</ToUserName><Encrypt><![CDATA[x]]></Encrypt></xml>`;
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await post({ query: `msg_signature=${msgSignature(WECOM.token, ts, '1', 'x')}&timestamp=${ts}&nonce=1`, body: evil });
    expect(r.status).toBe(400);
    const huge = await post({ query: `msg_signature=x&timestamp=${ts}&nonce=1`, body: `<xml>${'a'.repeat(2 * 1024 * 1024)}</xml>` });
    expect(huge.status).toBe(413);
  });

  it('紧急通知: declared as a phone capability; a call reaches the policy\'s people and says who it could not reach', async () => {
    const adapter = app.adapters.get('wecom')!;
    expect(adapter.caps.urgent).toEqual(['phone']);
    const r = await adapter.remind!({ level: 'phone', userIds: ['sre_bob', 'someone_else'], text: 'P0' });
    expect(wc.calls).toEqual([['sre_bob', 'someone_else']]);
    expect(r.failed).toEqual(['someone_else']);
    await expect(adapter.remind!({ level: 'sms', userIds: ['sre_bob'], text: 'P0' })).rejects.toThrow(/phone calls/);
  });
});
