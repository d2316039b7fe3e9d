import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Koa from 'koa';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { readRawBody } from '../src/http/raw-body.js';
import { createLogger } from '../src/log.js';
import { median, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const N = 2000;
const ROUNDS = 3;

/**
 * Alertmanager webhook → card queued, in one opsbot with a console route: each notification a new group
 * (validated, recorded in SQLite, claimed once per target, its card rendered and posted), against a bare
 * Koa handler that only parses the JSON; the load generator is its own process, server CPU per alert from
 * process.cpuUsage. Then 10,000 active alerts (100 groups of 100) and the process's RSS.
 */
export async function benchAlerts(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-bench-al-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `timezone: Asia/Shanghai
namespaces: { allow: [production], default: production }
roles: { oncall: { commands: ["*"], namespaces: ["*"] } }
people: { bob: { name: Bob Li, roles: [oncall], ids: { console: bob } } }
approvals: { risk: { low: { steps: [{ role: oncall }] }, medium: { steps: [{ role: oncall }] }, high: { steps: [{ role: oncall }] } } }
notify: { targets: { room: { platform: console, chat: bench } } }
alerts: { routes: [{ matchers: ['namespace="production"'], targets: [room] }] }
`,
  );
  const r = loadConfig({ OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dir, LOG_LEVEL: 'silent', OPSBOT_CONFIG: policy }, { cwd: ROOT });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const app = await startApp({ config: r.config, log: createLogger({ level: 'silent', format: 'json' }) });
  const bare = new Koa();
  bare.use(async (ctx) => {
    JSON.parse((await readRawBody(ctx, 10 * 1024 * 1024)).toString('utf8'));
    ctx.body = { ok: true };
  });
  const bareServer = await new Promise<Server>((res) => {
    const s = bare.listen(0, '127.0.0.1', () => res(s));
  });
  const urls = { ours: `${app.url}/webhooks/alertmanager`, bare: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/webhooks/alertmanager` };
  const rates: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  const cpu: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  let slot = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'ours'] as const) {
        const c0 = process.cpuUsage();
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/alerts-load.ts', urls[name], String(N), '16', '1', String(slot++)], { cwd: ROOT, maxBuffer: 1 << 20 });
        const c = process.cpuUsage(c0);
        const out = JSON.parse(stdout) as { ms: number; ok: number; statuses: Record<string, number> };
        if (out.ok !== N) throw new Error(`${name}: only ${out.ok}/${N} answered 2xx (${JSON.stringify(out.statuses)})`);
        rates[name].push(N / (out.ms / 1000));
        cpu[name].push((c.user + c.system) / N);
      }
    }
    await run(process.execPath, ['--import', 'tsx', 'bench/alerts-load.ts', urls.ours, '100', '8', '100', 'mem'], { cwd: ROOT, maxBuffer: 1 << 20 });
    const rss = process.memoryUsage().rss / 1024 / 1024;
    const m = { ours: median(rates.ours), bare: median(rates.bare) };
    const us = { ours: median(cpu.ours), bare: median(cpu.bare) };
    return [
      { metric: `alerts: webhook → card queued, one new group each (median of ${ROUNDS}×${N}, 16 in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '≥ 2,000 /s', ok: m.ours >= 2000 },
      { metric: '  bare Koa JSON handler, same load', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
      { metric: 'alerts: server CPU per notification, opsbot / bare (µs) and ratio', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)} · ${(us.ours / us.bare).toFixed(2)}×`, goal: '≤ 2×', ok: us.ours / us.bare <= 2 },
      { metric: 'alerts: process RSS with 10,000 active alerts (100 groups × 100) on top of the runs, their cards still queued', value: `${rss.toFixed(0)} MB`, goal: '< 200 MB', ok: rss < 200 },
    ];
  } finally {
    bareServer.close();
    // Not app.close(): it would wait for the thousands of queued cards to drain at the notifier's 5 per
    // second per chat. The bench process exits at the end; the queue's pacing is the point of it.
  }
}
