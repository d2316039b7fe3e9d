import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/core/store/sqlite.js';
import { ROOT, startTestApp } from '../helpers/start-app.js';

const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-durable-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a restart between request and click loses nothing', () => {
  it('the card from before the restart still works, and the audit shows all of it', async () => {
    const first = await startTestApp({}, { dataDir });
    const [req] = await first.send('alice', '/scale api-gateway 5 -n production');
    const id = /· ([A-Z0-9]{4})$/.exec(req!.title)![1]!;
    await first.stop();

    const second = await startTestApp({}, { dataDir });
    try {
      const card = await second.card(req!.id);
      expect(card.title).toBe(`Approval needed · ${id}`);
      const click = await second.click('bob', req!.id, 'approve');
      expect(click.status).toBe(200);
      expect(click.body.cards![0]!.title).toMatch(/^Approved by Bob Li/);
      await second.approvals.idle();
      expect((await second.card(req!.id)).text).toMatch(/scaled production\/api-gateway 3 → 5 — 5\/5 ready/);
      expect(second.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
    } finally {
      await second.stop();
    }

    const out = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', '--since', '1h'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', OPSBOT_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 20_000 });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; actor: string; approvalId?: string; time: string });
    expect(lines.filter((l) => l.approvalId === id).map((l) => `${l.kind}:${l.actor}`)).toEqual(['request:alice', 'approve:bob', 'execute:alice']);
    expect(lines.every((l) => !Number.isNaN(Date.parse(l.time)))).toBe(true);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', '--since', 'yesterday'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', OPSBOT_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--since takes a duration/);
  });

  it('approvals interrupted while executing are closed at startup with what the cluster shows, and never re-run', async () => {
    const store = new SqliteStore(join(dataDir, 'opsbot.db'));
    const now = Date.now();
    const interrupted = (id: string, deployment: string, from: number, to: number) => ({
      id, command: 'scale', args: { deployment, replicas: to }, preview: { target: `production/${deployment}`, change: `replicas ${from} → ${to}`, before: from },
      risk: 'medium' as const, requester: { personId: 'alice', name: 'Alice Wang', platform: 'console' as const, userId: 'alice' }, chatId: 'console',
      steps: [{ role: 'lead', timeoutMs: 600_000, startedAt: now, decidedBy: { personId: 'bob', name: 'Bob Li', platform: 'console' as const, userId: 'bob' }, decidedAt: now }],
      step: 0, state: 'executing' as const, version: 3, createdAt: now, updatedAt: now, expiresAt: now + 600_000,
    });
    // user-service runs 2 replicas: the scale to 4 never reached the cluster.
    await store.insertApproval(interrupted('ZZZ9', 'user-service', 2, 4));
    // api-gateway runs 3: a scale 2 → 3 that was applied just before the crash.
    await store.insertApproval(interrupted('ZZZ8', 'api-gateway', 2, 3));
    await store.close();
    const app = await startTestApp({}, { dataDir });
    try {
      const notApplied = await app.approvals.get('ZZZ9');
      expect(notApplied?.state).toBe('failed');
      expect(notApplied?.result?.summary).toBe('interrupted by a restart before the change reached the cluster: production/user-service still shows 2 — nothing changed; request it again if it is still needed');
      const applied = await app.approvals.get('ZZZ8');
      expect(applied?.state).toBe('succeeded');
      expect(applied?.result?.summary).toMatch(/^recorded after a restart, from what the cluster shows: the change is in place — .*production\/api-gateway.*3/);
      expect(app.demo!.count('PATCH', /\/scale$/, { dryRun: false })).toBe(0);
      expect(app.logs.text).toMatch(/approvals interrupted by the last stop were closed with what the cluster shows/);
      const audit = (await app.audit()).filter((e) => e.kind === 'execute' && e.approvalId?.startsWith('ZZZ'));
      expect(audit.map((e) => `${e.approvalId}:${e.outcome}`).sort()).toEqual(['ZZZ8:ok', 'ZZZ9:failed']);
    } finally {
      await app.stop();
    }
  });
});
