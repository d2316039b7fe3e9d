import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/log.js';
import { LogCapture, startTestApp, type TestApp } from '../helpers/start-app.js';

const SECRETS = {
  OPSBOT_SECRET: 'opsbot-signing-key-0123456789-abcdefghij',
  CONSOLE_TOKEN: 'console-token-9876543210-zyxwv',
  LLM_API_KEY: 'sk-test-llm-key-5555555555555555',
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ ...SECRETS, LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_MODEL: 'test-model' });
});
afterAll(() => app.stop());

describe('secrets never reach the log', () => {
  it('config, authorization headers and signed buttons are redacted through full requests', async () => {
    const h = { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.CONSOLE_TOKEN}` };
    const send = async (text: string, user = 'alice') => {
      const r = await fetch(`${app.url}/console/api/send`, { method: 'POST', headers: h, body: JSON.stringify({ user, text }) });
      return (await r.json()) as { cards: { id: string; buttons: { action: string }[] }[] };
    };
    const pods = await send('/pods');
    await fetch(`${app.url}/console/api/click`, { method: 'POST', headers: h, body: JSON.stringify({ user: 'bob', card: pods.cards[0]!.id, action: 'logs' }) });
    await send('/scale api-gateway 4');
    await send('/pods', 'mallory');
    await fetch(`${app.url}/console/api/send`, { method: 'POST', headers: { ...h, authorization: 'Bearer wrong-token-value-xyz' }, body: '{}' });

    const out = app.logs.text;
    expect(out).toContain('"msg":"configuration"');
    expect(out).toContain('"msg":"http"');
    expect(out).toContain('"authorization":"[redacted]"');
    for (const [name, value] of Object.entries(SECRETS)) expect(out.includes(value), `${name} leaked`).toBe(false);
    expect(out).not.toContain('wrong-token-value-xyz');
    // Signed button payloads are bearer capabilities too.
    expect(out).not.toMatch(/v1\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}/);
  });

  it('redacts secret-looking fields and URL query strings in any log call', () => {
    const cap = new LogCapture();
    const log = createLogger({ level: 'info', format: 'json', destination: cap });
    log.info({ feishu: { appSecret: 's1', encryptKey: 's2' }, llm: { apiKey: 's3' }, x: { token: 's4' }, url: 'https://oapi.dingtalk.com/robot/send?access_token=s5' }, 'call');
    for (const s of ['"s1"', '"s2"', '"s3"', '"s4"', 's5']) expect(cap.text).not.toContain(s);
    expect(redactUrl('https://u:p@host/path?access_token=abc')).toBe('https://host/path?[redacted]');
  });
});
