import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

let cluster: DemoKubeServer;
let api: FakeFeishuApi;
let app: TestApp;
const dir = mkdtempSync(join(tmpdir(), 'opsbot-metrics-'));
beforeAll(async () => {
  cluster = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
  writeFileSync(join(dir, 'kubeconfig'), demoKubeConfigText(cluster.url));
  api = await new FakeFeishuApi().start();
  app = await startTestApp({ ...feishuEnv(api.url, 'http'), OPSBOT_DEMO: '', KUBECONFIG: join(dir, 'kubeconfig'), HOST: '127.0.0.1' });
});
afterAll(async () => {
  await app?.stop();
  await api?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const scrape = async () => (await (await fetch(`${app.url}/metrics`)).text()).split('\n');
const value = (lines: string[], series: string) => Number(lines.find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? NaN);
const post = async (plain: unknown, tamper = false) => {
  const { headers, body } = signedRequest(plain);
  if (tamper) headers['x-lark-signature'] = '0'.repeat(64);
  return (await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body })).status;
};

describe('/metrics for operators', () => {
  it('counts events by platform and outcome, signature failures, approvals open and by transition, outbound queue, Kubernetes API errors', async () => {
    expect(await post(messageEnvelope(FEISHU.carol, '/pods production'), true)).toBe(401);
    const ev = messageEnvelope(FEISHU.alice, '/scale api-gateway 5 -n production', { eventId: 'ev-metrics-1' });
    expect(await post(ev)).toBe(200);
    expect(await post(ev)).toBe(200); // a redelivery
    await app.dispatcher.idle();
    let m = await scrape();
    expect(value(m, 'opsbot_webhook_rejected_total{platform="feishu",reason="signature"}')).toBe(1);
    expect(value(m, 'opsbot_events_total{platform="feishu",kind="message",outcome="accepted"}')).toBe(1);
    expect(value(m, 'opsbot_events_total{platform="feishu",kind="message",outcome="duplicate"}')).toBe(1);
    expect(value(m, 'opsbot_approvals_open{state="pending"}')).toBe(1);
    expect(value(m, 'opsbot_audit_events_total{kind="request",outcome="ok"}')).toBe(1);
    expect(value(m, 'opsbot_outbound_queued')).toBe(0);
    expect(m.some((l) => l.startsWith('opsbot_kube_errors_total{'))).toBe(false);

    // The cluster goes away: the command fails, and the API error is counted by its code.
    await cluster.stop();
    expect(await post(messageEnvelope(FEISHU.carol, '/pods production'))).toBe(200);
    await app.dispatcher.idle();
    m = await scrape();
    const errors = m.filter((l) => l.startsWith('opsbot_kube_errors_total{'));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBeGreaterThanOrEqual(1);
  });
});
