// A server process of the alerts bench, measured from the inside: `node --expose-gc bench/alerts-server.mjs
// opsbot <policy.yaml> <data dir>` runs opsbot as production does (the built dist/, plain node, no
// TypeScript loader); `… bare` runs a bare Koa handler that only reads and parses the JSON body.
// Prints {url} on start; answers each line on stdin: "cpu" → {cpu: µs used so far}, "memory" →
// {memory: process.memoryUsage() after a GC}. Exits when stdin closes.
import { createInterface } from 'node:readline';

const [kind, policy, dir] = process.argv.slice(2);
let url;
if (kind === 'opsbot') {
  const { startApp } = await import('../dist/src/app.js');
  const { loadConfig } = await import('../dist/src/config/env.js');
  const { createLogger } = await import('../dist/src/log.js');
  const r = loadConfig({ OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dir, LOG_LEVEL: 'silent', OPSBOT_CONFIG: policy }, { cwd: new URL('../', import.meta.url).pathname });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const app = await startApp({ config: r.config, log: createLogger({ level: 'silent', format: 'json' }) });
  url = app.url;
} else {
  const { default: Koa } = await import('koa');
  const { readRawBody } = await import('../dist/src/http/raw-body.js');
  const bare = new Koa();
  bare.use(async (ctx) => {
    JSON.parse((await readRawBody(ctx, 10 * 1024 * 1024)).toString('utf8'));
    ctx.body = { ok: true };
  });
  url = await new Promise((res) => {
    const s = bare.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${s.address().port}`));
  });
}
console.log(JSON.stringify({ url }));
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'cpu') {
    const c = process.cpuUsage();
    console.log(JSON.stringify({ cpu: c.user + c.system }));
  } else if (cmd === 'memory') {
    globalThis.gc?.();
    console.log(JSON.stringify({ memory: process.memoryUsage() }));
  }
}
process.exit(0);
