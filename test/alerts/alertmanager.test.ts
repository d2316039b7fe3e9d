import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { untilAsync } from '../helpers/until.js';

/**
 * Alerts end to end against the real Alertmanager (Debian's prometheus-alertmanager, installed by
 * .ci/run; outside CI a machine without it skips this file): alerts posted to its API are grouped and sent to opsbot's webhook with the bearer token;
 * a severity card appears in the console room the policy routes them to, is updated on later
 * notifications instead of re-posted, shows the Ack, and is updated when the group resolves.
 */
const AM = '/usr/bin/prometheus-alertmanager';
const TOKEN = 'alertmanager-webhook-token-0123456789';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function policyFile(): string {
  const base = readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8');
  const file = join(mkdtempSync(join(tmpdir(), 'opsbot-alerts-')), 'policy.yaml');
  writeFileSync(
    file,
    `${base}
notify:
  actor: opsbot
  targets:
    room: { platform: console, chat: ops-room }
    staging-room: { platform: console, chat: staging-room }
alerts:
  oncall: [bob]
  routes:
    - matchers: ['namespace="production"']
      targets: [room]
    - matchers: ['namespace=~"stag.*"']
      targets: [staging-room]
`,
  );
  return file;
}

describe.skipIf(!existsSync(AM) && !process.env['CI'])('alerts from a real Alertmanager', () => {
  let app: TestApp;
  let am: ChildProcess;
  let amUrl = '';
  let amDir = '';
  const amLog: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    app = await startTestApp({ OPSBOT_CONFIG: policyFile(), ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERTMANAGER_URL: amUrl });
    amDir = mkdtempSync(join(tmpdir(), 'opsbot-am-'));
    writeFileSync(
      join(amDir, 'am.yml'),
      `route:
  receiver: opsbot
  group_by: [alertname, namespace]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: opsbot
    webhook_configs:
      - url: ${app.url}/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization: { type: Bearer, credentials: ${TOKEN} }
`,
    );
    am = spawn(AM, [`--config.file=${join(amDir, 'am.yml')}`, `--storage.path=${join(amDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    am.stderr?.on('data', (d: Buffer) => amLog.push(d.toString()));
    const end = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`${amUrl}/-/ready`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (Date.now() > end) throw new Error(`alertmanager did not start: ${amLog.join('').slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
  afterAll(async () => {
    am?.kill('SIGTERM');
    await app?.stop();
    if (amDir) rmSync(amDir, { recursive: true, force: true });
  });

  const fire = (alerts: Record<string, unknown>[]) => fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) }).then((r) => expect(r.status).toBe(200));
  const groupCards = async (alertname: string) => {
    for (const g of await app.core.alerts.firing(100)) if (g.labels['alertname'] === alertname) return { g, copies: await app.core.live.copies('alert', g.id) };
    return undefined;
  };

  it('a critical alert becomes a P0 card with @all in the routed room; repeats update it; Ack shows on it; resolve updates it', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = {
      labels: { alertname: 'KubePodCrashLooping', severity: 'critical', namespace: 'production', deployment: 'order-service', pod: 'order-service-546bjxrdr2-j7b8p' },
      annotations: { summary: 'order-service is crash looping', description: 'Pod production/order-service-546bjxrdr2-j7b8p restarted 14 times in 10 minutes.', runbook_url: 'https://runbooks.example.com/KubePodCrashLooping' },
      startsAt,
    };
    await fire([alert]);
    const first = await untilAsync(async () => {
      const r = await groupCards('KubePodCrashLooping');
      return r && r.copies.length ? r : undefined;
    }, 'the alert card');
    expect(first.g.level).toBe('P0');
    expect(first.copies).toHaveLength(1);
    expect(first.copies[0]).toMatchObject({ platform: 'console', chatId: 'ops-room' });
    const card = await app.card(first.copies[0]!.ref);
    expect(card.title).toMatch(/^🔥 P0 · KubePodCrashLooping · production\/order-service · firing$/);
    expect(card.text).toContain('@all');
    expect(card.text).toContain('order-service is crash looping');
    expect(card.text).toContain('https://runbooks.example.com/KubePodCrashLooping');
    expect(card.text).toContain('deployment/order-service');
    expect(card.buttons.map((b) => b.action)).toEqual(['ack', 'investigate', 'events', 'silence']);
    // Investigate runs for the clicker, as a new card: the crash-looping pod, its warnings, its crashed container's last lines.
    const inv = await app.click('alice', first.copies[0]!.ref, 'investigate');
    const found = inv.body.cards?.[0];
    expect(found?.title).toBe('Investigate · production/order-service');
    expect(found?.text).toMatch(/CrashLoopBackOff \(OOMKilled\)/);
    expect(found?.text).toMatch(/OutOfMemoryError/);
    expect((await app.card(first.copies[0]!.ref)).title).toMatch(/KubePodCrashLooping/);

    // A second alert in the same group: the card is updated, not re-posted.
    await fire([{ ...alert, labels: { ...alert.labels, pod: 'order-service-546bjxrdr2-dwxlt' } }]);
    await untilAsync(async () => ((await app.card(first.copies[0]!.ref)).text.includes('2 firing of 2') ? true : undefined), 'the updated count');
    expect(await app.core.live.copies('alert', first.g.id)).toHaveLength(1);

    // Ack from the console: recorded, shown, the button gone.
    const click = await app.click('bob', first.copies[0]!.ref, 'ack');
    expect(click.status).toBe(200);
    const acked = await app.card(first.copies[0]!.ref);
    expect(acked.text).toMatch(/Acked by: Bob Li/);
    expect(acked.buttons.map((b) => b.action)).toEqual(['investigate', 'events', 'silence']);
    expect((await app.audit()).some((e) => e.kind === 'alert-ack' && e.actor === 'bob')).toBe(true);

    // Resolve both: the same card turns resolved, with how long it lasted.
    const endsAt = new Date().toISOString();
    await fire([
      { ...alert, endsAt },
      { ...alert, labels: { ...alert.labels, pod: 'order-service-546bjxrdr2-dwxlt' }, endsAt },
    ]);
    const resolved = await untilAsync(async () => {
      const c = await app.card(first.copies[0]!.ref);
      return /· resolved$/.test(c.title) ? c : undefined;
    }, 'the resolved card', 15_000);
    expect(resolved.title).toMatch(/^✅ P0 · KubePodCrashLooping/);
    expect(resolved.text).toMatch(/Lasted: /);
  }, 40_000);

  it('Silence 1h on a card: a change request approved like any other, then the silence exists in Alertmanager', async () => {
    await fire([{ labels: { alertname: 'KubeJobFailed', severity: 'error', namespace: 'production', job_name: 'data-export' }, annotations: { summary: 'data-export failed' }, startsAt: new Date().toISOString() }]);
    const r = await untilAsync(async () => {
      const x = await groupCards('KubeJobFailed');
      return x && x.copies.length ? x : undefined;
    }, 'the job alert card');
    expect(r.g.level).toBe('P1');
    const card = await app.card(r.copies[0]!.ref);
    expect(card.text).toContain('@'); // P1 mentions the on-call people (bob's console id)
    const asked = await app.click('bob', r.copies[0]!.ref, 'silence');
    const approval = asked.body.cards?.[0];
    expect(approval?.title).toMatch(/^Approval needed · [A-Z0-9]{4}$/);
    expect(approval?.text).toContain('silence alertname="KubeJobFailed"');
    // The alert card is still the alert card: the request came as a new card.
    expect((await app.card(r.copies[0]!.ref)).title).toMatch(/KubeJobFailed/);
    const approved = await app.click('alice', approval!.id, 'approve');
    expect(approved.status).toBe(200);
    await app.dispatcher.idle();
    const silences = (await (await fetch(`${amUrl}/api/v2/silences`)).json()) as { matchers: { name: string; value: string }[]; status: { state: string }; createdBy: string }[];
    const s = silences.find((x) => x.status.state === 'active');
    expect(s?.createdBy).toBe('Bob Li (opsbot)');
    expect(s?.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual(['alertname=KubeJobFailed', 'job_name=data-export', 'namespace=production']);
    expect((await app.card(approval!.id)).title).toMatch(/^Done · /);
  }, 30_000);

  it('a storm of 1,000 alerts becomes one card that counts them all; /alerts lists the firing groups', async () => {
    const startsAt = new Date().toISOString();
    const storm = Array.from({ length: 1000 }, (_, i) => ({ labels: { alertname: 'NodeDiskPressure', severity: 'warning', namespace: 'production', pod: `batch-${i}` }, annotations: { summary: `disk pressure ${i}` }, startsAt }));
    await fire(storm);
    const r = await untilAsync(async () => {
      const x = await groupCards('NodeDiskPressure');
      return x && x.copies.length && x.g.count.total === 1000 ? x : undefined;
    }, 'the storm card', 20_000);
    expect(r.copies).toHaveLength(1);
    const card = await app.card(r.copies[0]!.ref);
    expect(card.text).toContain('1000 firing of 1000');
    expect(card.text).toMatch(/\+\d+ more/);
    const [list] = await app.send('alice', '/alerts');
    expect(list!.title).toMatch(/alert groups firing/);
    expect(list!.text).toContain('NodeDiskPressure');
    expect(list!.text).toContain(r.g.id);
  }, 40_000);

  it('routes by matchers (regex), P2 mentions nobody, and a wrong token or a malformed payload is refused', async () => {
    await fire([{ labels: { alertname: 'KubeDeploymentReplicasMismatch', severity: 'warning', namespace: 'staging', deployment: 'user-service' }, annotations: { summary: 'replicas mismatch' }, startsAt: new Date().toISOString() }]);
    const r = await untilAsync(async () => {
      const x = await groupCards('KubeDeploymentReplicasMismatch');
      return x && x.copies.length ? x : undefined;
    }, 'the staging card');
    expect(r.g.level).toBe('P2');
    expect(r.copies[0]!.chatId).toBe('staging-room');
    expect((await app.card(r.copies[0]!.ref)).text).not.toContain('@');

    const post = (body: string, token = TOKEN) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    expect((await post('{}', 'wrong-token-0000000000000000')).status).toBe(401);
    expect((await fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await post('not json')).status).toBe(400);
    const bad = await post(JSON.stringify({ version: '3', alerts: [] }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: string[] }).problems.join('\n')).toMatch(/version must be "4"/);
  }, 30_000);
});

