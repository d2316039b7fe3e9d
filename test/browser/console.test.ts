/// <reference lib="dom" />
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

  for (const width of [1280, 390]) {
    it(`first visit at ${width} px: welcome card, readable /pods, history after reload, panels in view`, async () => {
      const room = await startTestApp();
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        // GET / takes a browser to the console; the tab has an icon.
        await page.goto(`${room.url}/`);
        expect(new URL(page.url()).pathname).toBe('/console');
        expect((await fetch(`${room.url}/favicon.ico`)).headers.get('content-type')).toMatch(/^image\/svg\+xml/);
        const welcome = page.locator('.card[data-card="welcome"]');
        await welcome.waitFor();
        await expect(welcome.textContent()).resolves.toMatch(/Welcome to the opsbot console/);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-welcome-${width}.png`), fullPage: true });
        // A command in the welcome card fills the input.
        await welcome.locator('code.cmd', { hasText: '/pods production' }).click();
        await expect(page.inputValue('#text')).resolves.toBe('/pods production');
        await page.press('#text', 'Enter');
        const pods = page.locator('.card', { hasText: 'need attention' }).first();
        await pods.waitFor();
        // Every column of the table is on screen: nothing needs horizontal scrolling, on a phone neither.
        const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
        expect(fits).toBe(true);
        for (const text of ['CrashLoopBackOff', 'Restarts', 'Age']) {
          const cell = pods.locator('td', { hasText: text }).first().or(pods.locator('th', { hasText: text }).first());
          if (text === 'CrashLoopBackOff') {
            const box = await cell.boundingBox();
            expect(box && box.x >= 0 && box.x + box.width <= width + 1, `${text} on screen`).toBe(true);
          }
        }
        if (width === 390) await expect(pods.locator('td[data-label="Status"]').first().evaluate((e) => getComputedStyle(e, '::before').content)).resolves.toContain('Status');
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-pods-${width}.png`), fullPage: true });
        // A log line is wrapped on a phone, not cut.
        await page.fill('#text', '/logs order-service --previous -n production');
        await page.press('#text', 'Enter');
        const logs = page.locator('.card pre', { hasText: 'OutOfMemoryError' }).first();
        await logs.waitFor();
        const pre = await logs.evaluate((e) => ({ sw: e.scrollWidth, cw: e.clientWidth }));
        if (width === 390) expect(pre.sw).toBeLessThanOrEqual(pre.cw + 1);

        // Reload: the conversation is still there, the welcome card is not.
        await page.reload();
        await page.locator('.card', { hasText: 'need attention' }).first().waitFor();
        await expect(page.locator('.msg', { hasText: '/pods production' }).count()).resolves.toBe(1);
        await expect(page.locator('.card[data-card="welcome"]').count()).resolves.toBe(0);

        // Scrolled to the bottom, the Audit panel opens in view.
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        await page.click('#show-audit');
        const panel = page.locator('#panel');
        await expect.poll(() => panel.textContent()).toMatch(/Audit log/);
        const box = await panel.boundingBox();
        expect(box && box.y >= 0 && box.y < 800 && box.x >= 0 && box.x + box.width <= width + 1).toBe(true);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-audit-${width}.png`) });
        await panel.locator('button.close').click();
        await expect(panel.textContent()).resolves.toBe('');

        // The status page, from the header: every component, readable on a phone too.
        await page.click('#status-link');
        await expect.poll(() => page.locator('#overall').textContent(), { timeout: 10_000 }).toMatch(/All components are healthy/);
        await expect(page.locator('.card h2', { hasText: 'Kubernetes' }).count()).resolves.toBe(1);
        await expect(page.locator('.card h2', { hasText: 'Web console' }).count()).resolves.toBe(1);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-status-${width}.png`), fullPage: true });

        // Tools: run a read-only command as someone, in place; Config: the policy as tables.
        await page.goto(`${room.url}/console/tools`);
        const tool = page.locator('#tool-status');
        await tool.waitFor();
        await tool.locator('button', { hasText: 'Run' }).click();
        await expect.poll(() => tool.locator('pre').last().textContent(), { timeout: 10_000 }).toMatch(/nodes/i);
        await expect(page.locator('#tool-scale form').count()).resolves.toBe(0); // changes are requested in the chat
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-tools-${width}.png`) });
        await page.goto(`${room.url}/console/config`);
        await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toMatch(/Approval chains/);
        await expect(page.locator('main').textContent()).resolves.toMatch(/\[not set\]/);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-config-${width}.png`), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        await room.stop();
      }
    }, 60_000);
  }

  it('a range query shows its chart, and a runbook its steps, readable at 1280 and 390 px', async () => {
    const demo = await startTestApp({ OPSBOT_DEMO_PROMETHEUS: 'auto' }, { demoPrometheusScrapeMs: 1000 });
    try {
      // Enough scrapes of the demo's series for a rate first.
      const q = '/query sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="production"}[10s])) --range 5m --step 2s';
      const charted = async () => {
        const [c] = await demo.send('bob', q, 'warmup');
        const view = (await (await fetch(`${demo.url}/console/api/cards/${c!.id}`)).json()) as { card: { blocks: { type: string }[] } };
        return view.card.blocks.some((b) => b.type === 'image');
      };
      for (let i = 0; i < 60 && !(await charted()); i++) await new Promise((r) => setTimeout(r, 500));
      for (const width of [1280, 390]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${demo.url}/console`);
        await page.waitForSelector('#user option[value="bob"]', { state: 'attached' });
        await page.selectOption('#user', 'bob');
        await page.fill('#text', q);
        await page.press('#text', 'Enter');
        const chart = page.locator('img.chart').first();
        await chart.waitFor();
        await expect.poll(() => chart.evaluate((i) => (i as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(800);
        await chart.scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-chart-${width}.png`), fullPage: true });
        const box = await chart.boundingBox();
        expect(box && box.width <= width, 'the chart fits the screen').toBe(true);
        const wide = await page.evaluate(() => Array.from(document.querySelectorAll('*')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => `${e.tagName}.${e.className}`).slice(0, 5));
        expect(wide, 'nothing wider than the screen').toEqual([]);
        await page.fill('#text', '/runbook run scale_up deployment=api-gateway namespace=production by=2');
        await page.press('#text', 'Enter');
        const card = page.locator('.card', { hasText: 'Approval needed' }).last();
        await card.waitFor();
        await expect(card.textContent()).resolves.toMatch(/2\. wait until production\/api-gateway is ready/);
        await page.screenshot({ path: join(tmpdir(), `opsbot-console-runbook-${width}.png`), fullPage: true });
        expect(errors).toEqual([]);
        await page.close();
      }
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
