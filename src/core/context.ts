import { kubeIdentityOf, type Person, type PlatformId, type Policy } from '../config/policy.js';
import type { Clusters } from '../kube/clusters.js';
import type { Logger } from '../log.js';
import { namespacesOf } from './authz.js';
import type { CommandContext, Diagnosis, Workflow } from './command.js';
import { chatKey, type PayloadSigner } from './payload.js';
import type { Notifier } from './notifier.js';
import type { Registry } from './registry.js';
import type { AlertmanagerClient } from './alerts/alertmanager.js';
import type { AlertGroup } from './alerts/types.js';
import type { ReportService } from './reports/service.js';
import type { PrometheusClient } from './prometheus.js';
import type { Runbooks } from './runbooks/runbook.js';

export interface ContextDeps {
  clusters: Clusters;
  policy: Policy;
  registry: Registry;
  signer: PayloadSigner;
  now: () => number;
  workflow: Workflow;
  notifier: Notifier;
  alertmanager?: AlertmanagerClient;
  alerts?: { firing(limit?: number): Promise<AlertGroup[]> };
  reports?: ReportService;
  prometheus?: PrometheusClient;
  runbooks?: Runbooks;
  chart?: CommandContext['chart'];
  /** Forgets the LLM conversation of a person in a chat (/reset). */
  forget?: (platform: PlatformId, chatId: string, personId: string) => Promise<boolean>;
  /** The LLM's guess from evidence, for the context's person and chat (Investigate). */
  diagnose?: (ctx: CommandContext, subject: string, evidence: readonly string[]) => Promise<Diagnosis>;
}

export interface ContextOptions {
  lang: 'en' | 'zh';
  log: Logger;
  /**
   * The command's bound; a function makes it when first used (an AbortSignal.timeout is a timer and a
   * weak reference: most clicks — a refusal, an approval decided — never need one).
   */
  signal: AbortSignal | (() => AbortSignal);
  /** The cluster to act on; default: the chat's default cluster. */
  cluster?: string;
  /** An approved change: who approved it (sent to the cluster with impersonation, for its audit log). */
  approvedBy?: readonly string[];
  /** An approved change being run (CommandContext.executing). */
  executing?: boolean;
  /** An approved change of several steps: where each step's progress goes (the approval's card). */
  progress?: CommandContext['progress'];
}

/** The one place a CommandContext is built: for typed commands, clicks and approved executions alike. */
export function buildContext(d: ContextDeps, person: Person, actor: { platform: PlatformId; userId: string }, chatId: string, o: ContextOptions): CommandContext {
  const cluster = o.cluster !== undefined ? d.clusters.get(o.cluster) : d.clusters.defaultFor(chatKey(actor.platform, chatId));
  const identity = kubeIdentityOf(d.policy, person);
  const approvedBy = o.approvedBy?.length && d.policy.impersonation?.recordApprover ? { 'approved-by': o.approvedBy } : undefined;
  // A drill-down button acts on the cluster the card came from.
  const onCluster = (command: string, args: Record<string, unknown>) =>
    d.clusters.named && args['cluster'] === undefined && d.registry.find(command)?.args.shape['cluster'] ? { ...args, cluster: cluster.name } : args;
  let signal: AbortSignal | undefined;
  const ctx: CommandContext = {
    kube: identity ? cluster.client.as({ ...identity, ...(approvedBy ? { extra: approvedBy } : {}) }) : cluster.client,
    cluster: cluster.name,
    clusters: d.clusters,
    onCluster: (name) => (name === cluster.name ? ctx : buildContext(d, person, actor, chatId, { ...o, cluster: name })),
    policy: d.policy,
    person,
    lang: o.lang,
    log: o.log,
    get signal() {
      return (signal ??= typeof o.signal === 'function' ? o.signal() : o.signal);
    },
    now: d.now,
    defaultNamespace: d.policy.namespaces.default,
    namespaces: namespacesOf(d.policy, person),
    commands: d.registry.commands,
    actor: { personId: person.id, name: person.name, platform: actor.platform, userId: actor.userId },
    chatId,
    workflow: d.workflow,
    notifier: d.notifier,
    ...(d.alertmanager ? { alertmanager: d.alertmanager } : {}),
    ...(d.alerts ? { alerts: d.alerts } : {}),
    ...(d.reports ? { reports: d.reports } : {}),
    ...(d.prometheus ? { prometheus: d.prometheus } : {}),
    ...(d.runbooks ? { runbooks: d.runbooks } : {}),
    ...(d.chart ? { chart: d.chart } : {}),
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.executing ? { executing: true } : {}),
    resetConversation: async () => (d.forget ? d.forget(actor.platform, chatId, person.id) : false),
    button: (label, command, args) => ({ id: command, label, style: 'default', value: d.signer.sign({ k: 'run', c: command, a: onCluster(command, args), ch: chatKey(actor.platform, chatId), t: d.now() }) }),
    requestButton: (label, command, args, style = 'default') => ({ id: command, label, style, value: d.signer.sign({ k: 'request', c: command, a: onCluster(command, args), ch: chatKey(actor.platform, chatId), t: d.now() }) }),
  };
  if (d.diagnose) {
    const diagnose = d.diagnose;
    ctx.diagnose = (subject, evidence) => diagnose(ctx, subject, evidence);
  }
  return ctx;
}
