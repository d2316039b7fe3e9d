import { createInterface } from 'node:readline';
import { Secret } from '../src/config/secret.js';
import type { Core } from '../src/core/core.js';
import { Dispatcher } from '../src/core/dispatch.js';
import { GuardedStore } from '../src/core/store/guard.js';
import { openStore } from '../src/core/store/open.js';
import { Metrics } from '../src/http/metrics.js';
import { createHttpApp } from '../src/http/server.js';
import { webhookRoutes } from '../src/http/webhook-route.js';
import { createLogger } from '../src/log.js';
import { FeishuAdapter } from '../src/platforms/feishu/index.js';
import { FEISHU } from '../test/helpers/sign-feishu.js';

/**
 * One replica for `bench/replicas.ts`, in its own process: opsbot's Feishu webhook route (signature,
 * decryption, token, parse, the event's durable claim in the store, enqueue) on `OPSBOT_STORE` = argv[2],
 * the work after the ack a no-op, as in the ingress bench. Prints its URL; answers "cpu" on stdin with its
 * process.cpuUsage() and "exit" by stopping.
 */
const spec = process.argv[2] as string;
const log = createLogger({ level: 'silent', format: 'json' });
const opened = openStore(spec);
await opened.ready?.();
const store = new GuardedStore(opened.store, { log, now: Date.now, fallback: !opened.shared });
const core = { router: { message: async () => [], wantsAssistant: () => false }, approvals: { idle: async () => undefined }, live: { idle: async () => undefined, attach: async () => undefined }, notifier: { idle: async () => undefined, register: () => undefined }, alerts: { idle: async () => undefined }, reports: { idle: async () => undefined }, updaters: new Map() } as unknown as Core;
const dispatcher = new Dispatcher({ core, store, log });
const adapter = new FeishuAdapter({
  config: { mode: 'http', appId: FEISHU.appId, appSecret: new Secret(FEISHU.appSecret), verificationToken: new Secret(FEISHU.verificationToken), encryptKey: new Secret(FEISHU.encryptKey), apiBase: 'http://127.0.0.1:9', urgent: [] },
  log,
});
const app = createHttpApp({ log, metrics: new Metrics(), checks: [], routers: [webhookRoutes({ dispatcher, log, now: Date.now, adapters: new Map([['feishu', adapter]]), disabled: new Map() })] });
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
