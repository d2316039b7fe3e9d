import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appReply, botReply } from '../../src/platforms/wecom/crypto.js';
import { verifyCallback, verifyUrl } from '../../src/platforms/wecom/verify.js';
import { FakeWecom } from '../fakes/wecom-api.js';
import { wecomEnv } from '../helpers/sign-wecom.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/** Every case of shared/vectors/wecom-*.json, reproduced exactly. */
// The copies in test/fixtures/vectors (feishu-vectors.test.ts checks they still match ../shared/vectors).
const V = new URL('../fixtures/vectors/', import.meta.url);
interface Case {
  id: string;
  expect: 'accept' | 'reject';
  inputs: { token: string; encoding_aes_key: string; receive_id: string; random_hex?: string; method?: string; raw_query?: string; query?: Record<string, string>; raw_body?: string; plaintext?: string; timestamp?: string; nonce?: string };
  expected: { response_body?: string; plaintext?: string; encrypt?: string; msg_signature?: string };
}
const crypt = JSON.parse(readFileSync(new URL('wecom-msgcrypt.json', V), 'utf8')) as { config: { token: string; encoding_aes_key: string; corp_id: string }; cases: Case[] };
const frames = JSON.parse(readFileSync(new URL('wecom-aibot-frames.json', V), 'utf8')) as {
  protocol: { auth_frame_sent_by_sdk: { cmd: string; headers: { req_id: string }; body: Record<string, string> } };
  inbound_frames: Record<'text' | 'card', { cmd: string; headers: { req_id: string }; body: Record<string, unknown> }>;
  sdk_sent_frames: { cmd: string; headers: { req_id: string }; body: Record<string, unknown> }[];
};

const query = (c: Case) => new URLSearchParams(c.inputs.raw_query ?? new URLSearchParams(c.inputs.query).toString());
const secrets = (c: Case) => ({ token: c.inputs.token, aesKey: c.inputs.encoding_aes_key, receiveId: c.inputs.receive_id });

describe('wecom-msgcrypt.json (WXBizMsgCrypt)', () => {
  it.each(crypt.cases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    if (c.inputs.plaintext !== undefined) {
      // Passive replies, byte-exact with the recorded random prefix.
      const o = { timestamp: c.inputs.timestamp as string, nonce: c.inputs.nonce as string, random: Buffer.from(c.inputs.random_hex as string, 'hex') };
      if (c.inputs.receive_id) expect(appReply(c.inputs.token, c.inputs.encoding_aes_key, c.inputs.receive_id, c.inputs.plaintext, o)).toBe(c.expected.response_body);
      else expect(JSON.stringify(botReply(c.inputs.token, c.inputs.encoding_aes_key, c.inputs.plaintext, o))).toBe(c.expected.response_body);
      return;
    }
    const run = () => (c.inputs.method === 'GET' ? verifyUrl(query(c), secrets(c)) : verifyCallback(query(c), Buffer.from(c.inputs.raw_body as string, 'utf8'), secrets(c), (c.inputs.raw_body as string).trimStart().startsWith('<') ? 'xml' : 'json').plaintext);
    if (c.expect === 'accept') expect(run()).toBe(c.expected.response_body ?? c.expected.plaintext);
    else expect(run, id).toThrow();
  });
});

describe('the route with the vectors\' config: bare plaintext answers, refusals', () => {
  const wc = new FakeWecom();
  let app: TestApp;
  let bot: TestApp;
  const env = { WECOM_TOKEN: crypt.config.token, WECOM_ENCODING_AES_KEY: crypt.config.encoding_aes_key };
  beforeAll(async () => {
    await wc.start();
    app = await startTestApp(wecomEnv(wc.url, 'app', { ...env, WECOM_CORP_ID: crypt.config.corp_id }));
    bot = await startTestApp(wecomEnv(wc.url, 'aibot-http', env));
  });
  afterAll(async () => {
    await app?.stop();
    await bot?.stop();
    await wc.stop();
  });
  const mine = crypt.cases.filter((c) => c.inputs.method === 'GET' && c.inputs.token === crypt.config.token && c.inputs.encoding_aes_key === crypt.config.encoding_aes_key);
  it('covers accept and reject cases of both receivers', () => {
    expect(mine.filter((c) => c.expect === 'accept').map((c) => c.inputs.receive_id).sort()).toEqual(['', crypt.config.corp_id]);
    expect(mine.filter((c) => c.expect === 'reject').length).toBeGreaterThanOrEqual(3);
  });
  it.each(mine.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const target = c.inputs.receive_id ? app : bot;
    const r = await fetch(`${target.url}/webhooks/wecom?${c.inputs.raw_query ?? new URLSearchParams(c.inputs.query).toString()}`);
    if (c.expect === 'accept') {
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(c.expected.response_body);
    } else expect([400, 401]).toContain(r.status);
  });
});

describe('wecom-aibot-frames.json (the long connection)', () => {
  const wc = new FakeWecom({ botId: frames.protocol.auth_frame_sent_by_sdk.body['bot_id'] as string });
  let app: TestApp;
  beforeAll(async () => {
    await wc.start();
    app = await startTestApp(wecomEnv(wc.url, 'aibot-ws', { WECOM_WS_URL: wc.wsUrl, WECOM_BOT_ID: wc.botId, WECOM_BOT_SECRET: wc.botSecret }), { platformBackoffMs: 50 });
    await until(() => wc.live, 'the subscription');
  });
  afterAll(async () => {
    await app?.stop();
    await wc.stop();
  });
  it('subscribes with the frame the SDK sends (req_id "aibot_subscribe_<ms>_<rand>")', () => {
    expect(wc.subscribes).toBe(1);
    expect(wc.rejected).toEqual([]);
  });
  it('answers the inbound text with aibot_respond_msg on its req_id, and a card event with aibot_respond_update_msg on its', async () => {
    const text = frames.inbound_frames.text;
    wc.push('aibot_msg_callback', text.headers.req_id, text.body);
    const reply = await until(() => wc.sent.find((s) => s.reqId === text.headers.req_id), 'the reply');
    expect(reply.cmd).toBe(frames.sdk_sent_frames[0]!.cmd);
    // A push to the chat is the SDK's aibot_send_msg: a fresh req_id of the same shape, the same body keys.
    const sdkSend = frames.sdk_sent_frames.find((f) => f.cmd === 'aibot_send_msg')!;
    await app.adapters.get('wecom')!.send({ chatId: sdkSend.body['chatid'] as string }, { title: '[FIRING] KubePodCrashLooping prod/api', tone: 'danger', blocks: [] });
    const push = await until(() => wc.sent.find((s) => s.cmd === 'aibot_send_msg'), 'the push');
    expect(push.reqId).toMatch(/^aibot_send_msg_\d+_[a-z0-9]+$/);
    expect(Object.keys(push.body).sort()).toEqual(Object.keys(sdkSend.body).sort());
    expect(push.body['chatid']).toBe(sdkSend.body['chatid']);
    // The card event is answered on its own req_id (for a card this bot sent; the vectors' req-42 is not one).
    const card = frames.inbound_frames.card;
    wc.push('aibot_event_callback', card.headers.req_id, card.body);
    await app.dispatcher.idle();
    expect(wc.sent.filter((s) => s.cmd === 'aibot_respond_update_msg' && s.reqId !== card.headers.req_id)).toEqual([]);
  });
});
