import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

/** Debian's chromium (installed by .ci/run). Outside CI, a machine without it skips this file. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const required = Boolean(process.env['CI']);
if (!CHROMIUM && required) throw new Error('chromium not found: .ci/run installs Debian chromium (or set CHROMIUM_PATH)');

describe.skipIf(!CHROMIUM)('console in a real browser', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM as string,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('alice types /scale, bob clicks Approve, the card shows the result in place', async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}/console`);
    await page.waitForSelector('#user option[value="bob"]', { state: 'attached' });
    await page.selectOption('#user', 'alice');
    await page.fill('#text', '/scale api-gateway 5 -n production');
    await page.press('#text', 'Enter');
    const card = page.locator('.card', { hasText: 'Approval needed' }).first();
    await card.waitFor();
    await expect(card.locator('.title').textContent()).resolves.toMatch(/^Approval needed · [A-Z0-9]{4}$/);
    await expect(card.textContent()).resolves.toContain('replicas 3 → 5 · dry run ✓');
    const cardId = await card.getAttribute('data-card');

    await page.selectOption('#user', 'bob');
    await card.locator('button', { hasText: 'Approve' }).click();
    const updated = page.locator(`.card[data-card="${cardId}"] .title`);
    await expect.poll(() => updated.textContent(), { timeout: 15_000 }).toMatch(/^Done · [A-Z0-9]{4} · approved by Bob Li/);
    await expect(page.locator(`.card[data-card="${cardId}"]`).textContent()).resolves.toMatch(/scaled production\/api-gateway 3 → 5 — 5\/5 ready in \d+ s/);
    await expect(page.locator(`.card[data-card="${cardId}"] button`).count()).resolves.toBe(0);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);

    await page.click('#show-audit');
    await expect.poll(() => page.locator('#panel').textContent()).toMatch(/execute \/scale/);
    await page.screenshot({ path: join(tmpdir(), 'opsbot-console-approval.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
