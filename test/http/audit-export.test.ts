import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/start-app.js';
import { untilAsync } from '../helpers/until.js';

const DAY = 86_400_000;
const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('audit retention with OPSBOT_AUDIT_EXPORT', () => {
  it('lines past the retention are exported (the format of npm run audit) before they are pruned; newer ones stay', async () => {
    const exportDir = join(tmp('opsbot-export-'), 'audit-export');
    let clock = Date.now();
    const app = await startTestApp({ OPSBOT_AUDIT_RETENTION: '1d', OPSBOT_AUDIT_EXPORT: exportDir }, { now: () => clock, sweepMs: 50 });
    try {
      await app.send('alice', '/pods -n production');
      await app.send('alice', '/deployments -n production');
      const old = await app.audit();
      expect(old.filter((e) => e.kind === 'command')).toHaveLength(2);
      clock += 2 * DAY;
      await app.send('alice', '/nodes');
      await untilAsync(async () => !(await app.audit()).some((e) => e.at < clock - DAY), 'the old lines pruned');
      const [file] = readdirSync(exportDir);
      expect(file).toBe(`audit-${new Date(clock).toISOString().slice(0, 10)}.jsonl`);
      const lines = readFileSync(join(exportDir, file!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: number; kind: string; command?: string; time: string });
      expect(lines.map((l) => l.at)).toEqual(old.map((e) => e.at).reverse()); // every old line, oldest first
      expect(lines.filter((l) => l.kind === 'command').map((l) => l.command)).toEqual(['pods', 'deployments']);
      expect(lines.every((l) => l.time === new Date(l.at).toISOString())).toBe(true);
      expect((await app.audit()).map((e) => e.command)).toContain('nodes');
      expect(app.logs.text).toMatch(/audit lines past the retention exported before pruning/);
    } finally {
      await app.stop();
    }
  });

  it('an export that fails prunes nothing and says so', async () => {
    const blocked = join(tmp('opsbot-export-'), 'not-a-dir');
    writeFileSync(blocked, 'a file where the export directory should be');
    let clock = Date.now();
    const app = await startTestApp({ OPSBOT_AUDIT_RETENTION: '1d', OPSBOT_AUDIT_EXPORT: blocked }, { now: () => clock, sweepMs: 50 });
    try {
      await app.send('alice', '/pods -n production');
      const before = (await app.audit()).length;
      clock += 2 * DAY;
      await untilAsync(async () => /audit export failed: audit lines are kept/.test(app.logs.text), 'the export failure logged');
      await new Promise((r) => setTimeout(r, 200)); // a few more sweeps
      expect((await app.audit()).length).toBeGreaterThanOrEqual(before);
      expect((await app.audit()).some((e) => e.at < clock - DAY)).toBe(true);
    } finally {
      await app.stop();
    }
  });
});
