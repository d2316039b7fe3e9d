import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { DemoKubeServer } from '../../src/kube/demo/server.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until, untilAsync } from '../helpers/until.js';

/**
 * A real full disk: the data dir is a small tmpfs, filled to the last byte while an approved change
 * runs (root can mount; elsewhere the test says why it is skipped).
 */
const dir = mkdtempSync(join(tmpdir(), 'opsbot-full-'));
let mounted = false;
let refused = '';
// The cluster outlives the app (a restart must find the change it made), so it runs beside it.
let cluster: DemoKubeServer;
const outside = mkdtempSync(join(tmpdir(), 'opsbot-full-kube-'));
let env: Record<string, string>;
beforeAll(async () => {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { encoding: 'utf8' });
  mounted = r.status === 0;
  if (!mounted) refused = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  cluster = await DemoKubeServer.start({ timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } });
  writeFileSync(join(outside, 'kubeconfig'), demoKubeConfigText(cluster.url));
  env = { OPSBOT_DEMO: '', KUBECONFIG: join(outside, 'kubeconfig'), HOST: '127.0.0.1' };
});
afterAll(async () => {
  await cluster?.stop();
  if (mounted) spawnSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const filler = join(dir, 'filler');
/** Takes every free byte of the tmpfs. */
function fillDisk(): void {
  const s = statfsSync(dir);
  try {
    writeFileSync(filler, Buffer.alloc(Number(s.bavail) * Number(s.bsize)));
  } catch {
    // ENOSPC at the very end is the point
  }
}
const freeDisk = () => rmSync(filler, { force: true });

async function readyz(app: TestApp): Promise<{ status: number; store: string }> {
  await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
  const res = await fetch(`${app.url}/readyz`);
  const body = (await res.json()) as { checks: Record<string, string> };
  return { status: res.status, store: body.checks['store'] ?? '' };
}

async function metric(app: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Requests a scale, has bob approve it, and fills the disk the moment the real PATCH reaches the cluster. */
async function approveWhileTheDiskFills(app: TestApp, deployment: string, replicas: number): Promise<{ cardId: string; approvalId: string }> {
  const [req] = await app.send('alice', `/scale ${deployment} ${replicas} -n production`);
  const approvalId = /· ([A-Z0-9]{4})$/.exec(req!.title)![1]!;
  cluster.onRequest = (r) => {
    if (r.method === 'PATCH' && r.path.endsWith(`/${deployment}/scale`) && !r.dryRun) {
      cluster.onRequest = undefined;
      fillDisk();
    }
  };
  const click = await app.click('bob', req!.id, 'approve');
  expect(click.status).toBe(200);
  return { cardId: req!.id, approvalId };
}

describe('a full disk (tmpfs) while an approved change runs', () => {
  it('keeps the outcome, shows it on the card, refuses changes, still answers reads, and writes it all when there is room', async (ctx) => {
    if (!mounted) ctx.skip(`cannot mount a tmpfs here (${refused}); run as root to test a real full disk`);
    const app = await startTestApp(env, { dataDir: dir, approvalRetryMs: 100 });
    try {
      const { cardId, approvalId } = await approveWhileTheDiskFills(app, 'api-gateway', 5);
      await until(() => /the store refused the execution outcome/.test(app.logs.text), 'the refused outcome', 15_000);
      expect(app.logs.text).toMatch(/database or disk is full/);

      // The card shows what happened although the store does not have it yet.
      await untilAsync(async () => /scaled production\/api-gateway 3 → 5/.test((await app.card(cardId)).text), 'the card to show the outcome', 10_000);
      expect(cluster.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
      const ready = await readyz(app);
      expect(ready.status).toBe(503);
      expect(ready.store).toMatch(/database or disk is full|not yet written/);
      expect(await metric(app, 'opsbot_store_writable')).toBe(0);

      // Read-only commands still answer; the missing audit line is counted.
      const gapsBefore = await metric(app, 'opsbot_audit_gaps_total');
      const [pods] = await app.send('alice', '/pods -n production');
      expect(pods!.title).toMatch(/^production · \d+ pods/);
      // Its buttons work too: their payloads are kept in memory while the store refuses them.
      const logs = await app.click('alice', pods!.id, 'logs');
      expect(logs.status, JSON.stringify(logs.body)).toBe(200);
      expect(logs.body.cards?.[0]?.title).toMatch(/order-service/);
      expect(await metric(app, 'opsbot_audit_gaps_total')).toBeGreaterThan(gapsBefore);
      expect(app.logs.text).toMatch(/audit write failed: this line is missing from the audit log/);

      // A change is refused before anything runs, with a card that says why and what to do.
      const dryRunsBefore = cluster.count('PATCH', /order-service\/scale$/);
      const [refusal] = await app.send('alice', '/scale order-service 5 -n production');
      expect(refusal!.title).toBe('❌ Storage is full — changes are refused until it has room again');
      expect(refusal!.text).toMatch(/Nothing was changed\. Read-only commands still answer\. Tell the operator/);
      expect(refusal!.buttons).toEqual([]);
      expect(cluster.count('PATCH', /order-service\/scale$/)).toBe(dryRunsBefore);

      // Room again: the kept outcome lands, the audit says the scale succeeded, readiness recovers.
      freeDisk();
      await untilAsync(async () => (await app.approvals.get(approvalId))?.state === 'succeeded', 'the outcome to land');
      const audit = (await app.audit()).filter((e) => e.approvalId === approvalId).map((e) => `${e.kind}:${e.actor}:${e.outcome}`);
      expect(audit).toEqual(['execute:alice:ok', 'approve:bob:ok', 'request:alice:ok']);
      await untilAsync(async () => (await readyz(app)).status === 200, 'readiness to recover');
      expect(await metric(app, 'opsbot_store_writable')).toBe(1);
      expect(await metric(app, 'opsbot_store_write_failures_total')).toBeGreaterThan(0);
      expect(app.logs.text).toMatch(/the execution outcome the store refused is now written/);
    } finally {
      freeDisk();
      await app.stop();
    }
  }, 60_000);

  it('a stop while the outcome waits logs it in full, and the next start closes it from what the cluster shows', async (ctx) => {
    if (!mounted) ctx.skip(`cannot mount a tmpfs here (${refused}); run as root to test a real full disk`);
    const first = await startTestApp(env, { dataDir: dir, approvalRetryMs: 100 });
    let approvalId: string;
    try {
      ({ approvalId } = await approveWhileTheDiskFills(first, 'payment-service', 4));
      await until(() => /the store refused the execution outcome/.test(first.logs.text), 'the refused outcome', 15_000);
    } finally {
      await first.stop();
    }
    expect(first.logs.text).toMatch(/stopping with an execution outcome the store never took/);
    freeDisk();

    const second = await startTestApp(env, { dataDir: dir });
    try {
      const a = await second.approvals.get(approvalId);
      expect(a?.state).toBe('succeeded');
      expect(a?.result?.summary).toMatch(/^recorded after a restart, from what the cluster shows: the change is in place/);
      // Read, not run again: the one PATCH is the first start's.
      expect(cluster.count('PATCH', /payment-service\/scale$/, { dryRun: false })).toBe(1);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
