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

  it('the gateway goes away: the connection shows down with the error; it comes back: connected again, the reconnect counted', async () => {
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
  });
});
