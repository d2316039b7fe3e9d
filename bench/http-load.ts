import { Agent, request } from 'node:http';

/**
 * The body of a load-generator process: posts the prepared requests to `url` with `concurrency` in
 * flight over keep-alive sockets and prints {ms, ok (2xx answers), statuses}. Requests are made before
 * the clock starts, by the platform-specific script that calls this.
 */
export async function runLoad(url: string, concurrency: number, reqs: { headers: Record<string, string>; body: string; query?: string }[]): Promise<void> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  const send = (i: number): Promise<void> => {
    const b = reqs[i]!;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname + (b.query ? `?${b.query}` : target.search), method: 'POST', headers: { ...b.headers, 'content-length': Buffer.byteLength(b.body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', reject);
      req.end(b.body);
    });
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < reqs.length) await send(next++);
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  const ok = Object.entries(statuses).reduce((sum, [code, count]) => (code.startsWith('2') ? sum + count : sum), 0);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  process.stdout.write(JSON.stringify({ ms, ok, statuses, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? 0 }) + '\n');
}
