import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/helpers/redis.js';
import { median, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const N = 4000;
const ROUNDS = 3;

/** A replica process (bench/replica-server.ts) and a line-based way to talk to it. */
async function replica(store: string): Promise<{ url: string; cpu(): Promise<number>; stop(): Promise<void> }> {
  const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/replica-server.ts', store], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string) ?? '{}') as { url?: string; cpu?: number };
  const { url } = await next();
  return {
    url: url as string,
    async cpu() {
      p.stdin!.write('cpu\n');
      return (await next()).cpu as number;
    },
    async stop() {
      p.stdin!.write('exit\n');
      await new Promise((r) => p.once('exit', r));
    },
  };
}

/**
 * Signed Feishu webhooks to one replica on SQLite, one on Redis and two on one Redis (each replica its own
 * process; one load generator per replica, each sending its share). On 2 cores shared by the replicas,
 * Redis and the generators, the rate cannot show scaling: the figure to read is the replicas' CPU per
 * request (all replicas together ÷ requests), and Redis's commands per request.
 */
export async function benchReplicas(): Promise<Row[]> {
  if (!RedisServer.available()) return [{ metric: 'replicas on Redis', value: 'skipped: redis-server is not installed', goal: '—', ok: true }];
  const redis = await RedisServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-bench-'));
  const counter = new Redis(redis.url);
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await counter.info('stats'))?.[1] ?? 0);
  const configs: { name: string; store: string; replicas: number; each?: number; inTurn?: boolean }[] = [
    { name: 'SQLite, 1 replica', store: `sqlite:${join(dir, 'one.db')}`, replicas: 1 },
    { name: 'Redis, 1 replica', store: redis.url, replicas: 1 },
    // One replica at the in-flight each of two replicas sharing 32 has: the like-for-like baseline.
    { name: 'Redis, 1 replica, 16 in flight', store: redis.url, replicas: 1, each: 16 },
    { name: 'Redis, 2 replicas', store: redis.url, replicas: 2 },
    // The same in-flight per replica as the single one: auto-pipelining batches what one event-loop turn
    // sends, so CPU per request depends on how many requests each process has at once.
    { name: 'Redis, 2 replicas, 32 in flight each', store: redis.url, replicas: 2, each: 32 },
    // Both replicas up and sharing Redis, loaded one after the other (32 in flight, like the single one):
    // what the coordination costs without two busy processes contending for 2 cores.
    { name: 'Redis, 2 replicas in turn', store: redis.url, replicas: 2, each: 32, inTurn: true },
  ];
  const out: Record<string, { rate: number[]; p99: number[]; cpu: number[]; cmds: number[] }> = {};
  try {
    for (const c of configs) {
      const rs = await Promise.all(Array.from({ length: c.replicas }, () => replica(c.store)));
      const o: { rate: number[]; p99: number[]; cpu: number[]; cmds: number[] } = { rate: [], p99: [], cpu: [], cmds: [] };
      out[c.name] = o;
      try {
        // Warm-up, not measured: each replica process compiles its hot path once (V8's optimising
        // compilers run on background threads, whose CPU counts), so more processes would otherwise pay
        // more of it within the measured rounds.
        await Promise.all(rs.map((r) => run(process.execPath, ['--import', 'tsx', 'bench/feishu-load.ts', r.url, String(N), '32'], { cwd: ROOT, maxBuffer: 1 << 20 })));
        for (let round = 0; round < ROUNDS; round++) {
          const cpu0 = await Promise.all(rs.map((r) => r.cpu()));
          const cmd0 = await commands();
          const load = (r: (typeof rs)[number]) => run(process.execPath, ['--import', 'tsx', 'bench/feishu-load.ts', r.url, String(N / rs.length), String(c.each ?? 32 / rs.length)], { cwd: ROOT, maxBuffer: 1 << 20 });
          const loads: Awaited<ReturnType<typeof load>>[] = [];
          if (c.inTurn) for (const r of rs) loads.push(await load(r));
          else loads.push(...(await Promise.all(rs.map(load))));
          const cpu1 = await Promise.all(rs.map((r) => r.cpu()));
          const results = loads.map((l) => JSON.parse(l.stdout) as { ms: number; ok: number; p99: number });
          if (results.reduce((n, r) => n + r.ok, 0) !== N) throw new Error(`${c.name}: not every request was acknowledged`);
          o.rate.push(N / ((c.inTurn ? results.reduce((t, r) => t + r.ms, 0) : Math.max(...results.map((r) => r.ms))) / 1000));
          o.p99.push(Math.max(...results.map((r) => r.p99)));
          o.cpu.push(cpu1.reduce((s, v, i) => s + v - (cpu0[i] as number), 0) / N);
          o.cmds.push(c.store.startsWith('redis') ? ((await commands()) - cmd0 - 2) / N : 0);
        }
      } finally {
        await Promise.all(rs.map((r) => r.stop()));
      }
      await counter.flushdb();
    }
  } finally {
    counter.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (name: string) => {
    const o = out[name] as { rate: number[]; p99: number[]; cpu: number[]; cmds: number[] };
    return { rate: median(o.rate), p99: median(o.p99), cpu: median(o.cpu), cmds: median(o.cmds) };
  };
  const s1 = m('SQLite, 1 replica');
  const r1 = m('Redis, 1 replica');
  const r2 = m('Redis, 2 replicas');
  const row = (name: string, x: ReturnType<typeof m>) => ({ metric: `Feishu signed webhooks → ack, ${name} (median of ${ROUNDS} × ${N}, 32 in flight in all)`, value: `${x.rate.toFixed(0)} /s · p99 ${x.p99.toFixed(1)} ms · ${x.cpu.toFixed(0)} µs CPU/request${x.cmds ? ` · ${x.cmds.toFixed(1)} Redis commands/request` : ''}`, goal: '—', ok: true });
  const r2b = m('Redis, 2 replicas, 32 in flight each');
  const r2t = m('Redis, 2 replicas in turn');
  const ratio = r2.cpu / r1.cpu;
  return [
    row('SQLite, 1 replica', s1),
    row('Redis, 1 replica', r1),
    { ...row('Redis, 1 replica', m('Redis, 1 replica, 16 in flight')), metric: `Feishu signed webhooks → ack, Redis, 1 replica (median of ${ROUNDS} × ${N}, 16 in flight)` },
    row('Redis, 2 replicas', r2),
    { ...row('Redis, 2 replicas', r2b), metric: `Feishu signed webhooks → ack, Redis, 2 replicas (median of ${ROUNDS} × ${N}, 32 in flight to each)` },
    { ...row('Redis, 2 replicas', r2t), metric: `Feishu signed webhooks → ack, Redis, 2 replicas loaded in turn (median of ${ROUNDS} × ${N}, 32 in flight)` },
    { metric: 'CPU per request, 2 replicas on Redis ÷ 1 replica on Redis (same total load · same load per replica)', value: `${ratio.toFixed(2)}× · ${(r2b.cpu / r1.cpu).toFixed(2)}×`, goal: '≤ 1.20×', ok: ratio <= 1.2 },
    { metric: '… 2 replicas (16 in flight each) ÷ 1 replica at 16 in flight (the same load per process) · loaded in turn ÷ 1 replica (no two busy processes on 2 cores)', value: `${(r2.cpu / m('Redis, 1 replica, 16 in flight').cpu).toFixed(2)}× · ${(r2t.cpu / r1.cpu).toFixed(2)}×`, goal: '—', ok: true },
  ];
}
