import { Agent, request } from 'node:http';
import { FEISHU, messageEnvelope, signedRequest } from '../test/helpers/sign-feishu.js';

/**
 * Load generator, run as its own process so it does not share the server's event loop:
 * `tsx bench/feishu-load.ts <url> <requests> <concurrency>`. Bodies (unique event ids, encrypted and
 * signed exactly as Feishu does) are made before the clock starts. Prints {ms, ok (2xx answers), statuses}.
 */
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
const concurrency = Number(cArg ?? 32);
const bodies = Array.from({ length: n }, (_, i) => signedRequest(messageEnvelope(FEISHU.carol, `/nodes ${i}`, { chatType: 'p2p' })));
const target = new URL(url as string);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const statuses: Record<number, number> = {};

function send(i: number): Promise<void> {
  const b = bodies[i]!;
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
