import type { PlatformId, Policy } from '../config/policy.js';
import type { Clusters } from '../kube/clusters.js';
import { lazyChild, type Logger } from '../log.js';
import { ButtonActions } from './actions.js';
import { Bus } from './bus.js';
import { PrometheusClient } from './prometheus.js';
import type { Runbooks } from './runbooks/runbook.js';
import type { ChartRenderer } from './charts.js';
import { Images } from './images.js';
import { ReportService } from './reports/service.js';
import { AlertmanagerClient } from './alerts/alertmanager.js';
import { AlertService } from './alerts/service.js';
import { ApprovalService } from './approvals/service.js';
import { type CardUpdater, LiveCards } from './live-cards.js';
import { Notifier } from './notifier.js';
import { ApprovalWorkflow } from './approvals/workflow.js';
import { Audit } from './audit.js';
import type { Workflow } from './command.js';
import { buildContext, type ContextDeps } from './context.js';
import type { PayloadSigner } from './payload.js';
import type { Registry } from './registry.js';
import { type CommandMetrics, Router } from './router.js';
import type { StoreHealth } from './store/guard.js';
import type { AuditEntry, Store } from './store/store.js';
import { formatCommand } from './slash-parser.js';
import type { LlmConfig } from '../config/env.js';
import { Assistant, type LlmMetrics } from '../llm/assistant.js';

export interface Core {
  router: Router;
  /** Messages between the replicas of the store (console live updates, long-connection hand-offs). */
  bus: Bus;
  approvals: ApprovalService;
  audit: Audit;
  /** Platform adapters register here to have their cards updated in place. */
  updaters: Map<PlatformId, CardUpdater>;
  /** Cards bound to a subject (approvals; alerts and reports later), kept up to date on every platform. */
  live: LiveCards;
  /** Buttons' short ids and the signed payloads behind them. */
  actions: ButtonActions;
  /** Posts cards without a triggering message (alerts, reports, /notify-test). */
  notifier: Notifier;
  /** Alertmanager groups as live cards in the chats their routes name. */
  alerts: AlertService;
  /** The daily and weekly reports (policy `reports`): /report, and the schedule (started by the app). */
  reports: ReportService;
  /** Signs button payloads (alert and report cards build their own buttons). */
  signer: PayloadSigner;
  /** Images cards show (charts), shared through the store. */
  images: Images;
  assistant?: Assistant;
}

/** Builds the platform-neutral core; platforms and HTTP are added by the composition root. */
export function createCore(d: {
  registry: Registry;
  clusters: Clusters;
  policy: Policy;
  log: Logger;
  signer: PayloadSigner;
  store: Store;
  now?: () => number;
  metrics?: CommandMetrics & Partial<LlmMetrics> & { auditGap?(kind: string): void; audited?(kind: string, outcome: string): void };
  executionTimeoutMs?: number;
  /** Whether the store takes writes (GuardedStore.health): changes are refused while it does not. */
  storeHealth?: () => StoreHealth;
  /** First delay between attempts to write an execution outcome the store refused (tests shorten it). */
  approvalRetryMs?: number;
  /** This process, as execution leases name it; and how long a lease holds unrenewed. */
  instanceId?: string;
  leaseMs?: number;
  llm?: LlmConfig;
  /** Alertmanager's base URL (silences), when configured. */
  alertmanagerUrl?: string;
  /** Prometheus's base URL (/query, /top), when configured. */
  prometheusUrl?: string;
  runbooks?: Runbooks;
  /** Draws range queries as PNG (absent where the canvas library cannot load: text trends only). */
  charts?: ChartRenderer;
  /** OPSBOT_PUBLIC_URL: images get signed links platforms can fetch. */
  publicUrl?: string;
}): Core {
  const now = d.now ?? Date.now;
  const metrics = d.metrics;
  const audit = new Audit(d.store, d.log, now, metrics?.auditGap ? (kind) => metrics.auditGap?.(kind) : undefined, metrics?.audited ? (kind, outcome) => metrics.audited?.(kind, outcome) : undefined);
  const bus = new Bus(d.store, d.log);
  const updaters = new Map<PlatformId, CardUpdater>();
  const live = new LiveCards({ store: d.store, log: d.log, now, updaters });
  const actions = new ButtonActions(d.store, now);
  const notifier = new Notifier({ policy: d.policy, audit, store: d.store, log: d.log, now });
  // The workflow needs the approval service and the service needs contexts that carry the workflow.
  const alertmanager = d.alertmanagerUrl ? new AlertmanagerClient(d.alertmanagerUrl) : undefined;
  const images = new Images(d.store, now, d.publicUrl ? { publicUrl: d.publicUrl, signer: d.signer } : undefined);
  const charts = d.charts;
  const ctxDeps: ContextDeps = { clusters: d.clusters, policy: d.policy, registry: d.registry, signer: d.signer, now, notifier, workflow: undefined as unknown as Workflow, ...(alertmanager ? { alertmanager } : {}), ...(d.prometheusUrl ? { prometheus: new PrometheusClient(d.prometheusUrl) } : {}), ...(d.runbooks ? { runbooks: d.runbooks } : {}), ...(charts ? { chart: async (series, o) => {
    // A chart of lone points says nothing the table does not.
    if (!series.some((s) => s.samples.filter(([, v]) => Number.isFinite(v)).length >= 2)) return undefined;
    const png = await charts.render(series, { format: o.format, timeZone: d.policy.timezone });
    if (!png) return undefined;
    const ref = await images.put(png);
    return ref ? { type: 'image', ref, alt: o.alt, width: 800, height: 400 } : undefined;
  } } : {}) };
  const approvals = new ApprovalService({
    store: d.store,
    registry: d.registry,
    policy: d.policy,
    log: d.log,
    signer: d.signer,
    audit,
    now,
    live,
    ...(d.executionTimeoutMs ? { executionTimeoutMs: d.executionTimeoutMs } : {}),
    ...(d.storeHealth ? { storeHealth: d.storeHealth } : {}),
    ...(d.approvalRetryMs ? { retryMs: d.approvalRetryMs } : {}),
    ...(d.instanceId ? { instanceId: d.instanceId } : {}),
    ...(d.leaseMs ? { leaseMs: d.leaseMs } : {}),
    context: (person, actor, chatId, signal, lang, on) => buildContext(ctxDeps, person, actor, chatId, { lang, log: lazyChild(d.log, { chatId }), signal, ...on }),
  });
  ctxDeps.workflow = new ApprovalWorkflow(approvals, audit, d.policy);
  const assistant = d.llm
    ? new Assistant({ config: d.llm, registry: d.registry, approvals, audit, store: d.store, log: d.log, now, timeZone: d.policy.timezone, ...(d.metrics?.observeLlm ? { metrics: d.metrics as LlmMetrics } : {}) })
    : undefined;
  if (assistant) ctxDeps.forget = (platform, chatId, personId) => assistant.forget(platform, chatId, personId);
  if (assistant?.enabled) ctxDeps.diagnose = (ctx, subject, evidence) => assistant.diagnose(ctx, subject, evidence);
  // The alert service needs the router (its click handlers); contexts need the service: a late reference.
  const alertsRef: { service?: AlertService } = {};
  ctxDeps.alerts = { firing: (limit) => alertsRef.service?.firing(limit) ?? Promise.resolve([]) };
  const format = (e: AuditEntry) => {
    const spec = e.command ? d.registry.find(e.command) : undefined;
    return spec ? formatCommand(spec, e.args ?? {}) : `/${e.command ?? e.kind}`;
  };
  const reports = new ReportService({
    policy: d.policy,
    store: d.store,
    notifier,
    clusters: d.clusters,
    log: d.log,
    now,
    alertGroups: () => alertsRef.service?.all() ?? Promise.resolve([]),
    alert: (id) => alertsRef.service?.get(id) ?? Promise.resolve(undefined),
    format,
    ...(assistant?.enabled ? { summarize: (subject, timeline, lang, where) => assistant.summarizeIncident(subject, timeline, lang, where) } : {}),
    ...(alertmanager ? { alertmanager } : {}),
  });
  ctxDeps.reports = reports;
  const router = new Router({ ...ctxDeps, log: d.log, approvals, audit, actions, ...(assistant ? { assistant } : {}), ...(d.metrics ? { metrics: d.metrics } : {}) });
  const alerts = new AlertService({ store: d.store, policy: d.policy, live, notifier, signer: d.signer, audit, router, log: d.log, now, silences: Boolean(alertmanager), ...(d.runbooks ? { runbooks: d.runbooks } : {}), onResolved: (g) => reports.onResolved(g) });
  alertsRef.service = alerts;
  return { router, bus, reports, approvals, audit, updaters, live, actions, notifier, alerts, signer: d.signer, images, ...(assistant ? { assistant } : {}) };
}
