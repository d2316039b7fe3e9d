import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFeishuBot } from '../fakes/feishu-bot.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { until, untilAsync } from '../helpers/until.js';

/** Alert delivery to a send-only robot: a 429 with Retry-After is waited out and retried; P3 is recorded, not posted. */
describe('alert delivery', () => {
  const TOKEN = 'tok-alerts-000000001';
  let bot: FakeFeishuBot;
  let app: TestApp;
  beforeAll(async () => {
    bot = await new FakeFeishuBot({ [TOKEN]: {} }).start();
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-deliv-')), 'policy.yaml');
    writeFileSync(file, `${readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8')}\nnotify:\n  targets:\n    sre: { platform: feishu-bot, chat: sre }\nalerts:\n  routes:\n    - matchers: ['namespace="production"']\n      targets: [sre]\n`);
    app = await startTestApp({ OPSBOT_CONFIG: file, FEISHU_BOT_WEBHOOKS: `sre=${bot.hook(TOKEN)}` }, { platformBackoffMs: 20 });
  });
  afterAll(async () => {
    await app?.stop();
    await bot?.stop();
  });
  const payload = (alertname: string, severity: string) => ({
    version: '4', groupKey: `{}:{alertname="${alertname}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'opsbot', groupLabels: { alertname }, commonLabels: { alertname, severity, namespace: 'production' }, commonAnnotations: { summary: alertname }, externalURL: 'http://am',
    alerts: [{ status: 'firing', labels: { alertname, severity, namespace: 'production' }, annotations: { summary: alertname }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `fp-${alertname}` }],
  });
  const post = (b: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });

  it('a 429 with Retry-After: 1 is waited out, then the card is posted; the webhook was answered at once', async () => {
    bot.throttleNext = 1;
    const t0 = Date.now();
    const r = await post(payload('KubeNodeNotReady', 'error'));
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(900);
    const p = await until(() => bot.posts.find((x) => JSON.stringify(x.body.card).includes('KubeNodeNotReady')), 'the card', 10_000);
    expect(p).toBeTruthy();
    expect(bot.throttledAt).toHaveLength(1);
    expect(Date.now() - bot.throttledAt[0]!).toBeGreaterThanOrEqual(950); // Retry-After honoured
    await app.dispatcher.idle();
    expect((await app.audit()).some((e) => e.kind === 'notify' && e.outcome === 'ok' && /KubeNodeNotReady/.test(e.reason ?? ''))).toBe(true);
  });

  it('a P0 that resolves while its first post waits in the queue is posted as resolved, waking nobody', async () => {
    // Five cards fill this second of the robot's 5-per-second queue; the P0 waits for the next one.
    for (let i = 0; i < 5; i++) expect((await post(payload(`Filler${i}`, 'warning'))).status).toBe(200);
    const firing = payload('EtcdNoLeader', 'critical');
    expect((await post(firing)).status).toBe(200);
    const resolved = { ...firing, status: 'resolved', alerts: firing.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: new Date().toISOString() })) };
    expect((await post(resolved)).status).toBe(200);
    const p = await until(() => bot.posts.find((x) => JSON.stringify(x.body.card).includes('EtcdNoLeader')), 'the card', 10_000);
    const text = JSON.stringify(p.body.card);
    expect(text).toContain('resolved');
    expect(text).not.toContain('<at id=all>');
    await app.dispatcher.idle();
    expect(bot.posts.filter((x) => JSON.stringify(x.body.card).includes('EtcdNoLeader'))).toHaveLength(1);
  });

  it('a card that could not be delivered is a dead letter on the status page; an approver retries it and it is delivered', async () => {
    bot.throttleNext = 50;
    expect((await post(payload('DiskFull', 'error'))).status).toBe(200);
    const status = async () => (await (await fetch(`${app.url}/console/api/status`)).json()) as { outbound: { deadLetters24h: number; deadLetters: { key: string; target: string; title: string; retryable: boolean }[] } };
    const dead = await untilAsync(async () => (await status()).outbound.deadLetters.find((d) => d.title.includes('DiskFull')), 'the dead letter', 20_000);
    expect(dead).toMatchObject({ target: 'sre', retryable: true });
    expect((await status()).outbound.deadLetters24h).toBeGreaterThanOrEqual(1);
    bot.throttleNext = 0;
    const retry = (user: string) => fetch(`${app.url}/console/api/dead-letters/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: dead.key, user }) });
    // Retrying is for approvers.
    expect((await retry('carol')).status).toBe(403);
    const ok = await retry('bob');
    expect(await ok.json()).toEqual({ ok: true, target: 'sre' });
    expect(bot.posts.some((x) => JSON.stringify(x.body.card).includes('DiskFull'))).toBe(true);
    expect((await status()).outbound.deadLetters.find((d) => d.key === dead.key)).toBeUndefined();
    expect((await app.audit()).some((e) => e.kind === 'dead-letter-retry' && e.actor === 'bob')).toBe(true);
    expect((await retry('bob')).status).toBe(400); // gone now
  }, 40_000);

  it('P3 is recorded and audited, not posted', async () => {
    const before = bot.posts.length;
    const r = await post(payload('InfoOnly', 'info'));
    expect(((await r.json()) as { level: string; posted: number })).toMatchObject({ level: 'P3', posted: 0 });
    await app.dispatcher.idle();
    expect(bot.posts.length).toBe(before);
    expect((await app.audit()).some((e) => e.kind === 'alert' && /P3 InfoOnly/.test(e.reason ?? ''))).toBe(true);
  });
});
