import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackSignature, decryptCallback, encryptCallback } from '../../src/platforms/dingtalk/crypto.js';
import { type CardInstance, FakeDingtalk } from '../fakes/dingtalk-api.js';
import { cardClick, DINGTALK, dingtalkEnv, robotHeaders, robotMessage } from '../helpers/sign-dingtalk.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/**
 * DingTalk over HTTP: robot messages POSTed to /webhooks/dingtalk with `timestamp` + `sign`; the card
 * callback route registered at startup (its URL carries a token derived from the app secret); the
 * event-subscription handshake (check_url) answered with the encrypted `success`.
 */
const EVENT = { token: 'opsbotDingToken', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

describe('DingTalk HTTP mode with interactive cards', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  let callbackUrl = '';
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(
      dingtalkEnv(dt.url, 'http', {
        DINGTALK_CARD_TEMPLATE_ID: 'opsbot-card-test.schema',
        DINGTALK_CARD_CALLBACK_URL: 'https://opsbot.example.com/webhooks/dingtalk',
        DINGTALK_EVENT_TOKEN: EVENT.token,
        DINGTALK_EVENT_AES_KEY: EVENT.aesKey,
      }),
      { platformBackoffMs: 50 },
    );
    callbackUrl = dt.registered[0]?.callbackUrl ?? '';
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = robotHeaders(), query = '') =>
    fetch(`${app.url}/webhooks/dingtalk${query}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const clickUrl = () => `${app.url}/webhooks/dingtalk${new URL(callbackUrl).search}`;
  const newCard = (before: Set<string>, pred: (c: CardInstance) => boolean) => [...dt.cards.values()].find((c) => !before.has(c.outTrackId) && pred(c));

  it('registers the card callback route at startup, with a token in its URL', () => {
    expect(dt.registered).toHaveLength(1);
    const u = new URL(callbackUrl);
    expect(u.origin + u.pathname).toBe('https://opsbot.example.com/webhooks/dingtalk');
    expect(u.searchParams.get('ct')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(dt.registered[0]!.callbackRouteKey).toBe('opsbot');
  });

  it('/scale signed message → card with HTTP callbacks → click posted to the callback URL → answered with the card → Done', async () => {
    const before = new Set(dt.cards.keys());
    const r = await post(robotMessage({ text: '/scale api-gateway 6 -n production', session: dt.session() }));
    expect(r.status).toBe(200);
    const card = await until(() => newCard(before, (c) => /Approval needed/.test(c.params['title'] ?? '')), 'the approval card');
    expect(card).toMatchObject({ callbackType: 'HTTP', callbackRouteKey: 'opsbot' });
    const click = await fetch(clickUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cardClick({ outTrackId: card.outTrackId, userId: 'sre_bob', action: card.params['btn1_action'] as string })) });
    expect(click.status).toBe(200);
    const answer = (await click.json()) as { cardData?: { cardParamMap: Record<string, string> } };
    expect(answer.cardData?.cardParamMap['title']).toMatch(/Approved by Bob Li .*executing/);
    await until(() => card.updates.some((u) => /Done/.test(u['title'] ?? '')), 'the Done update');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('bad sign, stale or future timestamp, missing headers, a replayed signature, a click without the token → 401, nothing runs', async () => {
    const before = dt.cards.size + dt.messages.length;
    const body = robotMessage({ text: '/scale order-service 9 -n production' });
    expect((await post(body, robotHeaders(Date.now(), 'wrong-secret'))).status).toBe(401);
    expect((await post(body, robotHeaders(Date.now() - 61 * 60_000))).status).toBe(401);
    expect((await post(body, robotHeaders(Date.now() + 61 * 60_000))).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    const h = robotHeaders();
    expect((await post(robotMessage({ text: '/pods' }), h)).status).toBe(200);
    // The body is not signed: the same (timestamp, sign) with another body is refused.
    expect((await post(body, h)).status).toBe(401);
    const noToken = await post(cardClick({ outTrackId: 'x', userId: 'sre_bob' }), { 'content-type': 'application/json' }, '?ct=forged-token-000000000000000000');
    expect(noToken.status).toBe(401);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /order-service\/scale$/, { dryRun: false })).toBe(0);
    expect(dt.cards.size + dt.messages.length).toBe(before + 1); // only the /pods reply
  });

  it('a body over the size limit is refused; a malformed body is a 400 with nothing run', async () => {
    expect((await post('x'.repeat(2 * 1024 * 1024))).status).toBe(413);
    expect((await post('{not json')).status).toBe(400);
  });

  it('answers the event subscription check_url with the encrypted success; refuses a bad signature', async () => {
    const ts = String(Date.now());
    const nonce = 'nonce123';
    const encrypt = encryptCallback(EVENT.aesKey, DINGTALK.clientId, '{"EventType":"check_url"}');
    const sig = callbackSignature(EVENT.token, ts, nonce, encrypt);
    const r = await post({ encrypt }, { 'content-type': 'application/json' }, `?msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`);
    expect(r.status).toBe(200);
    const j = (await r.json()) as Record<string, string>;
    expect(j['msg_signature']).toBe(callbackSignature(EVENT.token, j['timeStamp']!, j['nonce']!, j['encrypt']!));
    expect(decryptCallback(EVENT.aesKey, DINGTALK.clientId, j['encrypt']!)).toBe('success');
    const bad = await post({ encrypt }, { 'content-type': 'application/json' }, `?msg_signature=${'0'.repeat(40)}&timestamp=${ts}&nonce=${nonce}`);
    expect(bad.status).toBe(401);
  });

});

describe('the route with the vectors\' event subscription config (DingCallbackCrypto)', () => {
  const file = JSON.parse(readFileSync(new URL('../fixtures/vectors/dingtalk-callback-crypto.json', import.meta.url), 'utf8')) as {
    config: { token: string; aes_key: string; owner_key: string };
    cases: { id: string; expect: string; inputs: { token: string; aes_key: string; owner_key: string; query?: Record<string, string>; raw_body?: string }; expected: { plaintext?: string } }[];
  };
  const dt = new FakeDingtalk({ clientId: file.config.owner_key });
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'http', { DINGTALK_CLIENT_ID: file.config.owner_key, DINGTALK_EVENT_TOKEN: file.config.token, DINGTALK_EVENT_AES_KEY: file.config.aes_key }));
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });
  // The cases made for this config (the others configure another token or key, checked in the vectors test).
  const mine = file.cases.filter((c) => c.inputs.query && c.inputs.token === file.config.token && c.inputs.aes_key === file.config.aes_key && c.inputs.owner_key === file.config.owner_key);
  it('covers accept and reject cases', () => {
    expect(mine.filter((c) => c.expect === 'accept').length).toBeGreaterThanOrEqual(2);
    expect(mine.filter((c) => c.expect === 'reject').length).toBeGreaterThanOrEqual(2);
  });
  it.each(mine.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const r = await fetch(`${app.url}/webhooks/dingtalk?${new URLSearchParams(c.inputs.query).toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: c.inputs.raw_body ?? '' });
    if (c.expect === 'accept') {
      expect(r.status).toBe(200);
      const j = (await r.json()) as Record<string, string>;
      expect(j['msg_signature']).toBe(callbackSignature(file.config.token, j['timeStamp']!, j['nonce']!, j['encrypt']!));
      expect(decryptCallback(file.config.aes_key, file.config.owner_key, j['encrypt']!)).toBe('success');
    } else expect([400, 401]).toContain(r.status);
  });
});

describe('DingTalk: a card that cannot be delivered falls back to markdown and says so', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    dt.failCards = 'template not published';
    app = await startTestApp(dingtalkEnv(dt.url, 'stream', { DINGTALK_CARD_TEMPLATE_ID: 'unpublished.schema' }), { platformBackoffMs: 50 });
    await until(() => dt.socket, 'the stream connection');
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  it('the approval arrives as markdown with /approve typed and the reason; /approve then works', async () => {
    await dt.push({ type: 'CALLBACK', headers: { contentType: 'application/json', messageId: 'f-1', topic: '/v1.0/im/bot/messages/get' }, data: JSON.stringify(robotMessage({ text: '/scale api-gateway 2 -n production', session: dt.session() })) });
    const m = await until(() => dt.messages.find((x) => /Approval needed/.test(x.title)), 'the markdown approval');
    const id = /· ([A-Z0-9]{4})/.exec(m.title)![1]!;
    expect(m.text).toContain(`/approve ${id}`);
    expect(m.text).toMatch(/could not be delivered .*template not published/);
    await dt.push({ type: 'CALLBACK', headers: { contentType: 'application/json', messageId: 'f-2', topic: '/v1.0/im/bot/messages/get' }, data: JSON.stringify(robotMessage({ text: `/approve ${id}`, staffId: 'sre_bob', session: dt.session() })) });
    await until(() => dt.messages.some((x) => /Done/.test(x.title)), 'the Done message');
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });
});
