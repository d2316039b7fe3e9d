/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/core/status.js';
import { FakeDingtalk } from '../fakes/dingtalk-api.js';
import { dingtalkEnv } from '../helpers/sign-dingtalk.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { untilAsync } from '../helpers/until.js';

/** The console's status page tells the truth: each component's state, while the fakes go away and come back. */
describe('status page', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream'), { platformBackoffMs: 50 });
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });
  const CHROMIUM = process.env['CHROMIUM_PATH'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  let browser: Browser | undefined;
  /** The status page as a person sees it (where Chromium is installed: .ci/run installs it). */
  const look = async (text: RegExp, shot: string) => {
    if (!CHROMIUM) return;
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`${app.url}/console/status`);
      await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toMatch(text);
      await page.screenshot({ path: join(tmpdir(), `opsbot-status-${shot}-${width}.png`), fullPage: true });
      await page.close();
    }
  };
  afterAll(async () => {
    await browser?.close();
  });
  const status = async (): Promise<StatusReport> => (await (await fetch(`${app.url}/console/api/status`)).json()) as StatusReport;

  it('names every component with its state: platforms and transports, cluster, LLM, store, queues, alerts, approvals', async () => {
    const s = await untilAsync(async () => {
      const r = await status();
      return r.platforms.find((p) => p.id === 'dingtalk')?.connection?.state === 'open' ? r : undefined;
    }, 'the stream to connect');
    expect(s.ok).toBe(true);
    expect(s.platforms.map((p) => [p.id, p.transport])).toEqual([['console', 'local'], ['dingtalk', 'long connection']]);
    expect(s.kubernetes).toMatchObject({ ok: true, version: expect.stringMatching(/opsbot-demo/) });
    expect(s.kubernetes.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.store).toEqual({ ok: true });
    expect(s.llm).toEqual({ configured: false });
    expect(s.outbound).toMatchObject({ queued: 0, deadLetters24h: 0 });
    // Activity: a command through the console shows as an event and a card sent.
    await app.send('alice', '/status');
    const after = await status();
    const con = after.platforms.find((p) => p.id === 'console')!;
    expect(con.events).toBeGreaterThanOrEqual(1);
    expect(con.sends).toBeGreaterThanOrEqual(1);
    expect(con.lastEventAt).toBeGreaterThan(0);
    const page = await (await fetch(`${app.url}/console/status`)).text();
    expect(page).toContain('<title>opsbot status</title>');
  });

  it('the gateway goes away: the connection shows down with the error; it comes back: connected again, the reconnect counted', { timeout: 60_000 }, async () => {
    const port = Number(new URL(dt.url).port);
    const before = (await status()).platforms.find((p) => p.id === 'dingtalk')!.connection!;
    await dt.stop();
    const down = await untilAsync(async () => {
      const r = await status();
      const d = r.platforms.find((p) => p.id === 'dingtalk')!;
      return d.connection?.state !== 'open' ? { r, d } : undefined;
    }, 'the status to show the connection down');
    expect(down.d.ok).toBe(false);
    expect(down.r.ok).toBe(false);
    expect(down.d.connection!.failures).toBeGreaterThan(before.failures);
    // Down since it dropped: the retries while down do not move it.
    await new Promise((r) => setTimeout(r, 300));
    const later = (await status()).platforms.find((p) => p.id === 'dingtalk')!.connection!;
    expect(later.state).not.toBe('open');
    expect(later.since).toBe(down.d.connection!.since);
    expect(later.failures).toBeGreaterThan(down.d.connection!.failures);
    await look(/DingTalk[\s\S]*down — reconnecting/, 'dingtalk-down');
    await dt.start(port);
    const back = await untilAsync(async () => {
      const r = await status();
      const d = r.platforms.find((p) => p.id === 'dingtalk')!;
      return d.connection?.state === 'open' ? { r, d } : undefined;
    }, 'the connection to come back', 15_000);
    expect(back.d.ok).toBe(true);
    expect(back.r.ok).toBe(true);
    expect(back.d.connection!.opened).toBeGreaterThan(before.opened);
    expect(back.d.connection!.since).toBeGreaterThan(before.since);
    await look(/All components are healthy[\s\S]*DingTalk[\s\S]*connected since/, 'dingtalk-back');
  });

  it('config view: every variable with its source; secrets only as set / not set; the policy as tables', async () => {
    const c = (await (await fetch(`${app.url}/console/api/config`)).json()) as { settings: { name: string; group: string; source: string; value: string }[]; policy: { people: { id: string; roles: string[] }[]; approvals: { chains: { risk: string; steps: string[] }[] } } };
    const by = (n: string) => c.settings.find((s) => s.name === n)!;
    expect(by('DINGTALK_CLIENT_SECRET')).toMatchObject({ group: 'dingtalk', source: 'env', value: '[set]' });
    expect(by('CONSOLE_TOKEN')).toMatchObject({ source: 'default', value: '[not set]' });
    expect(by('DINGTALK_MODE')).toMatchObject({ source: 'env', value: 'stream' });
    expect(by('KUBE_TIMEOUT')).toMatchObject({ source: 'default', value: '10s' });
    expect(JSON.stringify(c)).not.toContain('opsbotDingTalkAppSecret');
    expect(c.policy.people.length).toBeGreaterThan(0);
    expect(c.policy.approvals.chains.length).toBeGreaterThan(0);
    expect((await (await fetch(`${app.url}/console/config`)).text())).toContain('<title>opsbot config');
  });

  it('tools: every command with its usage and risk, and the very tool schema the LLM is given', async () => {
    const t = (await (await fetch(`${app.url}/console/api/tools`)).json()) as { commands: { name: string; usage: string; mutating: unknown; tool?: { function: { name: string } } }[] };
    const names = t.commands.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['pods', 'logs', 'scale', 'approve']));
    expect(t.commands.find((c) => c.name === 'scale')).toMatchObject({ usage: expect.stringMatching(/^\/scale /), mutating: { risk: 'medium' }, tool: { function: { name: 'scale' } } });
    // Approving is for humans: no tool for it.
    expect(t.commands.find((c) => c.name === 'approve')!.tool).toBeUndefined();
    expect((await (await fetch(`${app.url}/console/tools`)).text())).toContain('<title>opsbot tools');
  });
});
