// The process whose memory the alerts bench measures: opsbot as it runs in production (the built
// dist/, plain node, no TypeScript loader), on the bench's policy and data directory. Prints its URL;
// on "measure" on stdin, collects garbage and prints process.memoryUsage(), then exits.
// `node --expose-gc bench/alerts-mem-child.mjs <policy.yaml> <data dir>`
import { createInterface } from 'node:readline';
import { startApp } from '../dist/src/app.js';
import { loadConfig } from '../dist/src/config/env.js';
import { createLogger } from '../dist/src/log.js';

const [policy, dir] = process.argv.slice(2);
const r = loadConfig({ OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dir, LOG_LEVEL: 'silent', OPSBOT_CONFIG: policy }, { cwd: new URL('../', import.meta.url).pathname });
if (!r.ok) throw new Error(r.problems.join('\n'));
const app = await startApp({ config: r.config, log: createLogger({ level: 'silent', format: 'json' }) });
const memory = () => {
  globalThis.gc?.();
  return process.memoryUsage();
};
console.log(JSON.stringify({ url: app.url, idle: memory() }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'measure') {
    console.log(JSON.stringify({ memory: memory() }));
    process.exit(0);
  }
}
