import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { DWClient, TOPIC_ROBOT } from 'dingtalk-stream';
import Koa from 'koa';
import WebSocket from 'ws';
import { Secret } from '../src/config/secret.js';
import { Dispatcher } from '../src/core/dispatch.js';
import { SqliteStore } from '../src/core/store/sqlite.js';
import { Metrics } from '../src/http/metrics.js';
import { readRawBody } from '../src/http/raw-body.js';
import { createHttpApp } from '../src/http/server.js';
import { webhookRoutes } from '../src/http/webhook-route.js';
import { createLogger } from '../src/log.js';
import { DingtalkAdapter } from '../src/platforms/dingtalk/index.js';
import { DINGTALK } from '../test/helpers/sign-dingtalk.js';
import { stubCore } from './ingress.js';
import { median, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const FRAMES = 5000;
const IN_FLIGHT = 32;
const REQUESTS = 3000;
const CONCURRENCY = 32;
const ROUNDS = 5;

/** The bench's opsbot: the real dispatcher and SQLite dedupe; the command work after the ack is a no-op. */
function harness() {
  const log = createLogger({ level: 'silent', format: 'json' });
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-bench-dt-'));
  const store = new SqliteStore(join(dir, 'opsbot.db'));
  const core = stubCore({ langOf: () => 'en' });
  const dispatcher = new Dispatcher({ core, store, log });
  const adapter = (mode: 'stream' | 'http', apiBase = 'http://127.0.0.1:9') =>
    new DingtalkAdapter({ config: { mode, clientId: DINGTALK.clientId, clientSecret: new Secret(DINGTALK.clientSecret), robotCode: DINGTALK.clientId, ding: [], apiBase, oapiBase: 'https://oapi.dingtalk.com' }, log, store });
  return { log, store, dispatcher, adapter, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Starts a gateway process; resolves with its port and a promise of its result. */
async function gateway(): Promise<{ port: number; result: Promise<{ ms: number; acked: number }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/dingtalk-gateway.ts', String(FRAMES), String(IN_FLIGHT)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  const first = JSON.parse(((await it.next()).value as string) ?? '{}') as { port: number };
  const result = (async () => JSON.parse(((await it.next()).value as string) ?? '{}') as { ms: number; acked: number })();
  return { port: first.port, result };
}

/**
 * DingTalk Stream frames → ack per second, the client side measured (the gateway is another process):
 * opsbot's DingtalkStream + adapter + dispatcher (JSON decode, robot message parse, msgId claim in SQLite,
 * enqueue, ack) against (a) a bare `ws` client that acks each frame as it arrives and (b) the official
 * `dingtalk-stream` DWClient with an ack-only listener, on the same gateway. Server CPU per frame from
 * process.cpuUsage of this process, which hosts only the client under test.
 */
export async function benchDingtalkStream(): Promise<Row[]> {
  const h = harness();
  const clients = {
    bare: async (port: number) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/connect?ticket=t`);
      ws.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString()) as { headers: { messageId: string } };
        ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: f.headers.messageId }, message: 'OK', data: '{"response":"SUCCESS"}' }));
      });
      return async () => ws.terminate();
    },
    sdk: async (port: number) => {
      const c = new DWClient({ clientId: DINGTALK.clientId, clientSecret: DINGTALK.clientSecret, keepAlive: false });
      c.registerCallbackListener(TOPIC_ROBOT, (res) => c.socketCallBackResponse(res.headers.messageId, { response: 'SUCCESS' }));
      // The SDK's gateway URL is fixed to api.dingtalk.com: point it at the local gateway directly.
      (c as unknown as { dw_url: string }).dw_url = `ws://127.0.0.1:${port}/connect?ticket=t`;
      await c._connect();
      return async () => c.disconnect();
    },
    ours: async (port: number) => {
      const a = h.adapter('stream', `http://127.0.0.1:${port}`);
      a.startStream(h.dispatcher.sink(a));
      return async () => a.close();
    },
  };
  const rates: Record<keyof typeof clients, number[]> = { bare: [], sdk: [], ours: [] };
  const cpu: Record<keyof typeof clients, number[]> = { bare: [], sdk: [], ours: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'sdk', 'ours'] as const) {
        const g = await gateway();
        const c0 = process.cpuUsage();
        const stop = await clients[name](g.port);
        const r = await g.result;
        const c = process.cpuUsage(c0);
        await stop();
        if (r.acked !== FRAMES) throw new Error(`${name}: only ${r.acked}/${FRAMES} frames acked`);
        rates[name].push(FRAMES / (r.ms / 1000));
        cpu[name].push((c.user + c.system) / FRAMES);
        await h.dispatcher.idle();
      }
    }
  } finally {
    await h.cleanup();
  }
  const m = { bare: median(rates.bare), sdk: median(rates.sdk), ours: median(rates.ours) };
  const us = { bare: median(cpu.bare), sdk: median(cpu.sdk), ours: median(cpu.ours) };
  return [
    { metric: `DingTalk Stream frames → ack, opsbot (median of ${ROUNDS}×${FRAMES}, ${IN_FLIGHT} in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: '  (a) bare ws client acking each frame, same gateway', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: '  (b) official dingtalk-stream DWClient, ack-only listener', value: `${m.sdk.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: 'DingTalk Stream ack cost vs bare ws (bare rate / opsbot rate)', value: `${(m.bare / m.ours).toFixed(2)}×`, goal: '≤ 1.30×', ok: m.bare / m.ours <= 1.3 },
    { metric: 'DingTalk Stream throughput vs the official SDK (opsbot / SDK)', value: `${(m.ours / m.sdk).toFixed(2)}×`, goal: '≥ 1.00×', ok: m.ours >= m.sdk },
    { metric: 'client CPU per frame: opsbot / bare ws / SDK (median, µs)', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)} / ${us.sdk.toFixed(0)}`, goal: '—', ok: true },
  ];
}

function listen(app: Koa): Promise<{ url: string; server: Server }> {
  return new Promise((r) => {
    const server = app.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/dingtalk`, server }));
  });
}

/**
 * Signed DingTalk robot HTTP messages → 200 per second: opsbot's route (sign check in constant time,
 * the once-per-signature claim and the msgId claim in SQLite, zod parse, enqueue) against a bare Koa
 * handler that only parses JSON. The load generator is another process; server CPU per request from
 * process.cpuUsage of this process, which hosts both servers (one at a time under load).
 */
export async function benchDingtalkHttp(): Promise<Row[]> {
  const h = harness();
  const adapter = h.adapter('http');
  const ours = createHttpApp({ log: h.log, metrics: new Metrics(), checks: [], routers: [webhookRoutes({ dispatcher: h.dispatcher, log: h.log, now: Date.now, adapters: new Map([['dingtalk', adapter]]), disabled: new Map() })] });
  const bare = new Koa();
  bare.use(async (ctx) => {
    JSON.parse((await readRawBody(ctx, 1024 * 1024)).toString('utf8'));
    ctx.body = {};
  });
  const servers = { ours: await listen(ours), bare: await listen(bare) };
  const rates: Record<keyof typeof servers, number[]> = { ours: [], bare: [] };
  const cpu: Record<keyof typeof servers, number[]> = { ours: [], bare: [] };
  let slot = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'ours'] as const) {
        const c0 = process.cpuUsage();
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/dingtalk-load.ts', servers[name].url, String(REQUESTS), String(CONCURRENCY), String(slot++)], { cwd: ROOT, maxBuffer: 1 << 20 });
        const c = process.cpuUsage(c0);
        const r = JSON.parse(stdout) as { ms: number; ok: number; statuses: Record<string, number> };
        if (r.ok !== REQUESTS) throw new Error(`${name}: only ${r.ok}/${REQUESTS} answered 2xx (${JSON.stringify(r.statuses)})`);
        rates[name].push(REQUESTS / (r.ms / 1000));
        cpu[name].push((c.user + c.system) / REQUESTS);
      }
      await h.dispatcher.idle();
    }
  } finally {
    for (const s of Object.values(servers)) s.server.close();
    await h.cleanup();
  }
  const m = { ours: median(rates.ours), bare: median(rates.bare) };
  const us = { ours: median(cpu.ours), bare: median(cpu.bare) };
  return [
    { metric: `DingTalk signed HTTP messages → 200, opsbot (median of ${ROUNDS}×${REQUESTS}, ${CONCURRENCY} in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: '  bare Koa JSON handler, same load', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
    { metric: 'DingTalk HTTP ack cost vs bare handler (bare rate / opsbot rate)', value: `${(m.bare / m.ours).toFixed(2)}×`, goal: '≤ 1.30×', ok: m.bare / m.ours <= 1.3 },
    { metric: 'server CPU per request: opsbot / bare (median, µs)', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)}`, goal: '—', ok: true },
  ];
}
