import type { McpServerStatus } from '../mcp/client.js';
import { redactUrl, redactUrlsDeep, redactUrlsInText } from '../config/url.js';
import type { DeadLetter } from './notifier.js';
import type { KubeClient } from '../kube/client.js';
import type { Clusters } from '../kube/clusters.js';
import type { Core } from './core.js';
import type { PlatformActivity, PlatformStats } from './health.js';
import type { ConnectionStatus } from './long-connection.js';
import type { Store } from './store/store.js';

/** One chat platform as the status page shows it: its transport's own state and what went through it. */
export interface PlatformReport extends PlatformActivity {
  id: string;
  title: string;
  transport: 'http' | 'long connection' | 'send only' | 'local';
  /** Up (a long connection open; otherwise: no send failed since the last success). */
  ok: boolean;
  connection?: ConnectionStatus;
  facts: Record<string, string>;
}

export interface StatusReport {
  at: number;
  ok: boolean;
  platforms: PlatformReport[];
  /** The default cluster (the only one unless the policy names clusters). */
  kubernetes: ClusterReport;
  /** Every cluster, the default first. */
  clusters: (ClusterReport & { name: string })[];
  llm: { configured: boolean; ok?: boolean; model?: string; baseUrl?: string; day?: string; requests?: number; tokensIn?: number; tokensOut?: number; lastOkAt?: number; lastError?: { at: number; reason: string } };
  store: { ok: boolean; error?: string };
  outbound: { queued: number; running: number; deadLetters24h: number; lastDeadLetter?: { at: number; reason: string }; deadLetters: DeadLetter[] };
  alerts: { firing: number; byLevel: Record<string, number> };
  approvals: { open: number; executing: number };
  /** The MCP servers of the policy (mcp.servers): up or down, their tools, the last error. */
  mcp: McpServerStatus[];
}

export interface ClusterReport {
  ok: boolean;
  context: string;
  version?: string;
  latencyMs?: number;
  error?: string;
}

export interface StatusSources {
  core: Core;
  clusters: Clusters;
  store: Store;
  stats: PlatformStats;
  platforms: () => { id: string; title: string; transport: PlatformReport['transport']; facts: Record<string, string>; connection?: () => ConnectionStatus | undefined }[];
  now: () => number;
  mcp?: () => McpServerStatus[];
}

/**
 * Everything an operator checks first, collected independently (one source failing is reported as such,
 * the rest still shows) and each with a bound: the cluster probe times out in 2 s.
 */
export async function collectStatus(s: StatusSources): Promise<StatusReport> {
  const now = s.now();
  const platforms: PlatformReport[] = s.platforms().map((p) => {
    const activity = s.stats.get(p.id);
    const connection = p.connection?.();
    const sendOk = !activity.lastSendError || (activity.lastSendAt ?? 0) > activity.lastSendError.at;
    const ok = (p.transport === 'long connection' ? connection?.state === 'open' : true) && sendOk;
    // Facts are the startup line's (mode, API base): a URL's credentials or query never show.
    const facts = Object.fromEntries(Object.entries(p.facts).map(([k, v]) => [k, String(redactUrl(v))]));
    return redactUrlsDeep({ id: p.id, title: p.title, transport: p.transport, ok, ...(connection ? { connection: { ...connection } } : {}), facts, ...activity, ...(activity.lastSendError ? { lastSendError: { ...activity.lastSendError } } : {}) });
  });
  const probe = async (kube: KubeClient): Promise<ClusterReport> => {
    const t0 = performance.now();
    try {
      const v = await kube.version({ signal: AbortSignal.timeout(2000) });
      return { ok: true, context: kube.contextName, version: v.gitVersion, latencyMs: Math.round(performance.now() - t0) };
    } catch (err) {
      return { ok: false, context: kube.contextName, error: (err as { userMessage?: string }).userMessage ?? (err as Error).message };
    }
  };
  const ordered = [s.clusters.default, ...s.clusters.list.filter((c) => c !== s.clusters.default)];
  const clusters = await Promise.all(ordered.map(async (c) => ({ name: c.name, ...(await probe(c.client)) })));
  const { name: _default, ...kubernetes } = clusters[0] as StatusReport['clusters'][number];
  const store = await s.store.getApproval('----').then(
    () => ({ ok: true }),
    (err: unknown) => ({ ok: false, error: (err as Error).message }),
  );
  const a = s.core.assistant;
  const llm: StatusReport['llm'] = a?.enabled ? { configured: true, ...a.usage, ok: !a.usage.lastError || (a.usage.lastOkAt ?? 0) > a.usage.lastError.at } : { configured: false };
  const dead = await s.core.audit
    .query({ since: now - 86_400_000, limit: 500 })
    .then((es) => es.filter((e) => e.kind === 'dead-letter'))
    .catch(() => []);
  const letters = await s.core.notifier.deadLetters().catch(() => []);
  const outbound = { ...s.core.notifier.queueStats(), deadLetters24h: dead.length, ...(dead[0] ? { lastDeadLetter: { at: dead[0].at, reason: redactUrlsInText(dead[0].reason ?? '') } } : {}), deadLetters: redactUrlsDeep(letters.slice(-20).reverse()) };
  const firing = await s.core.alerts.firing(1000).catch(() => []);
  const byLevel: Record<string, number> = {};
  for (const g of firing) byLevel[g.level] = (byLevel[g.level] ?? 0) + 1;
  const open = await s.core.approvals.listOpen().catch(() => []);
  return {
    at: now,
    ok: clusters.every((c) => c.ok) && store.ok && platforms.every((p) => p.ok) && llm.ok !== false,
    platforms,
    kubernetes,
    clusters,
    llm,
    store,
    outbound,
    alerts: { firing: firing.length, byLevel },
    approvals: { open: open.filter((x) => x.state === 'pending').length, executing: open.filter((x) => x.state === 'executing').length },
    mcp: redactUrlsDeep(s.mcp?.() ?? []),
  };
}
