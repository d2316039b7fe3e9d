import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/start-app.js';
import { SqliteStore } from '../../src/core/store/sqlite.js';

/** Asks for a rolling restart and approves it: the execution then waits for the rollout (about a second). */
async function approvedRestart(app: Awaited<ReturnType<typeof startTestApp>>): Promise<string> {
  const [card] = await app.send('alice', '/restart user-service -n production');
  expect(card!.title).toMatch(/^Approval needed/);
  expect((await app.click('bob', card!.id, 'approve')).status).toBe(200);
  const id = (await app.approvals.listOpen()).find((a) => a.command === 'restart')?.id;
  expect(id).toBeDefined();
  return id!;
}

describe('graceful shutdown (app.close, what SIGTERM runs)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stops accepting at once, lets a running execution finish and record its outcome, then closes the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-stop-'));
    dirs.push(dir);
    const app = await startTestApp({}, { dataDir: dir });
    const id = await approvedRestart(app);
    expect((await app.approvals.get(id))?.state).toBe('executing');
    const t0 = performance.now();
    const closed = app.close();
    // No new connection is taken while it finishes.
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
    await closed;
    const ms = performance.now() - t0;
    const store = new SqliteStore(join(dir, 'opsbot.db'), { readonly: true });
    const a = await store.getApproval(id);
    const audit = await store.queryAudit({ limit: 100 });
    await store.close();
    expect(a?.state, 'the execution finished before the store closed').toBe('succeeded');
    expect(audit.some((e) => e.kind === 'execute' && e.approvalId === id && e.outcome === 'ok')).toBe(true);
    expect(ms).toBeGreaterThan(100); // it waited for the rollout rather than cutting it off
    expect(app.logs.text).toMatch(/"drained":true[^\n]*"msg":"stopped"|"msg":"stopped"[^\n]*"drained":true/);
  });

  it('past OPSBOT_SHUTDOWN_TIMEOUT it stops anyway, says what was still running, and the next start closes the execution', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-stop-'));
    dirs.push(dir);
    const app = await startTestApp({ OPSBOT_SHUTDOWN_TIMEOUT: '150ms' }, { dataDir: dir });
    const id = await approvedRestart(app);
    const t0 = performance.now();
    await app.close();
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(app.logs.text).toMatch(/work still running at OPSBOT_SHUTDOWN_TIMEOUT/);
    expect(app.logs.text).toMatch(/"executing":1/);
    // The next start (SQLite: only this process used it) closes what was cut off with what the cluster shows.
    const again = await startTestApp({}, { dataDir: dir });
    try {
      const a = await again.approvals.get(id);
      expect(a?.state).not.toBe('executing');
      expect(a?.result?.summary).toMatch(/restart/i);
    } finally {
      await again.close();
    }
  });
});
