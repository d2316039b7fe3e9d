import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { RedisServer } from '../helpers/redis.js';
import { FakeOpenAI } from '../fakes/openai-server.js';
import type { AuditEntry } from '../../src/core/store/store.js';
import { reportCard } from '../../cards/report.js';
import { renderText } from '../../cards/text.js';

/**
 * Reports with a fake clock: the daily report's every figure against a store filled with known events
 * (alert groups through the real Alertmanager webhook, approvals and commands as audit lines), the
 * schedule (slot, missed run, daylight saving, one poster among replicas) and a source that fails.
 */
const H = 3_600_000;
const M = 60_000;
// 2026-12-04 08:00 in Shanghai (UTC+8): the daily slot.
const SLOT = Date.parse('2026-12-04T08:00:00+08:00');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a policy document edited in place
type Yaml = Record<string, any>;
function policyFile(dir: string, edit: (p: Yaml) => void = () => undefined): string {
  const p = parse(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')) as Yaml;
  p['language'] = 'en';
  p['reports'] = { daily: { targets: ['demo-room'] }, weekly: { targets: ['demo-room'] } };
  edit(p);
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(p));
  return file;
}

const payload = (alertname: string, key: string, severity: string, status: 'firing' | 'resolved', startsAt: number) => ({
  version: '4',
  groupKey: `{}:{alertname="${alertname}",k="${key}"}`,
  truncatedAlerts: 0,
  status,
  receiver: 'opsbot',
  groupLabels: { alertname },
  commonLabels: { alertname, severity, namespace: 'production' },
  commonAnnotations: { summary: `${alertname} in production` },
  externalURL: 'http://alertmanager:9093',
  alerts: [{ status, labels: { alertname, severity, namespace: 'production', k: key }, annotations: {}, startsAt: new Date(startsAt).toISOString(), endsAt: status === 'resolved' ? new Date(startsAt + M).toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `fp-${key}` }],
});

describe('the daily report: every figure from known events', () => {
  let app: TestApp;
  let dir: string;
  let clock = SLOT - 26 * H;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-report-'));
    // No targets: nothing is posted on schedule here; /report is asked for.
    app = await startTestApp({ OPSBOT_CONFIG: policyFile(dir, (p) => (p['reports'] = {})), ALERTMANAGER_URL: 'http://127.0.0.1:9' }, { now: () => clock, sweepMs: 3_600_000 });
    const am = (body: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => expect(r.status).toBe(200));
    const at = async (t: number, f: () => Promise<unknown>) => {
      clock = t;
      await f();
    };
    const from = SLOT - 24 * H;
    // Outside the window (the day before): must count nowhere.
    await at(from - 2 * H, () => am(payload('HighErrorRate', 'old', 'critical', 'firing', from - 2 * H)));
    await at(from - H, () => am(payload('HighErrorRate', 'old', 'critical', 'resolved', from - 2 * H)));
    // A: P0, acked after 4 min, resolved after 30 min.
    await at(from + H, () => am(payload('HighErrorRate', 'a', 'critical', 'firing', from + H)));
    await at(from + H + 4 * M, async () => app.core.alerts.ack((await app.core.alerts.firing()).find((g) => g.groupKey.includes(`k="a"`))!.id, { personId: 'alice', name: 'Alice Wang' }, { platform: 'console', chatId: 'console' }));
    await at(from + H + 30 * M, () => am(payload('HighErrorRate', 'a', 'critical', 'resolved', from + H)));
    // B: P1, acked after 10 min, still firing at the report.
    await at(from + 4 * H, () => am(payload('PodCrashLooping', 'b', 'error', 'firing', from + 4 * H)));
    await at(from + 4 * H + 10 * M, async () => app.core.alerts.ack((await app.core.alerts.firing()).find((g) => g.groupKey.includes(`k="b"`))!.id, { personId: 'bob', name: 'Bob Li' }, { platform: 'console', chatId: 'console' }));
    // C and E: P2, never acked, resolved after 20 and 10 min; E a second HighErrorRate.
    await at(from + 12 * H, () => am(payload('DiskFilling', 'c', 'warning', 'firing', from + 12 * H)));
    await at(from + 12 * H + 20 * M, () => am(payload('DiskFilling', 'c', 'warning', 'resolved', from + 12 * H)));
    await at(from + 14 * H, () => am(payload('HighErrorRate', 'e', 'warning', 'firing', from + 14 * H)));
    await at(from + 14 * H + 10 * M, () => am(payload('HighErrorRate', 'e', 'warning', 'resolved', from + 14 * H)));
    // Approvals and commands, as the audit log has them.
    const line = (at: number, e: Partial<AuditEntry>): AuditEntry => ({ at, kind: 'command', actor: 'alice', platform: 'console', chatId: 'console', outcome: 'ok', ...e });
    const lines: AuditEntry[] = [
      line(from - H, { kind: 'request', approvalId: 'W' }), // before the window
      line(from - H, { kind: 'request', approvalId: 'V' }),
      line(from + 2 * H, { kind: 'request', approvalId: 'X' }),
      line(from + 2 * H + M, { kind: 'approve', actor: 'alice', approvalId: 'X' }),
      line(from + 2 * H + 2 * M, { kind: 'approve', actor: 'bob', approvalId: 'X' }),
      line(from + 2 * H + 3 * M, { kind: 'execute', approvalId: 'X' }),
      line(from + 3 * H, { kind: 'request', approvalId: 'Y' }),
      line(from + 3 * H + M, { kind: 'reject', actor: 'bob', approvalId: 'Y' }),
      line(from + 5 * H, { kind: 'request', approvalId: 'Z' }),
      line(from + 5 * H + 15 * M, { kind: 'expire', actor: 'opsbot', approvalId: 'Z' }),
      line(from + 6 * H, { kind: 'execute', approvalId: 'V', outcome: 'failed' }),
      ...[1, 2, 3].map((i) => line(from + 7 * H + i * M, { command: 'pods' })),
      ...[1, 2].map((i) => line(from + 8 * H + i * M, { actor: 'carol', command: 'logs' })),
      line(from + 9 * H, { command: 'logs', outcome: 'failed' }),
      line(from - 3 * H, { command: 'pods' }),
      line(SLOT + M, { command: 'pods' }), // after the window
    ];
    for (const l of lines) await app.store.appendAudit(l);
    clock = SLOT;
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts by level and name, times to ack and resolve, changes, commands, the cluster now, and the verdict', async () => {
    const data = await app.core.reports.collect('daily');
    expect(data.window).toEqual({ from: SLOT - 24 * H, to: SLOT });
    expect(data.alerts).toEqual({
      ok: true,
      value: {
        groups: 4,
        byLevel: { P0: 1, P1: 1, P2: 2, P3: 0 },
        top: [{ name: 'HighErrorRate', count: 2 }, { name: 'DiskFilling', count: 1 }, { name: 'PodCrashLooping', count: 1 }],
        acked: 2,
        mttaMs: 7 * M,
        resolved: 3,
        mttrMs: 20 * M,
        severeFiring: 1,
      },
    });
    expect(data.activity).toEqual({ ok: true, value: { requested: 3, approved: 2, autoApproved: 0, rejected: 1, expired: 1, cancelled: 0, failed: 1, commands: 5, people: 2, topCommands: [{ name: 'pods', count: 3 }, { name: 'logs', count: 2 }], truncated: false } });
    // The cluster, read now: the demo's crash-looping order-service pod restarts; compare with the API.
    const pods = await app.kube.listPods(undefined);
    const restarting = pods.filter((p) => (p.status?.containerStatuses ?? []).some((c) => c.restartCount > 0) && ['production', 'staging', 'default', 'kube-system'].includes(p.metadata!.namespace!));
    const c = data.clusters[0]!;
    expect(c.ok).toBe(true);
    if (c.ok) {
      expect(c.value.restartingTotal).toBe(restarting.length);
      expect(c.value.restarting[0]?.pod).toMatch(/^order-service-/);
    }
    expect(data.alertmanager?.ok).toBe(false);
    const [card] = await app.send('alice', '/report');
    expect(card!.title).toBe('📊 Daily health report · 2026-12-04');
    expect(card!.severity).toBe('danger');
    expect(card!.text).toMatch(/Action needed: 1 P0\/P1 alert group firing now, 2 P0\/P1 alert groups in this period, 1 failed change/);
    expect(card!.text).toMatch(/4 groups · P0 1 · P1 1 · P2 2 · P3 0/);
    expect(card!.text).toMatch(/HighErrorRate ×2, DiskFilling ×1, PodCrashLooping ×1/);
    expect(card!.text).toMatch(/Mean time to ack: 7m \(2 of 4 acked\)/);
    expect(card!.text).toMatch(/Mean time to resolve: 20m \(3 of 4 resolved\)/);
    expect(card!.text).toMatch(/requested 3 · approved 2 · rejected 1 · expired 1 · failed 1/);
    expect(card!.text).toMatch(/5 by 2 people · \/pods ×3, \/logs ×2/);
    expect(card!.text).toMatch(/Unavailable: Alertmanager \(Alertmanager \(http:\/\/127\.0\.0\.1:9\) is unreachable/);
    expect(card!.text).toMatch(/Pods restarting/);
    // Chinese, the same figures.
    const zh = renderText(reportCard(data, 'zh', 'Asia/Shanghai'));
    expect(zh).toMatch(/每日健康报告 · 2026-12-04/);
    expect(zh).toMatch(/4 组 · P0 1 · P1 1 · P2 2 · P3 0/);
    expect(zh).toMatch(/平均认领时间: 7m（4 组中 2 组已认领）/);
    expect(zh).toMatch(/需要处理：1 个 P0\/P1 告警组仍在触发/);
  });

  it('a figure that cannot be computed says so instead of 0; a window with nothing says "none"', async () => {
    clock = SLOT + 10 * 86_400_000; // ten days on: nothing in the window, B still firing
    const [card] = await app.send('alice', '/report');
    expect(card!.text).toMatch(/Alerts: — no alert fired/);
    expect(card!.text).not.toMatch(/Mean time to ack: 0/);
    expect(card!.text).toMatch(/requested 0 · approved 0/);
    clock = SLOT;
  });

  it('the weekly report compares with the week before', async () => {
    clock = SLOT + 6 * 86_400_000;
    const data = await app.core.reports.collect('weekly');
    expect(data.alerts.ok && data.alerts.value.groups).toBe(4);
    expect(data.previous?.alerts.ok && data.previous.alerts.value.groups).toBe(1); // the one the day before
    const [card] = await app.send('alice', '/report weekly');
    expect(card!.title).toBe('📊 Weekly health report · 2026-12-03 – 2026-12-10');
    expect(card!.text).toMatch(/4 groups .* \(\+3 vs the week before\)/);
    clock = SLOT;
  });

  it('a cluster that does not answer is named unavailable and the rest still posts', async () => {
    await app.demo!.stop();
    const [card] = await app.send('alice', '/report');
    expect(card!.text).toMatch(/Unavailable: .*cluster opsbot-demo \(/);
    expect(card!.text).toMatch(/4 groups · P0 1/);
    expect(card!.text).toMatch(/cluster opsbot-demo could not be read/);
  });
});

describe('the schedule: slots, a missed run, daylight saving, one poster', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const mk = () => {
    const d = mkdtempSync(join(tmpdir(), 'opsbot-sched-'));
    dirs.push(d);
    return d;
  };
  const posted = async (app: TestApp) => {
    await app.dispatcher.idle();
    const r = (await (await fetch(`${app.url}/console/api/history?chat=console`)).json()) as { entries: { kind: string; card?: { title: string } }[] };
    return r.entries.flatMap((e) => (e.card && /health report/.test(e.card.title) ? [e.card.title] : []));
  };

  it('posts at its slot once; a restart in the window does not post it again; a run missed while stopped is posted on start, once', async () => {
    const dir = mk();
    let clock = SLOT - 30_000;
    const env = { OPSBOT_CONFIG: policyFile(dir) };
    let app = await startTestApp(env, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    expect(await app.core.reports.tick()).toEqual([]);
    clock = SLOT + 30_000;
    expect(await app.core.reports.tick()).toEqual([{ kind: 'daily', slot: SLOT }]);
    expect(await app.core.reports.tick()).toEqual([]);
    expect(await posted(app)).toEqual(['📊 Daily health report · 2026-12-04']);
    await app.close();
    // Restarted at 08:05: the slot was posted already.
    clock = SLOT + 5 * M;
    app = await startTestApp(env, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    expect(await posted(app)).toHaveLength(1);
    await app.close();
    // Down over the next day's slot, back at 10:00: posted on start (2 h late, within catchUp 6h), once.
    clock = SLOT + 86_400_000 + 2 * H;
    app = await startTestApp(env, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    await expect.poll(() => posted(app)).toEqual(['📊 Daily health report · 2026-12-04', '📊 Daily health report · 2026-12-05']);
    await app.close();
    app = await startTestApp(env, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await posted(app)).toHaveLength(2);
    await app.close();
    // Back 7 h after a slot: too late to be news; not posted.
    clock = SLOT + 2 * 86_400_000 + 7 * H;
    app = await startTestApp(env, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    expect(await app.core.reports.tick()).toEqual([]);
    await app.stop();
  });

  it('in a daylight-saving zone the slot follows local time (08:00 New York: 13:00 UTC, then 12:00 UTC)', async () => {
    const dir = mk();
    const dst = Date.parse('2026-03-08T12:00:00Z'); // 08:00 EDT, the first day of daylight saving
    let clock = dst - 2 * 86_400_000;
    const app = await startTestApp({ OPSBOT_CONFIG: policyFile(dir, (p) => (p['reports']['timezone'] = 'America/New_York')) }, { now: () => clock, dataDir: dir, sweepMs: 3_600_000 });
    try {
      const r = app.core.reports;
      expect([r.nextSlot('daily', dst - 2 * 86_400_000), r.nextSlot('daily', dst - 86_400_000), r.nextSlot('daily', dst - M)].map((t) => new Date(t!).toISOString())).toEqual(['2026-03-06T13:00:00.000Z', '2026-03-07T13:00:00.000Z', '2026-03-08T12:00:00.000Z']);
      clock = dst + 30_000;
      expect(await r.tick()).toEqual([{ kind: 'daily', slot: dst }]);
      clock = dst + H + 30_000; // 09:00 EDT, once 08:00 EST would have been: nothing more
      expect(await r.tick()).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  it.skipIf(!RedisServer.available())('two replicas on one store at the slot: one posts', async () => {
    const redis = await RedisServer.start();
    const dir = mk();
    let clock = SLOT - M;
    const env = { OPSBOT_CONFIG: policyFile(dir), OPSBOT_STORE: redis.url, OPSBOT_SECRET: 'replicas-share-this-signing-key-0123456789abcdef' };
    const [a, b] = await Promise.all([startTestApp(env, { now: () => clock, sweepMs: 3_600_000 }), startTestApp(env, { now: () => clock, sweepMs: 3_600_000 })]);
    try {
      clock = SLOT + 30_000;
      const [ra, rb] = await Promise.all([a.core.reports.tick(), b.core.reports.tick()]);
      expect([...ra, ...rb]).toEqual([{ kind: 'daily', slot: SLOT }]);
      await Promise.all([a.dispatcher.idle(), b.dispatcher.idle()]);
      const notes = (await a.audit()).filter((e) => e.kind === 'notify' && /Daily health report/.test(e.reason ?? ''));
      expect(notes).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    }
  });
});

describe('postmortems: a long P0/P1 incident, its real timeline, posted once', () => {
  let app: TestApp;
  let llm: FakeOpenAI;
  let dir: string;
  const T0 = Date.parse('2026-12-04T14:00:00+08:00');
  let clock = T0;
  const am = (body: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => expect(r.status).toBe(200));
  const cards = async () => {
    await app.dispatcher.idle();
    const r = (await (await fetch(`${app.url}/console/api/history?chat=console`)).json()) as { entries: { kind: string; card?: { title: string; text: string } }[] };
    return r.entries.flatMap((e) => (e.card && /Postmortem/.test(e.card.title) ? [e.card] : []));
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-pm-'));
    llm = await new FakeOpenAI().start();
    app = await startTestApp({ OPSBOT_CONFIG: policyFile(dir, (p) => (p['reports'] = {})), LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: 'test-model', LLM_MAX_RETRIES: '0' }, { now: () => clock, sweepMs: 3_600_000 });
  });
  afterAll(async () => {
    await app?.stop();
    await llm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolving a 15-minute P1 posts a postmortem with what happened in the chat, in order, and a marked draft', async () => {
    await am(payload('PodCrashLooping', 'pm', 'error', 'firing', T0));
    await app.dispatcher.idle();
    const g = (await app.core.alerts.firing()).find((x) => x.groupKey.includes('k="pm"'))!;
    clock = T0 + 3 * M;
    await app.core.alerts.ack(g.id, { personId: 'alice', name: 'Alice Wang' }, { platform: 'console', chatId: 'console' });
    clock = T0 + 5 * M;
    await app.send('alice', '/logs order-service -n production');
    clock = T0 + 7 * M;
    const [req] = await app.send('alice', '/restart order-service -n production');
    expect(req!.title).toMatch(/^Approval needed/);
    clock = T0 + 8 * M;
    expect((await app.click('bob', req!.id, 'approve')).status).toBe(200);
    await app.dispatcher.idle();
    // Something said elsewhere during the incident is not part of it.
    await app.send('carol', '/pods -n staging', 'elsewhere');
    llm.script.push((r) => ({ content: r.messages.some((m) => m.role === 'user' && /Acked by Alice Wang/.test(m.content ?? '')) ? 'order-service crash-looped; Alice restarted it after Bob approved; it recovered. Cause not known.' : 'no timeline' }));
    clock = T0 + 15 * M;
    await am(payload('PodCrashLooping', 'pm', 'error', 'resolved', T0));
    const [pm] = await cards();
    expect(pm, 'a postmortem card in the alert\'s chat').toBeDefined();
    expect(pm!.title).toBe(`📝 Postmortem · P1 PodCrashLooping · ${g.id}`);
    expect(pm!.text).toMatch(/Duration: 15m/);
    expect(pm!.text).toMatch(/Acked: Alice Wang, after 3m/);
    const lines = pm!.text.split('\n').filter((l) => /^`\d\d:\d\d`/.test(l));
    expect(lines.map((l) => l.replace(/^`(\d\d:\d\d)` \S+ /, '$1 '))).toEqual([
      '14:00 Fired: P1 PodCrashLooping (1 alert)',
      '14:00 Posted to demo-room',
      '14:03 Acked by Alice Wang',
      '14:05 Alice Wang: /logs order-service -n production',
      expect.stringMatching(/^14:07 Alice Wang requested \/restart order-service -n production \([A-Z0-9]{4}\)$/),
      expect.stringMatching(/^14:08 Approved by Bob Li \([A-Z0-9]{4}\)$/),
      expect.stringMatching(/^14:08 Done: \/restart order-service -n production \([A-Z0-9]{4}\) — /),
      '14:15 Resolved',
    ]);
    expect(pm!.text).not.toMatch(/staging/);
    expect(pm!.text).toMatch(/Draft summary \(written by the LLM — check it before you use it\)\norder-service crash-looped; Alice restarted it after Bob approved; it recovered\. Cause not known\./);
    // A repeated "resolved" notification posts nothing more; /postmortem shows it on demand.
    await am(payload('PodCrashLooping', 'pm', 'error', 'resolved', T0));
    expect(await cards()).toHaveLength(1);
    llm.fallback = { content: 'again' };
    const [again] = await app.send('bob', `/postmortem ${g.id.toLowerCase()}`);
    expect(again!.title).toBe(pm!.title);
    expect(again!.text).toMatch(/`14:08` ⚙️ Done/);
  });

  it('a short P1 or a long P2 gets none; an unknown id is one line', async () => {
    const before = (await cards()).length;
    clock = T0 + 60 * M;
    await am(payload('HighLatency', 'short', 'error', 'firing', clock));
    clock += 5 * M;
    await am(payload('HighLatency', 'short', 'error', 'resolved', clock - 5 * M));
    await am(payload('DiskFilling', 'p2', 'warning', 'firing', clock));
    clock += 30 * M;
    await am(payload('DiskFilling', 'p2', 'warning', 'resolved', clock - 30 * M));
    expect(await cards()).toHaveLength(before);
    const [none] = await app.send('bob', '/postmortem ZZZZZZ');
    expect(none!.text).toMatch(/no alert group ZZZZZZ/);
  });
});
