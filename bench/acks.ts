import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FakeFeishuApi } from '../test/fakes/feishu-api.js';
import { feishuEnv } from '../test/helpers/sign-feishu.js';
import { startTestApp } from '../test/helpers/start-app.js';
import { median, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const N = 300;
const IN_FLIGHT = 30;
const ROUNDS = 3;
/** The command of every event (BENCH_ACK_TEXT), and the log level (BENCH_ACK_LOG: debug logs every request). */
const TEXT = process.env['BENCH_ACK_TEXT'] ?? '/pods -A';

/**
 * Acks under real work (issue: acks queued behind the commands' work): the whole app over Feishu HTTP
 * callbacks (signed and encrypted), each event a `/pods -A` that lists, renders and replies to a
 * local Feishu API; the load generator is its own process and records each event's time to its ack.
 * Every event must be acked and answered exactly once.
 */
export async function benchAcks(): Promise<Row[]> {
  // Unbounded work (as before OPSBOT_WORK_CONCURRENCY) beside the default bound.
  const unbounded = await ackRun({ OPSBOT_WORK_CONCURRENCY: '200' });
  const bounded = await ackRun({});
  const row = (label: string, r: { p99: number; max: number }, goal: string, ok: boolean): Row => ({
    metric: `Feishu acks while every event runs ${TEXT}, ${label}: p99 (median of ${ROUNDS}×${N}, ${IN_FLIGHT} in flight; each answered once)`,
    value: `${r.p99.toFixed(0)} ms (max ${r.max.toFixed(0)} ms)`,
    goal,
    ok,
  });
  return [row('work unbounded (baseline)', unbounded, '—', true), row('work bounded (16 at once, the default)', bounded, '< 300 ms', bounded.p99 < 300)];
}

async function ackRun(env: Record<string, string>): Promise<{ p99: number; max: number }> {
  const api = await new FakeFeishuApi().start();
  const app = await startTestApp({ ...feishuEnv(api.url, 'http'), LOG_LEVEL: process.env['BENCH_ACK_LOG'] ?? 'info', ...env });
  const p99: number[] = [];
  const max: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const before = api.messages.length;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/feishu-pods-load.ts', `${app.url}/webhooks/feishu`, String(N), String(IN_FLIGHT), TEXT], { cwd: ROOT, maxBuffer: 1 << 20 });
      const r = JSON.parse(stdout) as { ok: number; p99: number; max: number; statuses: Record<string, number> };
      await app.dispatcher.idle();
      if (r.ok !== N) throw new Error(`only ${r.ok}/${N} events acked 2xx (${JSON.stringify(r.statuses)})`);
      if (api.messages.length - before !== N) throw new Error(`${api.messages.length - before} replies for ${N} events`);
      p99.push(r.p99);
      max.push(r.max);
    }
  } finally {
    await app.stop();
    await api.stop();
  }
  return { p99: median(p99), max: Math.max(...max) };
}
