import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKubeConfigText } from '../../src/kube/client.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

/**
 * README's quick start, run as a newcomer would: the kubectl lines against the demo cluster (the real
 * kubectl), and the "Try:" commands the banner prints, through the console. A README example that
 * stops working fails here.
 */
const run = promisify(execFile);
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The demo cluster'));
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

describe("README's quick start works as written", () => {
  it('the kubectl block runs against the demo and shows the crashed container\'s OutOfMemoryError', async () => {
    const block = [...quickStart.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.trimStart().startsWith('kubectl '));
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-readme-'));
    const kubeconfig = join(dir, 'demo.kubeconfig');
    writeFileSync(kubeconfig, demoKubeConfigText(app.demo!.url));
    const script = `set -euo pipefail\n${(block as string).replaceAll('data/demo.kubeconfig', kubeconfig)}`;
    const { stdout } = await run('bash', ['-c', script], { timeout: 20_000, env: { PATH: process.env['PATH'] ?? '', HOME: dir } });
    expect(stdout).toMatch(/CrashLoopBackOff/);
    expect(stdout).toMatch(/java\.lang\.OutOfMemoryError: Java heap space/);
  });

  it('every "Try:" command of the banner answers without an error, as README shows it and main.ts prints it', async () => {
    const line = /Try:\s+(.+)/.exec(quickStart)?.[1] as string;
    const printed = /Try:\s+([^\\`]+)/.exec(readFileSync(join(ROOT, 'src/main.ts'), 'utf8'))?.[1]?.trim();
    expect(line.trim()).toBe(printed);
    for (const cmd of line.split(' · ').map((c) => c.trim())) {
      const [card] = await app.send('alice', cmd);
      expect(card?.title, cmd).not.toMatch(/^[❌❓⛔]/u);
    }
  });
});
