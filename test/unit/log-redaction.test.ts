import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, lazyChild, redactUrl } from '../../src/log.js';
import { loadConfig } from '../../src/config/env.js';
import { LogCapture, ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

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
    // URLs in any field, nested, inside sentences and in errors' messages and stacks.
    log.warn({ err: new Error('fetch https://h.example/?k=s6xyz failed'), reason: 'ws wss://g.example/connect?ticket=s7xyz closed', summary: { apiBase: 'http://u:s8xyz@h.example/' } }, 'failed');
    for (const s of ['"s1"', '"s2"', '"s3"', '"s4"', 's5', 's6xyz', 's7xyz', 's8xyz']) expect(cap.text).not.toContain(s);
    expect(cap.text).toContain('wss://g.example/connect?[redacted] closed');
    expect(redactUrl('https://u:p@host/path?access_token=abc')).toBe('https://host/path?[redacted]');
  });

  it('a secret planted in any URL variable (query string) reaches no log line, not even the debug config dump', async () => {
    const planted = { LLM_BASE_URL: 'http://127.0.0.1:9/v1?api-key=PLANTED-llm-query-key', ALERTMANAGER_URL: 'http://127.0.0.1:9/?token=PLANTED-am-query-token', FEISHU_API_BASE: 'http://127.0.0.1:9/open?k=PLANTED-feishu-base' };
    const a = await startTestApp({ ...planted, LLM_MODEL: 'm', LLM_API_KEY: 'sk-x', FEISHU_APP_ID: 'cli_a1b2c3d4e5f6', FEISHU_APP_SECRET: 'feishu-secret-0123456789abcdef', FEISHU_MODE: 'http', FEISHU_VERIFICATION_TOKEN: 'feishu-verification-token-01', LOG_LEVEL: 'debug' });
    try {
      await a.send('alice', '/status');
      const out = a.logs.text;
      expect(out).toContain('"msg":"configuration"');
      expect(out).toContain('plain-language requests enabled');
      expect(out).not.toMatch(/PLANTED/);
      const status = await (await fetch(`${a.url}/console/api/status`)).text();
      expect(status).not.toMatch(/PLANTED/);
    } finally {
      await a.stop();
    }
  });

  it('a URL with user:password@ is refused at startup with the reason, without echoing the password', () => {
    for (const name of ['LLM_BASE_URL', 'ALERTMANAGER_URL', 'FEISHU_API_BASE', 'DINGTALK_API_BASE', 'WECOM_API_BASE']) {
      const env: Record<string, string> = { [name]: 'http://user:PLANTED-password@127.0.0.1:9/v1', LLM_MODEL: 'm', FEISHU_APP_ID: 'cli_a1b2c3d4e5f6', FEISHU_APP_SECRET: 'feishu-secret-0123456789abcdef', DINGTALK_CLIENT_ID: 'dingclientid0001', DINGTALK_CLIENT_SECRET: 'ding-secret-0123456789abcdef0123', WECOM_MODE: 'app', WECOM_CORP_ID: 'ww0123456789abcdef', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'wecom-secret-0123456789abcdef0123456789', WECOM_TOKEN: 'wecomtoken', WECOM_ENCODING_AES_KEY: 'a'.repeat(43) };
      const r = loadConfig(env, { cwd: ROOT });
      expect(r.ok, name).toBe(false);
      if (r.ok) continue;
      const line = r.problems.find((p) => p.startsWith(`${name}:`));
      expect(line, `${name}: ${r.problems.join(' | ')}`).toMatch(/must not contain user:password@/);
      expect(r.problems.join('\n')).not.toMatch(/PLANTED/);
    }
  });

  it('a lazy child logger writes what a child would (bindings redacted), and is made only when a line is written', () => {
    const dest = new LogCapture();
    const log = createLogger({ level: 'info', format: 'json', destination: dest });
    let made = 0;
    const counting = new Proxy(log, { get: (t, k) => (k === 'child' ? (...a: Parameters<typeof log.child>) => (made++, t.child(...a)) : Reflect.get(t, k)) });
    const lazy = lazyChild(counting, { chatId: 'oc_1', cfg: { token: 'PLANTED-token' } });
    lazy.debug({ x: 1 }, 'below the level');
    expect(lazy.isLevelEnabled('debug')).toBe(false);
    expect(lazy.isLevelEnabled('info')).toBe(true);
    expect(made).toBe(0);
    expect(dest.text).toBe('');
    lazy.info({ n: 1 }, 'first');
    lazy.warn('second');
    lazy.child({ step: 2 }).info('grandchild');
    expect(made).toBe(1);
    const lines = dest.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['msg'])).toEqual(['first', 'second', 'grandchild']);
    for (const l of lines) expect(l).toMatchObject({ chatId: 'oc_1', cfg: { token: '[redacted]' } });
    expect(lines[2]).toMatchObject({ step: 2 });
    expect(dest.text).not.toMatch(/PLANTED/);
    // Setting the level changes the child, not the logger it came from.
    lazy.level = 'debug';
    expect(lazy.isLevelEnabled('debug')).toBe(true);
    expect(log.isLevelEnabled('debug')).toBe(false);
  });
});
