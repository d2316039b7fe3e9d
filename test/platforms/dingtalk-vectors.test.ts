import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/core/errors.js';
import { callbackSignature, decryptCallback, dingtalkSign, encryptCallback, signedWebhookUrl, successReply } from '../../src/platforms/dingtalk/crypto.js';
import { verifyCallback, verifyRobot } from '../../src/platforms/dingtalk/verify.js';
import { FakeDingtalk } from '../fakes/dingtalk-api.js';
import { dingtalkEnv } from '../helpers/sign-dingtalk.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

/** Every case of shared/vectors/dingtalk-*.json, reproduced exactly. */
// The copies in test/fixtures/vectors (feishu-vectors.test.ts checks they still match ../shared/vectors).
const V = new URL('../fixtures/vectors/', import.meta.url);
const load = (f: string) => JSON.parse(readFileSync(new URL(f, V), 'utf8')) as { cases?: Case[]; frames?: Frame[]; config?: Record<string, string> };
interface Case {
  id: string;
  expect: 'accept' | 'reject';
  inputs: Record<string, unknown>;
  expected: Record<string, unknown>;
}
interface Frame {
  id: string;
  inbound_frame: { type: string; headers: Record<string, string>; data: string };
  sdk_sent_frames: Record<string, unknown>[];
}

describe('dingtalk-robot-sign.json (robot HTTP callback `sign` header)', () => {
  const cases = load('dingtalk-robot-sign.json').cases!;
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const headers = c.inputs['headers'] as Record<string, string>;
    const run = () => verifyRobot(headers, c.inputs['app_secret'] as string, c.inputs['now_ms'] as number);
    if (c.expect === 'accept') {
      expect(run()).toEqual({ timestamp: headers['timestamp'], sign: headers['sign'] });
      if (c.expected['string_to_sign']) expect(dingtalkSign(c.inputs['app_secret'] as string, headers['timestamp'] as string)).toBe(c.expected['sign']);
    } else expect(run).toThrow(VerificationError);
  });
});

describe('dingtalk-webhook-sign.json (custom robot URL signing)', () => {
  const cases = load('dingtalk-webhook-sign.json').cases!;
  const base = (token: string) => `https://oapi.dingtalk.com/robot/send?access_token=${token}`;
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const secret = c.inputs['secret'] as string;
    const ts = c.inputs['timestamp'] as string;
    if (c.expect === 'accept') {
      expect(dingtalkSign(secret, ts)).toBe(c.expected['sign_base64']);
      expect(signedWebhookUrl(base(c.inputs['access_token'] as string), secret, ts)).toBe(c.expected['url']);
    } else if (c.inputs['url']) {
      // Raw base64 in the query: what we build differs (we always URL-encode).
      const url = c.inputs['url'] as string;
      const token = new URL(url).searchParams.get('access_token') ?? '';
      expect(signedWebhookUrl(base(token), secret, ts)).not.toBe(url);
    } else {
      // A seconds timestamp is more than an hour from now in ms: we always sign with ms.
      expect(Math.abs((c.inputs['now_ms'] as number) - Number(ts))).toBeGreaterThan(3600_000);
    }
  });
});

describe('dingtalk-callback-crypto.json (DingCallbackCrypto, event subscription over HTTP)', () => {
  const file = load('dingtalk-callback-crypto.json');
  for (const c of file.cases!) {
    it(c.id, () => {
      const i = c.inputs as unknown as { token: string; aes_key: string; owner_key: string; random: string; raw_body: string; timeStamp: string; nonce: string; query?: Record<string, string> };
      const s = { token: i.token, aesKey: i.aes_key, ownerKey: i.owner_key };
      if (c.id === 'success-response') {
        const r = successReply(s.token, s.aesKey, s.ownerKey, { timeStamp: i.timeStamp, nonce: i.nonce, random: Buffer.from(i.random, 'utf8') });
        expect(r).toEqual(c.expected['response_body']);
        expect(decryptCallback(s.aesKey, s.ownerKey, r['encrypt'] as string)).toBe('success');
        return;
      }
      const run = () => verifyCallback(new URLSearchParams(i.query), Buffer.from(i.raw_body, 'utf8'), s);
      if (c.expect === 'accept') {
        expect(JSON.stringify(run())).toBe(JSON.stringify(JSON.parse(c.expected['plaintext'] as string)));
        expect(decryptCallback(s.aesKey, s.ownerKey, (JSON.parse(i.raw_body) as { encrypt: string }).encrypt)).toBe(c.expected['plaintext']);
        if (i.random) {
          // Re-encrypting with the recorded random prefix gives the same ciphertext (byte-exact port).
          expect(encryptCallback(s.aesKey, s.ownerKey, c.expected['plaintext'] as string, Buffer.from(i.random, 'utf8'))).toBe((JSON.parse(i.raw_body) as { encrypt: string }).encrypt);
        }
      } else expect(run).toThrow();
    });
  }
  it('the signature is the sorted concatenation, SHA-1 hex', () => {
    expect(callbackSignature('b', 'a', 'c', 'd')).toBe(callbackSignature('d', 'c', 'b', 'a'));
  });
});

describe('dingtalk-stream-frames.json (what the official client sends back)', () => {
  const frames = load('dingtalk-stream-frames.json').frames!;
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream'), { platformBackoffMs: 50 });
    const end = Date.now() + 5000;
    while (!dt.socket && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });
  it.each(frames.map((f) => [f.id, f] as const))('%s', async (id, f) => {
    const ack = await dt.push(f.inbound_frame);
    const want = f.sdk_sent_frames[0]!;
    if (id === 'callback-card-approve') {
      // The SDK example answers with its own card; ours answers for a card it knows. The envelope is the same.
      expect({ ...ack, data: undefined }).toEqual({ ...want, data: undefined });
      expect(JSON.parse(ack['data'] as string)).toHaveProperty('response');
    } else expect(ack).toEqual(want);
  });
});
