import { Agent, request } from 'node:http';
import { DINGTALK, robotHeaders, robotMessage } from '../test/helpers/sign-dingtalk.js';

/**
 * Load generator for DingTalk robot HTTP mode, its own process: `tsx bench/dingtalk-load.ts <url> <requests> <concurrency> <run number>`.
 * Each request is signed as DingTalk signs it, with its own timestamp (opsbot accepts a signature once),
 * and a unique msgId; bodies are made before the clock starts. Prints {ms, ok, statuses}.
 */
const [url, nArg, cArg, slotArg] = process.argv.slice(2);
const n = Number(nArg ?? 3000);
const concurrency = Number(cArg ?? 32);
// Each run gets its own span of timestamps (opsbot refuses a reused signature), all inside the 1 h window.
const base = Date.now() - 50 * 60_000 + Number(slotArg ?? 0) * n;
const reqs = Array.from({ length: n }, (_, i) => ({ headers: robotHeaders(base + i, DINGTALK.clientSecret), body: JSON.stringify(robotMessage({ text: `/help ${i}`, msgId: `bench-${process.pid}-${i}==` })) }));
const target = new URL(url as string);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const statuses: Record<number, number> = {};

function send(i: number): Promise<void> {
  const b = reqs[i]!;
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...b.headers, 'content-length': Buffer.byteLength(b.body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        resolve();
      });
    });
    req.on('error', reject);
    req.end(b.body);
  });
}

let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < n) await send(next++);
}));
const ms = performance.now() - started;
agent.destroy();
const ok = Object.entries(statuses).reduce((sum, [code, count]) => (code.startsWith('2') ? sum + count : sum), 0);
process.stdout.write(JSON.stringify({ ms, ok, statuses }) + '\n');
