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

/**
 * Acks under real work (issue: acks queued behind the commands' work): the whole app over Feishu HTTP
 * callbacks (signed and encrypted), each event a `/pods production` that lists, renders and replies to a
 * local Feishu API; the load generator is its own process and records each event's time to its ack.
 * Every event must be acked and answered exactly once.
 */
export async function benchAcks(): Promise<Row[]> {
  const api = await new FakeFeishuApi().start();
  const app = await startTestApp({ ...feishuEnv(api.url, 'http'), LOG_LEVEL: 'info' });
  const p99: number[] = [];
  const max: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const before = api.messages.length;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/feishu-pods-load.ts', `${app.url}/webhooks/feishu`, String(N), String(IN_FLIGHT)], { cwd: ROOT, maxBuffer: 1 << 20 });
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
  return [
    { metric: `Feishu acks while every event runs /pods: p99 (median of ${ROUNDS}×${N}, ${IN_FLIGHT} in flight; each answered once)`, value: `${median(p99).toFixed(0)} ms (max ${Math.max(...max).toFixed(0)} ms)`, goal: '< 300 ms', ok: median(p99) < 300 },
  ];
}
