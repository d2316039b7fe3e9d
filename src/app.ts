import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { COMMANDS } from '../commands/index.js';
import { type Config, isLoopback } from './config/env.js';
import { loadPolicyFile, type Policy, type Risk } from './config/policy.js';
import { loadSigningKey } from './config/secret.js';
import type { ApprovalService } from './core/approvals/service.js';
import { type Core, createCore } from './core/core.js';
import { PayloadSigner } from './core/payload.js';
import { Registry } from './core/registry.js';
import { loadRunbooks } from './core/runbooks/runbook.js';
import { ChartRenderer } from './core/charts.js';
import { mcpRoutes } from './http/mcp-route.js';
import { imageRoutes } from './http/images-route.js';
import { McpClients } from './mcp/client.js';
import type { Images } from './core/images.js';
import type { Router as CoreRouter } from './core/router.js';
import { AuditExporter } from './core/audit-export.js';
import { GuardedStore } from './core/store/guard.js';
import { redactUrl } from './config/url.js';
import { openStore } from './core/store/open.js';
import type { Store } from './core/store/store.js';
import { Metrics } from './http/metrics.js';
import { createHttpApp } from './http/server.js';
import { demoKubeConfigText, type KubeClient } from './kube/client.js';
import { type Clusters, connectClusters } from './kube/clusters.js';
import type { Bus } from './core/bus.js';
import { DemoKubeServer, type DemoServerOptions } from './kube/demo/server.js';
import { startDemoPrometheus } from './kube/demo/prometheus.js';
import type { Logger } from './log.js';
import { collectStatus } from './core/status.js';
import type { ConnectionStatus } from './core/long-connection.js';
import { consoleAdapter } from './platforms/console/index.js';
import { Dispatcher } from './core/dispatch.js';
import { webhookRoutes } from './http/webhook-route.js';
import { alertmanagerRoutes } from './http/alertmanager-route.js';
import type { PlatformAdapter } from './core/adapter.js';
import type { PlatformDefinition, StartedPlatform } from './core/platform.js';
import { PLATFORMS, platformIds } from './platforms/index.js';

/** The listening socket's accept queue (see app.listen). */
const LISTEN_BACKLOG = 4096;

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
  /** How often pending approvals are checked for expiry (default 5 s). */
  sweepMs?: number;
  /** First retry/reconnect delay of platform clients (tests shorten it). */
  platformBackoffMs?: number;
  /** The chat platforms of this build (tests add their own). Default: src/platforms/index.ts. */
  platforms?: readonly PlatformDefinition[];
  /** First delay between attempts to write an execution outcome the store refused (default 1 s). */
  approvalRetryMs?: number;
  /** How long an execution lease holds unrenewed (default 60 s; tests shorten it). */
  leaseMs?: number;
  /** How often the demo's Prometheus scrapes (default 5 s; tests shorten it). */
  demoPrometheusScrapeMs?: number;
}

/** How long console cards and other per-card data are kept. */
const CARD_RETENTION_MS = 30 * 86_400_000;

export interface App {
  url: string;
  consoleUrl?: string;
  demo?: DemoKubeServer;
  /** Every embedded demo API, by cluster name (one unless the policy names clusters). */
  demos: Map<string, DemoKubeServer>;
  /** The default cluster's client. */
  kube: KubeClient;
  clusters: Clusters;
  router: CoreRouter;
  registry: Registry;
  approvals: ApprovalService;
  core: Core;
  store: Store;
  dispatcher: Dispatcher;
  /** The configured chat platforms' adapters, by id. */
  adapters: Map<string, PlatformAdapter>;
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
    const r = loadPolicyFile(config.policyPath, registry.names, risksOf(registry), platformIds(o.platforms ?? PLATFORMS));
    if (!r.ok) throw new StartupError(r.problems);
    policy = r.policy;
  }
  // Runbooks: every file checked against the commands and the policy before anything starts.
  const rbs = loadRunbooks(config.runbookDirs ?? [], registry, policy);
  if (!rbs.ok) throw new StartupError(rbs.problems);
  const runbooks = rbs.runbooks;
  const charts = ChartRenderer.create(log, config.chartFont);
  if (runbooks.list.length) log.info({ runbooks: runbooks.list.map((r) => r.name), from: config.runbookDirs }, 'runbooks loaded');

  // The demo: one embedded API per cluster (the first on OPSBOT_DEMO_PORT), all in data/demo.kubeconfig.
  const demos = new Map<string, DemoKubeServer>();
  let closing: Promise<void> | undefined;
  const demoPromRef: { stop?: () => Promise<void> } = {};
  const stopDemos = async () => {
    await demoPromRef.stop?.();
    await Promise.all([...demos.values()].map((d) => d.stop()));
  };
  let clusters: Clusters;
  try {
    clusters = await connectClusters(config.kube, policy, config.kubeTimeoutMs, async (name) => {
      const d = await DemoKubeServer.start({ ...o.demo, port: demos.size ? 0 : config.demoPort, host: '127.0.0.1' });
      demos.set(name, d);
      return d.url;
    });
  } catch (e) {
    await stopDemos();
    throw new StartupError(((e as { userMessage?: string }).userMessage ?? `cannot load Kubernetes config: ${(e as Error).message}`).split('\n'));
  }
  if (demos.size) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(join(config.dataDir, 'demo.kubeconfig'), demoKubeConfigText([...demos].map(([name, d]) => ({ name, url: d.url }))), { mode: 0o600 });
  }
  const demo = demos.values().next().value;
  // The demo's Prometheus (when installed and none is configured): real PromQL over the demo's series.
  const demoProm = demos.size && config.demoPrometheus && !config.prometheusUrl ? await startDemoPrometheus({ targets: [...demos.values()].map((d) => d.url), dir: join(config.dataDir, 'prometheus'), log, ...(o.demoPrometheusScrapeMs ? { scrapeMs: o.demoPrometheusScrapeMs } : {}) }) : undefined;
  const prometheusUrl = config.prometheusUrl ?? demoProm?.url;
  if (demoProm) demoPromRef.stop = () => demoProm.stop();
  const kube = clusters.default.client;
  const commands = clusters.named ? registry.withClusters(clusters.names) : registry;

  const { key, source } = loadSigningKey(config.dataDir, config.signingKey);
  if (source === 'generated') log.info({ file: join(config.dataDir, 'opsbot.secret') }, 'generated a button-signing key (set OPSBOT_SECRET to share it between replicas)');
  const now = o.now ?? Date.now;
  const metrics = new Metrics();
  let store: GuardedStore;
  let shared = false;
  try {
    const opened = openStore(config.store);
    shared = opened.shared;
    // Only this process uses a SQLite or memory store: while it cannot write, claims and button payloads
    // are kept in memory so read-only commands keep answering. A shared store (Redis) has no such
    // fallback: a claim held in one replica's memory would let another handle the same event.
    store = new GuardedStore(opened.store, { log, now, fallback: !opened.shared, onWriteFailure: (op) => metrics.storeWriteFailure(op) });
    await opened.ready?.().catch(async (e: unknown) => {
      await opened.store.close().catch(() => undefined);
      throw e;
    });
  } catch (e) {
    await stopDemos();
    throw new StartupError([`OPSBOT_STORE: cannot open ${String(redactUrl(config.store))}: ${(e as Error).message}`]);
  }
  metrics.storeSize(() => store.sizeBytes());
  metrics.storeHealth(() => store.health().writable);
  // Names this process in execution leases (several replicas share one store).
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const core = createCore({ registry: commands, clusters, policy, log, signer: new PayloadSigner(key), store, storeHealth: () => store.health(), now, metrics, llm: config.llm, ...(o.approvalRetryMs ? { approvalRetryMs: o.approvalRetryMs } : {}), instanceId, ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}), ...(config.alerts.alertmanagerUrl ? { alertmanagerUrl: config.alerts.alertmanagerUrl } : {}), ...(prometheusUrl ? { prometheusUrl } : {}), runbooks, ...(charts ? { charts } : {}), ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) });
  if (core.assistant?.enabled) log.info({ model: config.llm.model, baseUrl: config.llm.baseUrl ?? 'https://api.openai.com/v1' }, 'plain-language requests enabled');
  const { router, approvals } = core;
  // MCP servers' tools join the commands (and the LLM's tools) as each server answers.
  const mcp = new McpClients({ policy, registry: commands, log, env: config.fromEnv });
  await mcp.start();

  const dispatcher = new Dispatcher({ core, store, log, now, concurrency: config.work.concurrency, maxInFlight: config.work.queue, onEvent: (p, k, outcome) => metrics.event(p, k, outcome) });
  metrics.work(() => dispatcher.workStats());
  metrics.state({ openApprovals: () => approvals.listOpen(), outbound: () => core.notifier.queueStats() });
  for (const c of clusters.list) c.client.onError = (code) => metrics.kubeError(code);
  const platforms = await startPlatforms(o, store, dispatcher, core.bus, core.images);

  // Served on loopback, or beyond it only behind a token: the shared one or personal ones in the policy.
  const consoleEnabled = isLoopback(config.host) || Boolean(config.consoleToken) || Object.values(policy.people).some((p) => p.consoleTokenSha256);
  const routers = [
    alertmanagerRoutes({ alerts: core.alerts, log, ...(config.alerts.webhookToken ? { token: config.alerts.webhookToken } : {}) }),
    mcpRoutes({ core, policy, log }),
    imageRoutes(core.images),
    webhookRoutes({ dispatcher, log, now, adapters: platforms.http, disabled: platforms.disabled, onRejected: (p, reason) => metrics.webhookRejected(p, reason) }),
  ];
  const status = () =>
    collectStatus({
      core,
      clusters,
      store,
      stats: dispatcher.stats,
      now,
      mcp: () => mcp.status(),
      platforms: () => [...(consoleEnabled ? [{ id: 'console', title: 'Web console (本地控制台)', transport: 'local' as const, facts: {} }] : []), ...platforms.info],
    });
  const consoleUi = consoleEnabled ? consoleAdapter({ core, dispatcher, store, log, status, demo: Boolean(demo), settings: config.settings, policyFile: config.policyPath, ...(config.consoleToken ? { token: config.consoleToken } : {}), now }) : undefined;
  if (consoleUi) {
    await consoleUi.ready;
    routers.push(consoleUi.routes);
    platforms.adapters.set('console', consoleUi.adapter);
  }
  const app = createHttpApp({
    log,
    metrics,
    checks: [
      // Every cluster: a command on any of them must be able to run.
      {
        name: 'kubernetes',
        check: async () => {
          const down = (await Promise.all(clusters.list.map((c) => c.client.version({ signal: AbortSignal.timeout(2000) }).then(() => undefined, (err: unknown) => `${c.name}: ${(err as { userMessage?: string }).userMessage ?? (err as Error).message}`)))).filter(Boolean);
          if (down.length) throw new Error(clusters.named ? down.join('; ') : (down[0] as string).replace(/^[^:]*: /, ''));
        },
      },
      // A write, not only a read: a full disk (SQLITE_FULL) must fail readiness, not only later requests;
      // and an execution outcome still waiting for the store keeps it failed until it is written.
      {
        name: 'store',
        check: async () => {
          await store.probe();
          const n = approvals.unrecorded;
          if (n) throw new Error(`${n} execution outcome${n === 1 ? '' : 's'} not yet written to the store (retrying)`);
        },
      },
    ],
    routers,
    ...(consoleUi ? { home: '/console' } : {}),
    stopping: () => closing !== undefined,
  });

  // Say at startup, in one line, if the cluster does not answer and why (not only in /readyz later).
  if (!demo)
    for (const c of clusters.list)
      void c.client.version({ signal: AbortSignal.timeout(3000) }).then(
        (v) => log.info({ cluster: c.name, context: c.client.contextName, version: v.gitVersion }, 'connected to the cluster'),
        (err: unknown) => log.warn({ cluster: c.name, context: c.client.contextName, reason: (err as { userMessage?: string }).userMessage ?? (err as Error).message }, 'the cluster does not answer; commands will fail until it does'),
      );
  try {
    // A store only this process uses: whatever was executing belonged to a process that is gone.
    const interrupted = await approvals.recoverInterrupted({ ignoreLeases: !shared });
    if (interrupted) log.warn({ count: interrupted }, 'approvals interrupted by the last stop were closed with what the cluster shows; check them');
  } catch (err) {
    log.error({ reason: (err as Error).message }, 'approvals interrupted by the last stop could not be closed (the store refuses writes); the next start tries again');
  }
  const exporter = config.auditExportDir ? new AuditExporter(store, config.auditExportDir, log, now) : undefined;
  const sweep = async () => {
    try {
      await approvals.sweep();
      // Another replica that died mid-execution: its lease lapses, and its approval is closed here.
      const lapsed = await approvals.recoverInterrupted();
      if (lapsed) log.warn({ count: lapsed }, 'executions whose lease lapsed (their process stopped) were closed with what the cluster shows');
      await core.alerts.sweep();
      let auditBefore = config.auditRetentionMs ? now() - config.auditRetentionMs : undefined;
      if (auditBefore !== undefined && exporter) {
        try {
          auditBefore = await exporter.exportBefore(auditBefore);
        } catch (err) {
          // Nothing is pruned that was not exported; the next sweep tries again.
          log.error({ reason: (err as Error).message, dir: config.auditExportDir }, 'audit export failed: audit lines are kept (not pruned) until it works');
          auditBefore = undefined;
        }
      }
      await store.prune(now(), now() - CARD_RETENTION_MS, auditBefore);
    } catch (err) {
      log.error({ err }, 'approval sweep failed');
    }
  };
  await sweep();
  const sweeper = setInterval(() => void sweep(), o.sweepMs ?? 5000);
  sweeper.unref();

  // A burst (an alert storm's webhooks, a room clicking Approve at once) opens many connections in the
  // same millisecond. Node's default accept queue holds 511: past it the kernel drops the SYN and the
  // client retries a full second later. The kernel caps this at net.core.somaxconn (4096 on current
  // kernels).
  const server: Server = app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (e) {
    clearInterval(sweeper);
    await platforms.close();
    await store.close();
    await stopDemos();
    const code = (e as NodeJS.ErrnoException).code;
    throw new StartupError([code === 'EADDRINUSE' ? `PORT: ${config.host}:${config.port} is already in use (set PORT to another port)` : `cannot listen on ${config.host}:${config.port}: ${code ?? (e as Error).message}`]);
  }
  const addr = server.address() as AddressInfo;
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
  // The scheduled reports: a slot missed while stopped is posted now (once), then each at its time.
  core.reports.start();
  log.info({ url, kube: config.kube.kind, context: kube.contextName, server: kube.server, ...(clusters.named ? { clusters: clusters.names } : {}), console: consoleEnabled }, 'opsbot listening');

  return {
    url,
    ...(consoleEnabled ? { consoleUrl: `${url}/console` } : {}),
    ...(demo ? { demo } : {}),
    demos,
    kube,
    clusters,
    router,
    registry: commands,
    approvals,
    core,
    store,
    dispatcher,
    adapters: platforms.adapters,
    /**
     * Graceful stop (SIGTERM): stop accepting (readiness fails, no new connections, long connections stop
     * receiving), let in-flight requests, executions and the outbound queue finish within
     * OPSBOT_SHUTDOWN_TIMEOUT, then close the store. What is still running past the bound is logged; an
     * execution cut off keeps its lease and is closed by recovery with what the cluster shows.
     */
    async close() {
      if (closing) return closing;
      closing = (async () => {
        const t0 = performance.now();
        clearInterval(sweeper);
        consoleUi?.close();
        const reportsStopped = core.reports.stop();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const drained = Promise.all([serverClosed, reportsStopped, platforms.close(), dispatcher.idle()]).then(() => true);
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([drained, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownTimeoutMs)))]);
        clearTimeout(timer);
        if (!inTime) {
          const q = core.notifier.queueStats();
          log.warn({ boundMs: config.shutdownTimeoutMs, inFlight: dispatcher.inFlight, outboundQueued: q.queued, outboundRunning: q.running, executing: approvals.executing }, 'shutdown: work still running at OPSBOT_SHUTDOWN_TIMEOUT; stopping anyway (an interrupted execution is closed by recovery)');
        }
        server.closeAllConnections();
        // An outcome the store keeps refusing gets one last attempt, then is logged in full for recovery.
        approvals.stop();
        await mcp.close();
        for (const c of clusters.list) c.client.close();
        await store.close();
        await stopDemos();
        log.info({ ms: Math.round(performance.now() - t0), drained: inTime }, 'stopped');
      })();
      return closing;
    },
  };
}

/** Risk level of each mutating command, so the policy can be checked for a missing approval chain. */
export function risksOf(registry: Registry): Record<string, Risk> {
  return Object.fromEntries(registry.commands.flatMap((c) => (c.mutating ? [[c.name, c.mutating.risk]] : [])));
}

/**
 * Starts each configured chat platform of the list: HTTP adapters join the webhook route, long
 * connections start here, and every adapter gets its live cards updated. A platform that is not
 * configured (or runs over its long connection) answers 404 on its route and says so at startup.
 */
async function startPlatforms(o: AppOptions, store: Store, dispatcher: Dispatcher, bus: Bus, images: Images) {
  const http = new Map<string, PlatformAdapter>();
  const adapters = new Map<string, PlatformAdapter>();
  const disabled = new Map<string, string>();
  const started: StartedPlatform[] = [];
  const info: { id: string; title: string; transport: 'http' | 'long connection' | 'send only'; facts: Record<string, string>; connection?: () => ConnectionStatus | undefined }[] = [];
  const close = async () => {
    for (const p of started.splice(0)) await p.close().catch((err: unknown) => o.log.warn({ err, platform: p.adapter.id }, 'platform did not close cleanly'));
  };
  // A shared store (Redis) holds the platforms' send limits for every replica together.
  const now = o.now ?? Date.now;
  const take = store.rateTake?.bind(store);
  const rate = take ? (key: string, cap: number, windowMs: number) => take(key, cap, windowMs, now()) : undefined;
  try {
    for (const def of o.platforms ?? PLATFORMS) {
      const config = o.config.platforms[def.id];
      if (config === undefined) {
        disabled.set(def.id, def.howToEnable);
        o.log.info({ platform: def.id }, def.howToEnable);
        continue;
      }
      const log = o.log.child({ platform: def.id });
      const p = await def.start(config, { log, now, store, images, ...(o.platformBackoffMs ? { backoffMs: o.platformBackoffMs } : {}), ...(rate ? { rate } : {}), ...(bus.shared ? { bus } : {}) });
      started.push(p);
      adapters.set(def.id, p.adapter);
      dispatcher.register(p.adapter);
      if (p.http && p.adapter.receive) http.set(def.id, p.adapter);
      else if (p.routeOff) disabled.set(def.id, p.routeOff);
      p.connect?.(dispatcher.sink(p.adapter));
      const transport = p.http ? 'http' : p.connect ? 'long connection' : 'send only';
      info.push({ id: def.id, title: def.title, transport, facts: p.summary, ...(p.connection ? { connection: p.connection } : {}) });
      o.log.info({ ...p.summary, transport }, `${def.id} enabled`);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { http, adapters, disabled, close, info };
}
