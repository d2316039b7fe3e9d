import { LEVELS, type Level, type Policy } from '../../config/policy.js';
import type { KubeClient } from '../../kube/client.js';
import { summarizePod } from '../../kube/pod-status.js';
import type { AlertmanagerClient } from '../alerts/alertmanager.js';
import type { AlertGroup } from '../alerts/types.js';
import type { AuditEntry } from '../store/store.js';

/** What a report covers: [from, to). */
export interface Window {
  from: number;
  to: number;
}

/** One data source's part of a report: its figures, or why it could not be read. */
export type Part<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface AlertFigures {
  /** Groups that started firing in the window. */
  groups: number;
  byLevel: Record<Level, number>;
  /** Most frequent alert names (by groups), at most 5. */
  top: { name: string; count: number }[];
  acked: number;
  /** Mean time from firing to ack, over the acked groups; undefined when none was acked. */
  mttaMs?: number;
  resolved: number;
  /** Mean time from firing to resolved, over the resolved groups; undefined when none resolved. */
  mttrMs?: number;
  /** P0/P1 groups firing at the end of the window. */
  severeFiring: number;
}

export interface ActivityFigures {
  requested: number;
  /** Approved and run (by people or a policy rule): each approval once, whatever its number of steps. */
  approved: number;
  autoApproved: number;
  rejected: number;
  expired: number;
  cancelled: number;
  /** Approved changes whose execution failed. */
  failed: number;
  /** Read-only commands answered. */
  commands: number;
  people: number;
  topCommands: { name: string; count: number }[];
  /** More audit lines than the report reads: the counts are lower bounds. */
  truncated: boolean;
}

export interface ClusterFigures {
  name: string;
  pods: number;
  /** Pods that restarted, most restarts first, at most 5. */
  restarting: { namespace: string; pod: string; restarts: number; reason?: string }[];
  restartingTotal: number;
  /** Deployments with fewer available replicas than wanted. */
  notReady: { namespace: string; name: string; available: number; want: number }[];
  deployments: number;
}

export interface AlertmanagerFigures {
  active: number;
  suppressed: number;
}

export interface ReportData {
  kind: 'daily' | 'weekly';
  window: Window;
  alerts: Part<AlertFigures>;
  activity: Part<ActivityFigures>;
  clusters: ({ name: string } & Part<ClusterFigures>)[];
  alertmanager?: Part<AlertmanagerFigures>;
  /** Weekly: the same figures for the week before, for the change. */
  previous?: { alerts: Part<AlertFigures>; activity: Part<ActivityFigures> };
}

export interface ReportSources {
  policy: Policy;
  /** Every alert group still kept (the store). */
  alertGroups: () => Promise<AlertGroup[]>;
  /** Audit lines in the window (the store). */
  audit: (w: Window, limit: number) => Promise<AuditEntry[]>;
  clusters: readonly { name: string; client: KubeClient }[];
  alertmanager?: AlertmanagerClient;
}

/** The most audit lines one report reads (bounded memory; beyond it the counts say "at least"). */
export const MAX_AUDIT_LINES = 50_000;
const PER_SOURCE_MS = 10_000;

/**
 * Collects a report. Each source is read on its own, bounded in time: one that fails is reported as
 * unavailable with its reason, and the rest is still there. Nothing is filled with a placeholder.
 */
export async function collectReport(kind: 'daily' | 'weekly', now: number, s: ReportSources): Promise<ReportData> {
  const span = kind === 'daily' ? 86_400_000 : 7 * 86_400_000;
  const window = { from: now - span, to: now };
  const before = { from: now - 2 * span, to: now - span };
  const groups = part(() => s.alertGroups());
  const lines = (w: Window) => part(() => s.audit(w, MAX_AUDIT_LINES + 1));
  const [alerts, activity, clusters, alertmanager, previous] = await Promise.all([
    groups.then((g) => map(g, (list) => alertFigures(list, window))),
    lines(window).then((l) => map(l, (list) => activityFigures(list))),
    Promise.all(s.clusters.map(async (c) => ({ name: c.name, ...(await part(() => clusterFigures(c.name, c.client, s.policy))) }))),
    s.alertmanager ? part(() => alertmanagerFigures(s.alertmanager as AlertmanagerClient)) : Promise.resolve(undefined),
    kind === 'weekly'
      ? Promise.all([groups.then((g) => map(g, (list) => alertFigures(list, before))), lines(before).then((l) => map(l, (list) => activityFigures(list)))]).then(([a, b]) => ({ alerts: a, activity: b }))
      : Promise.resolve(undefined),
  ]);
  return { kind, window, alerts, activity, clusters, ...(alertmanager ? { alertmanager } : {}), ...(previous ? { previous } : {}) };
}

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([read(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PER_SOURCE_MS / 1000} s`)), PER_SOURCE_MS)))]);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: ((err as { userMessage?: string }).userMessage ?? (err as Error).message ?? String(err)).slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

function map<T, U>(p: Part<T>, f: (v: T) => U): Part<U> {
  return p.ok ? { ok: true, value: f(p.value) } : p;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

function top(names: string[], n = 5): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const x of names) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, n);
}

/** Alert groups that started firing in the window; times to ack and resolve over those that were. */
export function alertFigures(all: readonly AlertGroup[], w: Window): AlertFigures {
  const inWindow = all.filter((g) => g.firstAt >= w.from && g.firstAt < w.to);
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  for (const g of inWindow) byLevel[g.level]++;
  const acked = inWindow.filter((g) => g.ack && g.ack.at < w.to);
  const resolved = inWindow.filter((g) => g.status === 'resolved' && g.resolvedAt !== undefined && g.resolvedAt < w.to);
  const mttaMs = mean(acked.map((g) => Math.max(0, (g.ack as { at: number }).at - g.firstAt)));
  const mttrMs = mean(resolved.map((g) => Math.max(0, (g.resolvedAt as number) - g.firstAt)));
  return {
    groups: inWindow.length,
    byLevel,
    top: top(inWindow.map((g) => g.labels['alertname'] ?? g.id)),
    acked: acked.length,
    ...(mttaMs !== undefined ? { mttaMs } : {}),
    resolved: resolved.length,
    ...(mttrMs !== undefined ? { mttrMs } : {}),
    severeFiring: all.filter((g) => g.status === 'firing' && (g.level === 'P0' || g.level === 'P1') && g.firstAt < w.to).length,
  };
}

/** What people asked and approved, from the audit log: each approval counted once per outcome. */
export function activityFigures(lines: readonly AuditEntry[]): ActivityFigures {
  const truncated = lines.length > MAX_AUDIT_LINES;
  const use = truncated ? lines.slice(0, MAX_AUDIT_LINES) : lines;
  const ids = (kind: string, outcome?: AuditEntry['outcome']) => new Set(use.filter((e) => e.kind === kind && e.approvalId && (!outcome || e.outcome === outcome)).map((e) => e.approvalId)).size;
  const commands = use.filter((e) => e.kind === 'command' && e.outcome === 'ok' && e.command);
  const people = new Set(use.filter((e) => (e.kind === 'command' || e.kind === 'request') && !e.actor.includes(':')).map((e) => e.actor));
  return {
    requested: ids('request'),
    approved: ids('execute'),
    autoApproved: ids('auto-approve'),
    rejected: ids('reject'),
    expired: ids('expire'),
    cancelled: ids('cancel'),
    failed: ids('execute', 'failed'),
    commands: commands.length,
    people: people.size,
    topCommands: top(commands.map((e) => e.command as string), 3),
    truncated,
  };
}

/** The cluster right now, in the namespaces opsbot manages: restarting pods and not-ready deployments. */
async function clusterFigures(name: string, kube: KubeClient, policy: Policy): Promise<ClusterFigures> {
  const allowed = new Set(policy.namespaces.allow);
  const [pods, deps] = await Promise.all([kube.listPods(undefined), kube.listDeployments(undefined)]);
  const mine = pods.filter((p) => allowed.has(p.metadata?.namespace ?? ''));
  const restarting = mine
    .map((p) => {
      const s = summarizePod(p);
      return { namespace: p.metadata?.namespace ?? '', pod: p.metadata?.name ?? '', restarts: s.restarts, ...(s.lastTerminationReason ? { reason: s.lastTerminationReason } : {}) };
    })
    .filter((p) => p.restarts > 0)
    .sort((a, b) => b.restarts - a.restarts || a.pod.localeCompare(b.pod));
  const myDeps = deps.filter((d) => allowed.has(d.metadata?.namespace ?? ''));
  const notReady = myDeps
    .map((d) => ({ namespace: d.metadata?.namespace ?? '', name: d.metadata?.name ?? '', available: d.status?.availableReplicas ?? 0, want: d.spec?.replicas ?? 1 }))
    .filter((d) => d.want > 0 && d.available < d.want)
    .sort((a, b) => a.available / a.want - b.available / b.want || a.name.localeCompare(b.name));
  return { name, pods: mine.length, restarting: restarting.slice(0, 5), restartingTotal: restarting.length, notReady, deployments: myDeps.length };
}

async function alertmanagerFigures(am: AlertmanagerClient): Promise<AlertmanagerFigures> {
  const alerts = await am.alerts();
  return { active: alerts.filter((a) => a.status.state === 'active').length, suppressed: alerts.filter((a) => a.status.state === 'suppressed').length };
}

/** The one-line verdict: bad (a severe alert firing now, a cluster unreadable), watch, or good. */
export function verdict(r: ReportData): { tone: 'success' | 'warning' | 'danger'; reasons: VerdictReason[] } {
  const reasons: VerdictReason[] = [];
  if (r.alerts.ok && r.alerts.value.severeFiring) reasons.push({ key: 'severeFiring', n: r.alerts.value.severeFiring, bad: true });
  for (const c of r.clusters) if (!c.ok) reasons.push({ key: 'clusterDown', name: c.name, bad: true });
  if (r.alerts.ok) {
    const severe = r.alerts.value.byLevel.P0 + r.alerts.value.byLevel.P1;
    if (severe) reasons.push({ key: 'severe', n: severe });
  }
  if (r.activity.ok && r.activity.value.failed) reasons.push({ key: 'failed', n: r.activity.value.failed });
  const notReady = r.clusters.reduce((n, c) => n + (c.ok ? c.value.notReady.length : 0), 0);
  if (notReady) reasons.push({ key: 'notReady', n: notReady });
  const restarting = r.clusters.reduce((n, c) => n + (c.ok ? c.value.restarting.filter((p) => p.restarts >= 5).length : 0), 0);
  if (restarting) reasons.push({ key: 'restarting', n: restarting });
  if (!r.alerts.ok || !r.activity.ok || (r.alertmanager && !r.alertmanager.ok)) reasons.push({ key: 'partial' });
  const tone = reasons.some((x) => x.bad) ? 'danger' : reasons.length ? 'warning' : 'success';
  return { tone, reasons };
}

export type VerdictReason = { key: 'severeFiring' | 'severe' | 'failed' | 'notReady' | 'restarting'; n: number; bad?: boolean } | { key: 'clusterDown'; name: string; bad: true } | { key: 'partial'; bad?: false };
