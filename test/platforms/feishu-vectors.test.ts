import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFeishu, encryptFeishu, feishuSignature } from '../../src/platforms/feishu/crypto.js';
import { verifyFeishu } from '../../src/platforms/feishu/verify.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FEISHU, feishuEnv, signedRequest } from '../helpers/sign-feishu.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

interface Case {
  id: string;
  expect: 'accept' | 'reject';
  inputs: { encrypt_key?: string; verification_token?: string; iv_hex?: string; raw_body?: string; encrypt?: string; headers?: Record<string, string>; now_unix?: number };
  expected: { plaintext?: string; response_status?: number; response_body?: string; reject_reason?: string; signature?: string; example_response_body?: unknown };
}
const vectors = (f: string) => JSON.parse(readFileSync(join(ROOT, 'test/fixtures/vectors', f), 'utf8')) as { cases: Case[]; config?: { encrypt_key: string; verification_token: string } };
const enc = vectors('feishu-encrypt.json');
const sig = vectors('feishu-signature.json');

describe('vector copies', () => {
  it('match the shared originals when they are present', () => {
    const shared = join(ROOT, '../shared/vectors');
    if (!existsSync(shared)) return;
    // Every copy (the Feishu, DingTalk and WeCom tests read these, so a clone without ../shared still runs).
    const copies = readdirSync(join(ROOT, 'test/fixtures/vectors')).filter((f) => f.endsWith('.json'));
    expect(copies.length).toBeGreaterThanOrEqual(9);
    for (const f of copies) expect(readFileSync(join(ROOT, 'test/fixtures/vectors', f), 'utf8'), f).toBe(readFileSync(join(shared, f), 'utf8'));
  });
});

describe('feishu-encrypt.json: AES-256-CBC with SHA-256(Encrypt Key)', () => {
  it.each(enc.cases.filter((c) => c.expect === 'accept'))('$id decrypts, and re-encrypts to the same bytes', (c) => {
    const encrypted = c.inputs.encrypt ?? (JSON.parse(c.inputs.raw_body as string) as { encrypt: string }).encrypt;
    expect(decryptFeishu(c.inputs.encrypt_key as string, encrypted)).toBe(c.expected.plaintext);
    if (c.inputs.iv_hex) expect(encryptFeishu(c.inputs.encrypt_key as string, c.expected.plaintext as string, Buffer.from(c.inputs.iv_hex, 'hex'))).toBe(encrypted);
  });

  it.each(enc.cases.filter((c) => c.expect === 'reject'))('$id is refused ($expected.reject_reason)', (c) => {
    const body = Buffer.from(c.inputs.raw_body as string);
    const headers = c.inputs.headers ?? {};
    const now = Number(headers['x-lark-request-timestamp'] ?? 1_700_000_001) * 1000;
    expect(() => verifyFeishu(headers, body, { encryptKey: c.inputs.encrypt_key as string, verificationToken: FEISHU.verificationToken }, now)).toThrow();
    if (c.expected.reject_reason === 'bad_signature') {
      // The malleated ciphertext decrypts to valid JSON: only the signature catches it.
      const plain = decryptFeishu(c.inputs.encrypt_key as string, (JSON.parse(c.inputs.raw_body as string) as { encrypt: string }).encrypt);
      expect(() => JSON.parse(plain)).not.toThrow();
      expect(() => verifyFeishu(headers, body, { encryptKey: c.inputs.encrypt_key as string, verificationToken: FEISHU.verificationToken }, now)).toThrow(/X-Lark-Signature/);
    }
  });
});

describe('feishu-signature.json: X-Lark-Signature over the raw bytes', () => {
  it.each(sig.cases.filter((c) => c.expected.signature))('$id: the signature matches', (c) => {
    const h = c.inputs.headers as Record<string, string>;
    expect(feishuSignature(h['x-lark-request-timestamp']!, h['x-lark-request-nonce']!, c.inputs.encrypt_key as string, Buffer.from(c.inputs.raw_body as string))).toBe(c.expected.signature);
  });

  it('the helper that plays Feishu signs and encrypts exactly as the vectors do', () => {
    const v = sig.cases[0]!;
    const h = v.inputs.headers as Record<string, string>;
    expect(feishuSignature(h['x-lark-request-timestamp']!, h['x-lark-request-nonce']!, FEISHU.encryptKey, Buffer.from(v.inputs.raw_body as string))).toBe(h['x-lark-signature']);
    const made = signedRequest({ a: 1 }, { timestamp: 1_700_000_001, nonce: 'n' });
    expect(made.headers['x-lark-signature']).toBe(feishuSignature('1700000001', 'n', FEISHU.encryptKey, Buffer.from(made.body)));
    expect(JSON.parse(decryptFeishu(FEISHU.encryptKey, (JSON.parse(made.body) as { encrypt: string }).encrypt))).toEqual({ a: 1 });
  });
});

describe('every vector through the Koa route (FEISHU_MODE=http)', () => {
  let api: FakeFeishuApi;
  let app: TestApp;
  let clock = 1_700_000_005_000;
  beforeAll(async () => {
    api = await new FakeFeishuApi().start();
    app = await startTestApp(feishuEnv(api.url, 'http'), { now: () => clock });
  });
  afterAll(async () => {
    await app?.stop();
    await api?.stop();
  });
  const post = (body: string, headers: Record<string, string>) => fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  const seen = new Set<string>();
  const eventIdOf = (raw: string) => (JSON.parse(decryptFeishu(FEISHU.encryptKey, (JSON.parse(raw) as { encrypt: string }).encrypt)) as { header: { event_id: string } }).header.event_id;

  it.each(sig.cases)('$id → $expect', async (c) => {
    clock = (c.inputs.now_unix as number) * 1000;
    if (c.inputs.encrypt_key !== FEISHU.encryptKey) {
      // A verifier configured with another Encrypt Key: must refuse.
      expect(() => verifyFeishu(c.inputs.headers ?? {}, Buffer.from(c.inputs.raw_body as string), { encryptKey: c.inputs.encrypt_key as string, verificationToken: FEISHU.verificationToken }, clock)).toThrow(/X-Lark-Signature/);
      return;
    }
    const before = api.messages.length;
    const res = await post(c.inputs.raw_body as string, c.inputs.headers ?? {});
    if (c.expect === 'accept') {
      expect(res.status).toBe(200);
      if (c.id === 'callback-card-action-trigger') {
        // The vector's button value is not an opsbot payload: answered, with nothing executed.
        const body = (await res.json()) as { toast: { type: string; content: string } };
        expect(body.toast).toEqual({ type: 'error', content: 'button payload is malformed' });
      } else {
        expect(await res.json()).toEqual({});
        await app.dispatcher.idle();
        // The message (from alice, @bot) was dispatched and answered once; the same event_id again
        // (raw-body-not-compact-json re-sends the event of event-im-message-receive) is deduplicated.
        const id = eventIdOf(c.inputs.raw_body as string);
        expect(api.messages.length).toBe(seen.has(id) ? before : before + 1);
        seen.add(id);
        expect(api.messages.at(-1)!.replyTo).toBe('om_dc13264520392913993dd051dba21dcf');
      }
    } else {
      expect(res.status).toBe(401);
      await app.dispatcher.idle();
      expect(api.messages.length).toBe(before);
    }
  });

  it.each(enc.cases.filter((c) => c.inputs.raw_body && !c.inputs.headers?.['x-lark-signature'] && c.inputs.encrypt_key === FEISHU.encryptKey))('encrypt vector $id (unsigned) → only the handshake is answered', async (c) => {
    clock = 1_700_000_005_000;
    const res = await post(c.inputs.raw_body as string, {});
    if (c.id === 'url-verification-encrypted') {
      expect(res.status).toBe(c.expected.response_status);
      expect(await res.text()).toBe(c.expected.response_body);
    } else {
      // Unsigned events are refused (401); undecryptable bodies are refused too (400/401). Never 200.
      expect([400, 401]).toContain(res.status);
    }
  });

  it('cbc-malleability-valid-json with its original signature headers → 401', async () => {
    const c = enc.cases.find((x) => x.id === 'cbc-malleability-valid-json')!;
    clock = 1_700_000_005_000;
    expect((await post(c.inputs.raw_body as string, c.inputs.headers ?? {})).status).toBe(401);
  });
});
