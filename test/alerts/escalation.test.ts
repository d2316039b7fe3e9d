import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDingtalk } from '../fakes/dingtalk-api.js';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FEISHU, feishuEnv } from '../helpers/sign-feishu.js';
import { DINGTALK, dingtalkEnv } from '../helpers/sign-dingtalk.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

/**
 * Escalation with a fake clock: a P0 nobody acks is re-posted at 5 min with the next person of the
 * route's escalation list mentioned, and that person is rung by the platform's urgent reminder (a
 * DingTalk DING by phone at the local fake); an Ack at 4 min prevents it. Each step is on the card
 * and in the audit log.
 */
const T0 = Date.UTC(2026, 11, 3, 2, 0, 0);

function policy(): string {
  const base = readFileSync(new URL('../fixtures/policy-dingtalk.yaml', import.meta.url), 'utf8').replace('carol: { name: Carol Zhang, roles: [viewer], ids: { console: carol, dingtalk: sre_carol } }', 'carol: { name: Carol Zhang, roles: [viewer], urgent: phone, ids: { console: carol, dingtalk: sre_carol } }');
  const file = join(mkdtempSync(join(tmpdir(), 'opsbot-esc-')), 'policy.yaml');
  writeFileSync(file, `${base}\nnotify:\n  actor: opsbot\n  targets:\n    sre: { platform: dingtalk, chat: '${DINGTALK.group}' }\nalerts:\n  oncall: [bob]\n  routes:\n    - matchers: ['severity="critical"']\n      targets: [sre]\n      escalate: [carol]\n`);
  return file;
}

const payload = (alertname: string) => ({
  version: '4',
  groupKey: `{}:{alertname="${alertname}"}`,
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'opsbot',
  groupLabels: { alertname },
  commonLabels: { alertname, severity: 'critical', namespace: 'production' },
  commonAnnotations: { summary: `${alertname} in production` },
  externalURL: 'http://alertmanager:9093',
  alerts: [{ status: 'firing', labels: { alertname, severity: 'critical', namespace: 'production' }, annotations: { summary: `${alertname} in production` }, startsAt: new Date(T0).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `fp-${alertname}` }],
});

describe('alert escalation', () => {
  const dt = new FakeDingtalk();
  let app: TestApp;
  let clock = T0;
  beforeAll(async () => {
    await dt.start();
    app = await startTestApp(dingtalkEnv(dt.url, 'stream', { OPSBOT_CONFIG: policy(), DINGTALK_DING: 'phone' }), { now: () => clock, platformBackoffMs: 50, sweepMs: 3_600_000 });
    await until(() => dt.socket, 'the stream connection');
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });
  const post = (body: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as { group: string; posted: number } }));

  it('an unacked P0 escalates at 5 min: re-posted mentioning the next person, who is rung by DING; the step is on the card and audited', async () => {
    const r = await post(payload('KubeAPIDown'));
    expect(r.status).toBe(200);
    expect(r.json.posted).toBe(1);
    const first = await until(() => dt.messages.find((m) => m.title.includes('KubeAPIDown')), 'the P0 message');
    await app.dispatcher.idle(); // the post is recorded (escalation counts from it)
    expect(first.text).toContain('@所有人');
    clock = T0 + 4 * 60_000;
    expect(await app.core.alerts.sweep()).toBe(0);
    clock = T0 + 5 * 60_000 + 1000;
    expect(await app.core.alerts.sweep()).toBe(1);
    expect(dt.dings).toEqual([{ remindType: 3, to: ['sre_carol'], content: expect.stringContaining('P0 KubeAPIDown') }]);
    const again = await until(() => dt.messages.filter((m) => m.title.includes('KubeAPIDown'))[1], 'the escalation post');
    expect(again.text).toContain('@sre_carol');
    expect(again.text).toMatch(/Escalated to\*\*: Carol Zhang .*dingtalk phone/);
    const g = await app.core.alerts.get(r.json.group);
    expect(g?.escalations).toHaveLength(1);
    expect((await app.audit()).some((e) => e.kind === 'alert-escalate' && /Carol Zhang/.test(e.reason ?? ''))).toBe(true);
    expect((await app.audit()).some((e) => e.kind === 'urgent' && e.outcome === 'ok')).toBe(true);
    // The list has one person: no further steps.
    clock = T0 + 11 * 60_000;
    expect(await app.core.alerts.sweep()).toBe(0);
  });

  it('an Ack at 4 min prevents the escalation', async () => {
    clock = T0;
    const dings = dt.dings.length;
    const r = await post(payload('KubeEtcdDown'));
    expect(r.json.posted).toBe(1);
    await app.dispatcher.idle();
    clock = T0 + 4 * 60_000;
    await app.core.alerts.ack(r.json.group, { personId: 'bob', name: 'Bob Li' }, { platform: 'dingtalk', chatId: DINGTALK.group });
    clock = T0 + 6 * 60_000;
    expect(await app.core.alerts.sweep()).toBe(0);
    expect(dt.dings.length).toBe(dings);
  });
});

describe('alert escalation on Feishu: 加急 on the alert card itself', () => {
  let api: FakeFeishuApi;
  let app: TestApp;
  let clock = T0;
  beforeAll(async () => {
    api = await new FakeFeishuApi().start();
    const base = readFileSync(new URL('../fixtures/policy-feishu.yaml', import.meta.url), 'utf8').replace('carol: { name: Carol Zhang, roles: [viewer],', 'carol: { name: Carol Zhang, roles: [viewer], urgent: phone,');
    const file = join(mkdtempSync(join(tmpdir(), 'opsbot-esc-fs-')), 'policy.yaml');
    writeFileSync(file, `${base}\nnotify:\n  targets:\n    sre: { platform: feishu, chat: ${FEISHU.chat} }\nalerts:\n  routes:\n    - matchers: ['severity="critical"']\n      targets: [sre]\n      escalate: [carol]\n`);
    app = await startTestApp(feishuEnv(api.url, 'http', { OPSBOT_CONFIG: file, FEISHU_URGENT: 'phone' }), { now: () => clock, sweepMs: 3_600_000 });
  });
  afterAll(async () => {
    await app?.stop();
    await api?.stop();
  });

  it('rings the next person by phone for the message the bot posted', async () => {
    const r = await fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload('KubeSchedulerDown')) });
    expect(r.status).toBe(200);
    await app.dispatcher.idle();
    const card = api.messages.find((m) => JSON.stringify(m.card).includes('KubeSchedulerDown'))!;
    expect(card).toBeTruthy();
    clock = T0 + 5 * 60_000 + 1000;
    expect(await app.core.alerts.sweep()).toBe(1);
    expect(api.urgent).toEqual([{ messageId: card.id, level: 'phone', ids: [FEISHU.carol] }]);
  });
});
