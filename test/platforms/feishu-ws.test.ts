import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, FakeFeishuApi } from '../fakes/feishu-api.js';
import { FakeFeishuGateway } from '../fakes/feishu-ws.js';
import { clickEnvelope, FEISHU, feishuEnv, messageEnvelope } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

let api: FakeFeishuApi;
let gw: FakeFeishuGateway;
let app: TestApp;

beforeAll(async () => {
  api = await new FakeFeishuApi().start();
  gw = await new FakeFeishuGateway().start();
  api.wsUrl = gw.url;
  app = await startTestApp(feishuEnv(api.url, 'ws'), { platformBackoffMs: 50 });
  await gw.waitForConnection();
});
afterAll(async () => {
  await app?.stop();
  await gw?.stop();
  await api?.stop();
});

describe('the full loop over the long connection', () => {
  it('the HTTP route is off while the long connection runs', async () => {
    const r = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'feishu runs over the long connection (FEISHU_MODE=ws); the HTTP callback route is off' });
    expect(gw.pings.length).toBeGreaterThanOrEqual(1);
  });

  it('/scale over the long connection → approval card → click acked with toast + card → cluster scaled → card patched', async () => {
    const before = api.messages.length;
    const ack = await gw.push(messageEnvelope(FEISHU.alice, '/scale api-gateway 5 -n production'));
    expect(ack.code).toBe(200);
    expect(ack.data).toBeUndefined();
    expect(ack.headers['biz_rt']).toMatch(/^\d+$/);
    await app.dispatcher.idle();
    const card = api.messages[before]!;
    expect(card.card.header.title.content).toMatch(/^Approval needed · [A-Z0-9]{4}$/);

    const value = FakeFeishuApi.buttonValue(card.card, 'Approve');
    const clickAck = await gw.push(clickEnvelope(FEISHU.bob, value, card.id));
    expect(clickAck.code).toBe(200);
    const answer = clickAck.data as { toast: { type: string; content: string }; card: { type: string; data: unknown } };
    expect(answer.toast.type).toBe('success');
    expect(answer.toast.content).toMatch(/^Approved by Bob Li \d\d:\d\d — executing…/);
    expect(answer.card.type).toBe('raw');

    await api.until(() => card.patches.some((p) => /^Done · /.test(p.header.title.content)));
    expect(cardText(card.patches.at(-1))).toMatch(/scaled production\/api-gateway 3 → 5 — 5\/5 ready in \d+ s/);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('fragmented frames are merged; card-type frames work too; redelivered events are not run twice', async () => {
    const env = messageEnvelope(FEISHU.carol, '/nodes');
    const before = api.messages.length;
    const a1 = await gw.push(env, { fragments: 3 });
    const a2 = await gw.push(env);
    expect([a1.code, a2.code]).toEqual([200, 200]);
    await app.dispatcher.idle();
    expect(api.messages.length - before).toBe(1);
    const [pods] = api.messages.slice(-1);
    const refusal = await gw.push(clickEnvelope('ou_nobody', { p: 'v1.x.y' }, pods!.id), { type: 'card' });
    expect(refusal.data).toEqual({ toast: { type: 'error', content: 'button payload signature is invalid' } });
  });

  it('a payload with a wrong verification token is dropped', async () => {
    const env = messageEnvelope(FEISHU.carol, '/nodes');
    env.header.token = 'wrong';
    const before = api.messages.length;
    expect((await gw.push(env)).code).toBe(200);
    await app.dispatcher.idle();
    expect(api.messages.length).toBe(before);
  });

  it('reconnects with backoff when the gateway drops the connection', async () => {
    const n = gw.connections;
    gw.kick();
    await gw.waitForConnection(n + 1);
    const before = api.messages.length;
    expect((await gw.push(messageEnvelope(FEISHU.carol, '/nodes'))).code).toBe(200);
    await app.dispatcher.idle();
    expect(api.messages.length).toBe(before + 1);
  });
});

describe('the fake gateway speaks what the official SDK speaks', () => {
  it('the official WSClient connects, receives the same frames, and acks them like opsbot does', async () => {
    const sdkGw = await new FakeFeishuGateway().start();
    const sdkApi = await new FakeFeishuApi().start();
    sdkApi.wsUrl = sdkGw.url;
    const seen: unknown[] = [];
    const client = new lark.WSClient({ appId: FEISHU.appId, appSecret: FEISHU.appSecret, domain: sdkApi.url, loggerLevel: lark.LoggerLevel.error });
    const dispatcher = new lark.EventDispatcher({}).register({
      'im.message.receive_v1': async (data: unknown) => {
        seen.push(data);
      },
      'card.action.trigger': async () => ({ toast: { type: 'success', content: 'ok' } }),
    } as never);
    try {
      await client.start({ eventDispatcher: dispatcher });
      await sdkGw.waitForConnection();
      const env = messageEnvelope(FEISHU.carol, '/nodes');
      const sdkAck = await sdkGw.push(env, { fragments: 2 });
      expect(seen).toHaveLength(1);
      const ours = await gw.push(messageEnvelope(FEISHU.carol, '/nodes'), { fragments: 2 });
      // Same ack shape: the echoed headers plus biz_rt, and {"code":200}.
      expect(Object.keys(sdkAck.headers).sort()).toEqual(Object.keys(ours.headers).sort());
      expect([sdkAck.code, ours.code]).toEqual([200, 200]);
      const sdkClick = await sdkGw.push(clickEnvelope(FEISHU.bob, { p: 'x' }, 'om_1'));
      expect(sdkClick.data).toEqual({ toast: { type: 'success', content: 'ok' } });
    } finally {
      client.close({ force: true });
      await sdkGw.stop();
      await sdkApi.stop();
    }
  });
});
