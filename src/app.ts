import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { COMMANDS } from '../commands/index.js';
import { type Config, isLoopback } from './config/env.js';
import { loadPolicyFile, type Policy } from './config/policy.js';
import { loadSigningKey } from './config/secret.js';
import { PayloadSigner } from './core/payload.js';
import { Registry } from './core/registry.js';
import { Router as CoreRouter } from './core/router.js';
import { Metrics } from './http/metrics.js';
import { createHttpApp } from './http/server.js';
import { demoKubeConfigText, KubeClient, loadKubeConfig } from './kube/client.js';
import { DemoKubeServer, type DemoServerOptions } from './kube/demo/server.js';
import type { Logger } from './log.js';
import { consoleRoutes } from './platforms/console/index.js';

export class StartupError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export interface AppOptions {
  config: Config;
  log: Logger;
  /** A policy object instead of the file (tests). */
  policy?: Policy;
  /** Options for the embedded demo API (tests speed up its clock). */
  demo?: Omit<DemoServerOptions, 'port'>;
  now?: () => number;
}

export interface App {
  url: string;
  consoleUrl?: string;
  demo?: DemoKubeServer;
  kube: KubeClient;
  router: CoreRouter;
  registry: Registry;
  close(): Promise<void>;
}

/** Wires config → policy → Kubernetes (or the demo) → router → HTTP, and starts listening. */
export async function startApp(o: AppOptions): Promise<App> {
  const { config, log } = o;
  // Secrets in config are Secret objects: this line shows that they are set, never their values.
  log.debug({ config }, 'configuration');
  const registry = new Registry(COMMANDS);
  let policy = o.policy;
  if (!policy) {
    const r = loadPolicyFile(config.policyPath, registry.names);
    if (!r.ok) throw new StartupError(r.problems);
    policy = r.policy;
  }

  let demo: DemoKubeServer | undefined;
  let demoServer: string | undefined;
  if (config.kube.kind === 'demo') {
    demo = await DemoKubeServer.start({ ...o.demo, port: config.demoPort, host: '127.0.0.1' });
    demoServer = demo.url;
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(join(config.dataDir, 'demo.kubeconfig'), demoKubeConfigText(demo.url), { mode: 0o600 });
  }
  let kube: KubeClient;
  try {
    kube = new KubeClient(loadKubeConfig(config.kube, demoServer), config.kubeTimeoutMs);
  } catch (e) {
    await demo?.stop();
    throw new StartupError([(e as { userMessage?: string }).userMessage ?? `cannot load Kubernetes config: ${(e as Error).message}`]);
  }

  const { key, source } = loadSigningKey(config.dataDir, config.signingKey);
  if (source === 'generated') log.info({ file: join(config.dataDir, 'opsbot.secret') }, 'generated a button-signing key (set OPSBOT_SECRET to share it between replicas)');
  const metrics = new Metrics();
  const router = new CoreRouter({ registry, kube, policy, log, signer: new PayloadSigner(key), metrics, ...(o.now ? { now: o.now } : {}) });

  const consoleEnabled = isLoopback(config.host) || Boolean(config.consoleToken);
  const routers = [];
  if (consoleEnabled) routers.push(consoleRoutes({ router, policy, ...(config.consoleToken ? { token: config.consoleToken } : {}), ...(o.now ? { now: o.now } : {}) }).routes);
  const app = createHttpApp({ log, metrics, checks: [{ name: 'kubernetes', check: async () => void (await kube.version({ signal: AbortSignal.timeout(2000) })) }], routers });

  const server: Server = app.listen(config.port, config.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (e) {
    await demo?.stop();
    const code = (e as NodeJS.ErrnoException).code;
    throw new StartupError([code === 'EADDRINUSE' ? `PORT: ${config.host}:${config.port} is already in use (set PORT to another port)` : `cannot listen on ${config.host}:${config.port}: ${code ?? (e as Error).message}`]);
  }
  const addr = server.address() as AddressInfo;
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
  log.info({ url, kube: config.kube.kind, context: kube.contextName, server: kube.server, console: consoleEnabled }, 'opsbot listening');

  return {
    url,
    ...(consoleEnabled ? { consoleUrl: `${url}/console` } : {}),
    ...(demo ? { demo } : {}),
    kube,
    router,
    registry,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await demo?.stop();
    },
  };
}
