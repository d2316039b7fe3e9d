import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evictable } from '../../src/kube/pod-status.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

// High risk takes two approvers besides the requester (oncall, then lead): Bob (lead: every namespace)
// requests; Alice (oncall) and Dave (the example's second lead) approve.
const dir = mkdtempSync(join(tmpdir(), 'opsbot-drain-'));
let app: TestApp;
beforeAll(async () => {
  const policy = readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')
    .replace(/^language: zh$/m, 'language: en');
  writeFileSync(join(dir, 'policy.yaml'), policy);
  app = await startTestApp({ OPSBOT_CONFIG: join(dir, 'policy.yaml') });
});
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function approveTwice(id: string) {
  expect((await app.click('alice', id, 'approve')).status).toBe(200);
  expect((await app.click('dave', id, 'approve')).status).toBe(200);
}

const NODE_FREE = 'cn-shanghai.10.12.2.23'; // no user-service pod: its budget holds nothing here
const NODE_HELD = 'cn-shanghai.10.12.1.21'; // runs a user-service pod, whose budget keeps both pods

describe('drain_node in the demo (cordon + evict, disruption budgets respected)', () => {
  it('the dry run lists every step, and a person who may not act in every namespace on the node is refused', async () => {
    const [plan] = await app.send('bob', `/runbook show drain_node node=${NODE_FREE}`);
    expect(plan!.title).toMatch(/Dry run of runbook drain_node/);
    expect(plan!.text).toMatch(/1\. `\/cordon cn-shanghai\.10\.12\.2\.23`/);
    expect(plan!.text).toMatch(/2\. `\/drain cn-shanghai\.10\.12\.2\.23 --timeout 5m` — cordon, then evict \d+ pods/);
    expect((await app.kube.readNode(NODE_FREE)).spec?.unschedulable).toBeFalsy();
    // Alice (oncall) may not act in kube-system, which has a pod on every node.
    const [refused] = await app.send('alice', `/runbook run drain_node node=${NODE_FREE}`);
    expect(refused!.title).toMatch(/may not drain/);
  });

  it('drains a node: one approval, pods evicted and rescheduled elsewhere, the node left cordoned', async () => {
    const before = (await app.kube.listPodsOnNode(NODE_FREE)).filter(evictable).length;
    expect(before).toBeGreaterThan(0);
    const [card] = await app.send('bob', `/runbook run drain_node node=${NODE_FREE}`);
    expect(card!.title).toMatch(/^Approval needed/);
    await approveTwice(card!.id);
    const done = await app.settle(card!.id, /succeeded|done|failed/i);
    expect(done.title, done.text).toMatch(/succeeded|done/i);
    expect(done.text).toMatch(/3\. ✅/);
    expect((await app.kube.readNode(NODE_FREE)).spec?.unschedulable).toBe(true);
    expect((await app.kube.listPodsOnNode(NODE_FREE)).filter(evictable)).toHaveLength(0);
    // The evicted pods' replacements run on the other nodes.
    const gw = await app.kube.readDeployment('production', 'api-gateway');
    expect(gw.status?.readyReplicas).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('a budget that holds a pod stops the drain with the reason; Roll back uncordons the node', async () => {
    const [card] = await app.send('bob', `/drain ${NODE_HELD} --timeout 10s`);
    expect(card!.title).toMatch(/^Approval needed/);
    expect(card!.text).toMatch(/held by a disruption budget now \(user-service-/);
    await approveTwice(card!.id);
    const failed = await app.settle(card!.id, /failed|done/i);
    expect(failed.title).toMatch(/failed/i);
    expect(failed.text).toMatch(/user-service-[\w-]+ — Kubernetes refused the eviction: The disruption budget user-service needs 2 healthy pods and has 2 currently/);
    const left = (await app.kube.listPodsOnNode(NODE_HELD)).filter(evictable);
    expect(left.map((p) => p.metadata?.name)).toEqual([expect.stringMatching(/^user-service-/)]);
    expect((await app.kube.readNode(NODE_HELD)).spec?.unschedulable).toBe(true);
    // Uncordon (low risk: one oncall approval).
    const [un] = await app.send('bob', `/uncordon ${NODE_HELD}`);
    await app.click('alice', un!.id, 'approve');
    expect((await app.settle(un!.id, /done|failed/i)).title).toMatch(/done/i);
    expect((await app.kube.readNode(NODE_HELD)).spec?.unschedulable).toBeFalsy();
  }, 60_000);
});
