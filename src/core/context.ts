import type { Person, PlatformId, Policy } from '../config/policy.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import { namespacesOf } from './authz.js';
import type { CommandContext, Diagnosis, Workflow } from './command.js';
import { chatKey, type PayloadSigner } from './payload.js';
import type { Notifier } from './notifier.js';
import type { Registry } from './registry.js';
import type { AlertmanagerClient } from './alerts/alertmanager.js';
import type { AlertGroup } from './alerts/types.js';

export interface ContextDeps {
  kube: KubeClient;
  policy: Policy;
  registry: Registry;
  signer: PayloadSigner;
  now: () => number;
  workflow: Workflow;
  notifier: Notifier;
  alertmanager?: AlertmanagerClient;
  alerts?: { firing(limit?: number): Promise<AlertGroup[]> };
  /** Forgets the LLM conversation of a person in a chat (/reset). */
  forget?: (platform: PlatformId, chatId: string, personId: string) => Promise<boolean>;
  /** The LLM's guess from evidence, for the context's person and chat (Investigate). */
  diagnose?: (ctx: CommandContext, subject: string, evidence: readonly string[]) => Promise<Diagnosis>;
}

/** The one place a CommandContext is built: for typed commands, clicks and approved executions alike. */
export function buildContext(
  d: ContextDeps,
  person: Person,
  actor: { platform: PlatformId; userId: string },
  chatId: string,
  o: { lang: 'en' | 'zh'; log: Logger; signal: AbortSignal },
): CommandContext {
  const ctx: CommandContext = {
    kube: d.kube,
    policy: d.policy,
    person,
    lang: o.lang,
    log: o.log,
    signal: o.signal,
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
    resetConversation: async () => (d.forget ? d.forget(actor.platform, chatId, person.id) : false),
    button: (label, command, args) => ({ id: command, label, style: 'default', value: d.signer.sign({ k: 'run', c: command, a: args, ch: chatKey(actor.platform, chatId), t: d.now() }) }),
    requestButton: (label, command, args, style = 'default') => ({ id: command, label, style, value: d.signer.sign({ k: 'request', c: command, a: args, ch: chatKey(actor.platform, chatId), t: d.now() }) }),
  };
  if (d.diagnose) {
    const diagnose = d.diagnose;
    ctx.diagnose = (subject, evidence) => diagnose(ctx, subject, evidence);
  }
  return ctx;
}
