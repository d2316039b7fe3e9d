import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { median, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const N = 2000;
const ROUNDS = 3;

/** A server of the bench in its own process (bench/alerts-server.mjs), asked for its own CPU and memory. */
async function server(kind: 'opsbot' | 'bare', policy: string) {
  const dir = mkdtempSync(join(tmpdir(), `opsbot-bench-al-${kind}-`));
  const child = spawn(process.execPath, ['--expose-gc', 'bench/alerts-server.mjs', kind, policy, dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as Readable })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const l = await lines.next();
    if (l.done) throw new Error(`the ${kind} server exited`);
    return JSON.parse(String(l.value)) as T;
  };
  const ask = async <T>(cmd: string): Promise<T> => {
    child.stdin?.write(`${cmd}\n`);
    return next<T>();
  };
  const { url } = await next<{ url: string }>();
  return {
    url: `${url}/webhooks/alertmanager`,
    cpu: async () => (await ask<{ cpu: number }>('cpu')).cpu,
    memory: async () => (await ask<{ memory: NodeJS.MemoryUsage }>('memory')).memory,
    stop: () => void child.kill(),
  };
}

/**
 * Alertmanager webhook → card queued. Each server runs in its own process, as production runs it (the
 * built dist/, plain node): opsbot with a console route (each notification a new group: validated,
 * recorded in SQLite, claimed once per target, its post queued), and a bare Koa handler that only parses
 * the JSON. The load generator is a third process; each server reports its own CPU (process.cpuUsage)
 * around each round, so neither the generator nor the other server is counted. Then memory: a fresh
 * opsbot takes 10,000 active alerts (100 groups of 100) and reports its RSS after a GC.
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
  const servers = { ours: await server('opsbot', policy), bare: await server('bare', policy) };
  const fresh = await server('opsbot', policy);
  const rates: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  const cpu: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  let slot = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'ours'] as const) {
        const s = servers[name];
        const c0 = await s.cpu();
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/alerts-load.ts', s.url, String(N), '16', '1', String(slot++)], { cwd: ROOT, maxBuffer: 1 << 20 });
        const used = (await s.cpu()) - c0;
        const out = JSON.parse(stdout) as { ms: number; ok: number; statuses: Record<string, number> };
        if (out.ok !== N) throw new Error(`${name}: only ${out.ok}/${N} answered 2xx (${JSON.stringify(out.statuses)})`);
        rates[name].push(N / (out.ms / 1000));
        cpu[name].push(used / N);
      }
    }
    const idle = (await fresh.memory()).rss;
    await run(process.execPath, ['--import', 'tsx', 'bench/alerts-load.ts', fresh.url, '100', '8', '100', 'mem'], { cwd: ROOT, maxBuffer: 1 << 20 });
    const loaded = await fresh.memory();
    const mb = (b: number): number => b / 1024 / 1024;
    const m = { ours: median(rates.ours), bare: median(rates.bare) };
    const us = { ours: median(cpu.ours), bare: median(cpu.bare) };
    return [
      { metric: `alerts: webhook → card queued, one new group each (median of ${ROUNDS}×${N}, 16 in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '≥ 2,000 /s', ok: m.ours >= 2000 },
      { metric: '  bare Koa JSON handler, same load', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
      { metric: 'alerts: server CPU per notification (each server its own process), opsbot / bare (µs) and ratio', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)} · ${(us.ours / us.bare).toFixed(2)}×`, goal: '≤ 2×', ok: us.ours / us.bare <= 2 },
      { metric: 'alerts: RSS of opsbot holding 10,000 active alerts (100 groups × 100), idle → loaded', value: `${mb(idle).toFixed(0)} → ${mb(loaded.rss).toFixed(0)} MB (heap ${mb(loaded.heapUsed).toFixed(0)} MB)`, goal: '< 200 MB', ok: mb(loaded.rss) < 200 },
    ];
  } finally {
    // Not a graceful close: opsbot would wait for the thousands of queued cards to drain at the
    // notifier's 5 per second per chat. The queue's pacing is the point of it.
    for (const s of [servers.ours, servers.bare, fresh]) s.stop();
  }
}
