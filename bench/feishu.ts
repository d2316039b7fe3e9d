import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as lark from '@larksuiteoapi/node-sdk';
import Koa from 'koa';
import { SqliteStore } from '../src/core/store/sqlite.js';
import { readRawBody } from '../src/http/raw-body.js';
import { createLogger } from '../src/log.js';
import { FEISHU } from '../test/helpers/sign-feishu.js';
import { feishuIngress } from './ingress.js';
import { median, profiled, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const N = 3000;
const CONCURRENCY = 32;
const ROUNDS = 5;

function listen(app: Koa): Promise<{ url: string; server: Server }> {
  return new Promise((r) => {
    const server = app.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/feishu`, server }));
  });
}

/**
 * Signed + encrypted Feishu events per second to a 200 ack: opsbot's route (signature over the raw bytes,
 * AES decrypt, token, zod parse, event-id claim in SQLite, enqueue) against (a) a bare Koa handler that only
 * parses JSON and (b) the official SDK's EventDispatcher behind adaptKoa. The work after the ack is a no-op
 * in all three, so only the acknowledgement path is compared.
 */
export async function benchFeishuIngress(): Promise<Row[]> {
  const log = createLogger({ level: 'silent', format: 'json' });
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-bench-'));
  const store = new SqliteStore(join(dir, 'opsbot.db'));
  const { app: ours, dispatcher } = feishuIngress(store, log);

  const bare = new Koa();
  bare.use(async (ctx) => {
    JSON.parse((await readRawBody(ctx, 1024 * 1024)).toString('utf8'));
    ctx.body = {};
  });

  const sdk = new Koa();
  const sdkDispatcher = new lark.EventDispatcher({ encryptKey: FEISHU.encryptKey, verificationToken: FEISHU.verificationToken, loggerLevel: lark.LoggerLevel.error }).register({ 'im.message.receive_v1': async () => undefined } as never);
  sdk.use(lark.adaptKoa('/webhooks/feishu', sdkDispatcher, { autoChallenge: true }));

  const servers = { ours: await listen(ours), bare: await listen(bare), sdk: await listen(sdk) };
  const rates: Record<keyof typeof servers, number[]> = { ours: [], bare: [], sdk: [] };
  // Server CPU per request (this process hosts all three servers; the load generator is another
  // process): on 2 cores the generator can saturate first, so the rate alone can hide or invent a gap.
  const cpu: Record<keyof typeof servers, number[]> = { ours: [], bare: [], sdk: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'sdk', 'ours'] as const) {
        const c0 = process.cpuUsage();
        const load = () => run(process.execPath, ['--import', 'tsx', 'bench/feishu-load.ts', servers[name].url, String(N), String(CONCURRENCY)], { cwd: ROOT, maxBuffer: 1 << 20 });
        const { stdout } = name === 'ours' && round === 0 ? await profiled('feishu-ours', load) : await load();
        const c = process.cpuUsage(c0);
        cpu[name].push((c.user + c.system) / N);
        const r = JSON.parse(stdout) as { ms: number; ok: number; statuses: Record<string, number> };
        if (r.ok !== N) throw new Error(`${name}: only ${r.ok}/${N} acknowledged (${JSON.stringify(r.statuses)})`);
        rates[name].push(N / (r.ms / 1000));
      }
      await dispatcher.idle();
    }
  } finally {
    for (const s of Object.values(servers)) s.server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = { ours: median(rates.ours), bare: median(rates.bare), sdk: median(rates.sdk) };
  const costRatio = m.bare / m.ours;
  const us = { ours: median(cpu.ours), bare: median(cpu.bare), sdk: median(cpu.sdk) };
  return [
    { metric: `Feishu signed+encrypted events → 200, opsbot (median of ${ROUNDS}×${N}, ${CONCURRENCY} in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: '  (a) bare Koa JSON handler, same load', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: '  (b) official SDK EventDispatcher + adaptKoa, same load', value: `${m.sdk.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: 'Feishu ack cost vs bare handler (bare rate / opsbot rate)', value: `${costRatio.toFixed(2)}×`, goal: '≤ 1.30×', ok: costRatio <= 1.3 },
    { metric: 'Feishu throughput vs the official SDK (opsbot / SDK)', value: `${(m.ours / m.sdk).toFixed(2)}×`, goal: '≥ 1.00×', ok: m.ours >= m.sdk },
    { metric: 'server CPU per event: opsbot / bare / SDK (median, µs)', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)} / ${us.sdk.toFixed(0)}`, goal: '—', ok: true },
    { metric: 'server CPU per event vs bare handler (opsbot / bare)', value: `${(us.ours / us.bare).toFixed(2)}×`, goal: '—', ok: true },
  ];
}
