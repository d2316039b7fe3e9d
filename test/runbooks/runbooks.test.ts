import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const dir = mkdtempSync(join(tmpdir(), 'opsbot-runbooks-'));
let app: TestApp;

/** A runbook of the test's own: a change, then a wait that cannot be met (the pod never goes) — so the run fails after its change. */
const FAILS = `
name: scale_then_stuck
description: { en: scales then waits for a pod that stays, zh: 扩容后等待一个不会消失的 Pod }
risk: medium
params:
  deployment: { type: name }
  namespace: { type: namespace }
  pod: { type: name }
read:
  replicas: { deployment: "{{deployment}}", namespace: "{{namespace}}", field: replicas }
steps:
  - command: scale
    args: { deployment: "{{deployment}}", replicas: "{{replicas + 1}}", namespace: "{{namespace}}" }
  - wait: gone
    pod: "{{pod}}"
    namespace: "{{namespace}}"
    timeout: 2s
  - command: restart
    args: { deployment: "{{deployment}}", namespace: "{{namespace}}" }
rollback:
  - command: scale
    args: { deployment: "{{deployment}}", replicas: "{{replicas}}", namespace: "{{namespace}}" }
`;

beforeAll(async () => {
  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine', 'stuck.yaml'), FAILS);
  app = await startTestApp({ OPSBOT_RUNBOOKS: `runbooks,${join(dir, 'mine')}` });
});
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('runbooks in the demo', () => {
  it('lists and shows the shipped runbooks', async () => {
    const [list] = await app.send('alice', '/runbook list');
    for (const n of ['scale_up', 'scale_down', 'deployment_rollback', 'pod_restart']) expect(list!.text).toContain(n);
    const [show] = await app.send('alice', '/runbook show scale_up');
    expect(show!.text).toMatch(/replicas \+ by|scale/);
    // The name alone shows it too; with parameters, its dry run.
    const [bare] = await app.send('alice', '/runbook scale_up');
    expect(bare!.title).toBe(show!.title);
    const [dry] = await app.send('alice', '/runbook scale_up deployment=api-gateway namespace=production');
    expect(dry!.title).toBe('📘 Dry run of runbook scale_up');
    const [none] = await app.send('alice', '/runbook show nope');
    expect(none!.title).toMatch(/no runbook "nope" \(have: deployment_rollback, drain_node, pod_restart, scale_down/);
  });

  it('a dry run of every shipped runbook in the demo: each step rendered and dry-run, nothing changed', async () => {
    const pod = (await app.kube.listPods('production')).find((p) => p.metadata?.name?.startsWith('user-service'))!.metadata!.name!;
    const runs: [string, string][] = [
      ['pod_restart', `pod=${pod} namespace=production`],
      ['scale_up', 'deployment=api-gateway namespace=production by=2'],
      ['scale_down', 'deployment=api-gateway namespace=production by=1'],
      ['deployment_rollback', 'deployment=payment-service namespace=production'],
      ['drain_node', 'node=cn-shanghai.10.12.2.23'],
    ];
    const demo = app.demo!;
    const from = demo.requests.length;
    for (const [name, params] of runs) {
      const [card] = await app.send('bob', `/runbook show ${name} ${params}`);
      expect(card!.title, card!.text).toBe(`📘 Dry run of runbook ${name}`);
      expect(card!.text).toMatch(/^1\. `\//m);
      expect(card!.buttons.map((b) => b.label)).toEqual([`▶ Run ${name}`]);
    }
    const writes = demo.requests.slice(from).filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((r) => !r.dryRun && !/dryRun/.test(r.query)), 'every write a dry run').toEqual([]);
  });

  it('scale_up: one approval card with every step; after approval each step completes on the card', async () => {
    const before = (await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas!;
    const [card] = await app.send('alice', '/runbook run scale_up deployment=api-gateway namespace=production by=2');
    expect(card!.title).toMatch(/^Approval needed/);
    expect(card!.text).toContain(`replicas ${before} → ${before + 2}`);
    expect(card!.text).toMatch(/1\. .*\/scale api-gateway/);
    expect(card!.text).toMatch(/2\. wait until production\/api-gateway is ready/);
    expect((await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas).toBe(before);
    const click = await app.click('bob', card!.id, 'approve');
    expect(click.status).toBe(200);
    const done = await app.settle(card!.id, /succeeded|done/i);
    expect(done.text).toMatch(/1\. ✅/);
    expect(done.text).toMatch(/2\. ✅/);
    expect((await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas).toBe(before + 2);
  }, 40_000);

  it('a failing step stops the run and offers the rollback, approved anew, which restores what the run read', async () => {
    const pods = await app.kube.listPods('staging');
    const pod = pods[0]!.metadata!.name!;
    const dep = (await app.kube.listDeployments('staging'))[0]!.metadata!.name!;
    const before = (await app.kube.readDeployment('staging', dep)).spec!.replicas!;
    const [card] = await app.send('alice', `/runbook run scale_then_stuck deployment=${dep} namespace=staging pod=${pod}`);
    expect(card!.title).toMatch(/^Approval needed/);
    await app.click('bob', card!.id, 'approve');
    const failed = await app.settle(card!.id, /failed/i);
    expect(failed.text).toMatch(/1\. ✅/);
    expect(failed.text).toMatch(/2\. ❌/);
    expect(failed.text).toMatch(/3\. ▫️/);
    expect((await app.kube.readDeployment('staging', dep)).spec!.replicas).toBe(before + 1);
    const rb = failed.buttons.find((b) => /Roll back/.test(b.label));
    expect(rb, JSON.stringify(failed.buttons)).toBeTruthy();
    const asked = await app.click('alice', card!.id, rb!.action);
    expect(asked.status).toBe(200);
    const rollback = asked.body.cards![0]!;
    expect(rollback.title).toMatch(/^Approval needed/);
    expect(rollback.text).toContain(`replicas ${before + 1} → ${before}`);
    await app.click('bob', rollback.id, 'approve');
    await app.settle(rollback.id, /succeeded|done/i);
    expect((await app.kube.readDeployment('staging', dep)).spec!.replicas).toBe(before);
  }, 40_000);
});

describe('the demo policy', () => {
  it('a high-risk change completes: an on-call approves, then a lead other than the requester (dave)', async () => {
    const [card] = await app.send('alice', '/runbook run deployment_rollback deployment=payment-service namespace=production');
    expect(card!.title).toMatch(/^Approval needed/);
    expect((await app.click('bob', card!.id, 'approve')).status).toBe(200);
    expect((await app.click('dave', card!.id, 'approve')).status).toBe(200);
    const done = await app.settle(card!.id, /done|failed/i);
    expect(done.title, done.text).toMatch(/^Done/);
    expect(done.text).toMatch(/1\. ✅ `\/rollback payment-service -n production`/);
  }, 40_000);
});

describe('alert → runbook', () => {
  const post = (b: unknown) => fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
  const alert = (alertname: string, labels: Record<string, string>, annotations: Record<string, string>) => ({
    version: '4', groupKey: `{}:{alertname="${alertname}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'opsbot', groupLabels: { alertname }, commonLabels: { alertname, severity: 'error', ...labels }, commonAnnotations: { summary: alertname, ...annotations }, externalURL: 'http://am',
    alerts: [{ status: 'firing', labels: { alertname, severity: 'error', ...labels }, annotations: { summary: alertname, ...annotations }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `fp-${alertname}` }],
  });
  const cardOf = async (name: string) => {
    for (let i = 0; i < 100; i++) {
      const r = (await (await fetch(`${app.url}/console/api/history?chat=console`)).json()) as { entries: { card?: { id: string; title: string; text: string; buttons: { label: string; action: string }[] } }[] };
      const c = r.entries.map((e) => e.card).find((c) => c?.title.includes(name));
      if (c) return c;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no card for ${name}`);
  };

  it('the rule\'s runbook annotation adds "Run <runbook>": the click requests it with the alert\'s labels, approved like any change', async () => {
    const before = (await app.kube.readDeployment('production', 'payment-service')).spec!.replicas!;
    expect((await post(alert('PaymentLatencyHigh', { namespace: 'production', deployment: 'payment-service' }, { runbook: 'scale_up', runbook_params: 'by=1' }))).status).toBe(200);
    const card = await cardOf('PaymentLatencyHigh');
    const run = card.buttons.find((b) => b.label === '▶ Run scale_up');
    expect(run, JSON.stringify(card.buttons)).toBeTruthy();
    const asked = await app.click('alice', card.id, run!.action);
    expect(asked.status).toBe(200);
    const approval = asked.body.cards![0]!;
    expect(approval.title).toMatch(/^Approval needed/);
    expect(approval.text).toContain(`replicas ${before} → ${before + 1}`);
    // Nothing ran: the click only asked.
    expect((await app.kube.readDeployment('production', 'payment-service')).spec!.replicas).toBe(before);
    await app.click('bob', approval.id, 'reject');
  });

  it('without every required parameter the button shows the runbook instead; an unknown runbook adds nothing', async () => {
    expect((await post(alert('NodeDiskPressure', { namespace: 'production' }, { runbook: 'drain_node' }))).status).toBe(200);
    const card = await cardOf('NodeDiskPressure');
    const show = card.buttons.find((b) => b.label === '📘 Runbook drain_node');
    expect(show, JSON.stringify(card.buttons)).toBeTruthy();
    const shown = await app.click('alice', card.id, show!.action);
    expect(shown.body.cards![0]!.title).toMatch(/Runbook drain_node/);
    expect((await post(alert('SomethingElse', { namespace: 'production' }, { runbook: 'https://wiki/runbook' }))).status).toBe(200);
    const other = await cardOf('SomethingElse');
    expect(other.buttons.some((b) => /Run|Runbook/.test(b.label))).toBe(false);
  });
});
