import type Koa from 'koa';
import { Secret } from '../src/config/secret.js';
import type { Core } from '../src/core/core.js';
import { Dispatcher } from '../src/core/dispatch.js';
import type { Store } from '../src/core/store/store.js';
import { Metrics } from '../src/http/metrics.js';
import { createHttpApp } from '../src/http/server.js';
import { webhookRoutes } from '../src/http/webhook-route.js';
import type { Logger } from '../src/log.js';
import { FeishuAdapter } from '../src/platforms/feishu/index.js';
import { FEISHU } from '../test/helpers/sign-feishu.js';

/** A core whose work after the ack is a no-op: the ingress benches measure only the acknowledgement path. */
export function stubCore(router: Record<string, unknown> = {}): Core {
  const idle = async () => undefined;
  return { router: { message: async () => [], wantsAssistant: () => false, ...router }, approvals: { idle }, live: { idle, attach: idle }, notifier: { idle, register: () => undefined }, alerts: { idle }, reports: { idle }, updaters: new Map() } as unknown as Core;
}

/**
 * opsbot's Feishu webhook route on `store` (signature, decryption, token, parse, the event's durable
 * claim, enqueue), the work after the ack a no-op: the ingress and replica benches' server.
 */
export function feishuIngress(store: Store, log: Logger): { app: Koa; dispatcher: Dispatcher } {
  const dispatcher = new Dispatcher({ core: stubCore(), store, log });
  const adapter = new FeishuAdapter({
    config: { mode: 'http', appId: FEISHU.appId, appSecret: new Secret(FEISHU.appSecret), verificationToken: new Secret(FEISHU.verificationToken), encryptKey: new Secret(FEISHU.encryptKey), apiBase: 'http://127.0.0.1:9', urgent: [] },
    log,
  });
  const app = createHttpApp({ log, metrics: new Metrics(), checks: [], routers: [webhookRoutes({ dispatcher, log, now: Date.now, adapters: new Map([['feishu', adapter]]), disabled: new Map() })] });
  return { app, dispatcher };
}
