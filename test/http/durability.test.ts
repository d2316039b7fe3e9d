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

  it('an approval interrupted while executing is marked failed at startup and never re-run', async () => {
    const store = new SqliteStore(join(dataDir, 'opsbot.db'));
    const now = Date.now();
    await store.insertApproval({
      id: 'ZZZ9', command: 'scale', args: { deployment: 'user-service', replicas: 4 }, preview: { target: 'production/user-service', change: 'replicas 2 → 4', before: 2 },
      risk: 'medium', requester: { personId: 'alice', name: 'Alice Wang', platform: 'console', userId: 'alice' }, chatId: 'console',
      steps: [{ role: 'lead', timeoutMs: 600_000, startedAt: now, decidedBy: { personId: 'bob', name: 'Bob Li', platform: 'console', userId: 'bob' }, decidedAt: now }],
      step: 0, state: 'executing', version: 3, createdAt: now, updatedAt: now, expiresAt: now + 600_000,
    });
    await store.close();
    const app = await startTestApp({}, { dataDir });
    try {
      const a = await app.approvals.get('ZZZ9');
      expect(a?.state).toBe('failed');
      expect(a?.result?.summary).toMatch(/interrupted by a restart/);
      expect(app.demo!.count('PATCH', /user-service\/scale$/, { dryRun: false })).toBe(0);
      expect(app.logs.text).toMatch(/approvals interrupted by the last stop were marked failed/);
    } finally {
      await app.stop();
    }
  });
});
