import { createInterface } from 'node:readline';
import { GuardedStore } from '../src/core/store/guard.js';
import { openStore } from '../src/core/store/open.js';
import { createLogger } from '../src/log.js';
import { feishuIngress } from './ingress.js';

/**
 * One replica for `bench/replicas.ts`, in its own process: the ingress bench's server (bench/ingress.ts)
 * on `OPSBOT_STORE` = argv[2]. Prints its URL; answers "cpu" on stdin with its
 * process.cpuUsage() and "exit" by stopping.
 */
const spec = process.argv[2] as string;
const log = createLogger({ level: 'silent', format: 'json' });
const opened = openStore(spec);
await opened.ready?.();
const store = new GuardedStore(opened.store, { log, now: Date.now, fallback: !opened.shared });
const { app, dispatcher } = feishuIngress(store, log);
const server = app.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${a.port}/webhooks/feishu` })}\n`);
});
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'cpu') {
    await dispatcher.idle();
    const c = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: c.user + c.system })}\n`);
  } else if (line === 'exit') break;
}
server.close();
await store.close();
process.exit(0);
