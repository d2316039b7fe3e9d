import type { KubeConfigSource } from '../config/env.js';
import type { Policy } from '../config/policy.js';
import { UsageError } from '../core/errors.js';
import { msg } from '../core/i18n.js';
import { KubeClient, loadKubeConfig } from './client.js';

export interface Cluster {
  /** The name people type (`--cluster prod-sh`) and approvals record. */
  name: string;
  /** What cards call it. */
  label: string;
  client: KubeClient;
}

/**
 * The clusters opsbot acts on: one (the configured kubeconfig context, in-cluster, or the demo) or
 * several, named in the policy's `clusters`. Commands act on the cluster named with `--cluster`, else
 * the chat's default (`clusters.<name>.chats`), else the policy's default (the one marked `default`,
 * else the first).
 */
export class Clusters {
  readonly #byName = new Map<string, Cluster>();
  readonly #chatDefault = new Map<string, string>();
  readonly default: Cluster;
  /** True when the policy names clusters: commands then take `--cluster` and cards say which. */
  readonly named: boolean;

  constructor(list: readonly Cluster[], o: { named: boolean; default?: string; chats?: ReadonlyMap<string, string> }) {
    if (!list.length) throw new Error('no cluster');
    for (const c of list) this.#byName.set(c.name, c);
    this.default = (o.default ? this.#byName.get(o.default) : undefined) ?? (list[0] as Cluster);
    this.named = o.named;
    for (const [chat, name] of o.chats ?? []) this.#chatDefault.set(chat, name);
  }

  /** One cluster, unnamed: what every single-cluster setup is. */
  static single(client: KubeClient): Clusters {
    return new Clusters([{ name: client.contextName || 'default', label: client.contextName || 'default', client }], { named: false });
  }

  /** The policy's `default` and `chats` as constructor options. */
  static optionsOf(policy: Policy): { named: boolean; default?: string; chats: Map<string, string> } {
    const entries = Object.entries(policy.clusters);
    const chats = new Map<string, string>();
    for (const [name, c] of entries) for (const chat of c.chats) chats.set(chat, name);
    const def = entries.find(([, c]) => c.default)?.[0];
    return { named: entries.length > 0, ...(def ? { default: def } : {}), chats };
  }

  get list(): Cluster[] {
    return [...this.#byName.values()];
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** The named cluster; an unknown name is a usage error that lists the known ones. */
  get(name: string): Cluster {
    const c = this.#byName.get(name);
    if (!c) throw new UsageError(msg('cluster.unknown', { name, known: this.names.join(', ') }));
    return c;
  }

  /** The cluster a command in this chat acts on when none is named (`chat` as platform:chat-id). */
  defaultFor(chat: string): Cluster {
    const name = this.#chatDefault.get(chat);
    return (name ? this.#byName.get(name) : undefined) ?? this.default;
  }
}

/**
 * The clusters of a configuration: the one of `source`, or each the policy names — a context of the
 * KUBECONFIG file (`in-cluster`: the pod's service account). In the demo each named cluster is its own
 * embedded demo API (`demoUrl(name)` starts one). Problems are thrown as one UsageError per line, with the
 * policy path.
 */
export async function connectClusters(source: KubeConfigSource, policy: Policy, timeoutMs: number, demoUrl: (name: string) => Promise<string>): Promise<Clusters> {
  const named = Object.entries(policy.clusters);
  if (!named.length) {
    const url = source.kind === 'demo' ? await demoUrl('opsbot-demo') : undefined;
    return Clusters.single(new KubeClient(loadKubeConfig(source, url), timeoutMs));
  }
  if (source.kind === 'kubeconfig' && source.context) throw new UsageError('KUBE_CONTEXT: the policy names clusters (clusters.<name>.context); unset KUBE_CONTEXT');
  const list: Cluster[] = [];
  const problems: string[] = [];
  for (const [name, c] of named) {
    const context = c.context ?? name;
    try {
      let kc;
      if (source.kind === 'demo') kc = loadKubeConfig(source, await demoUrl(name));
      else if (context === 'in-cluster') kc = loadKubeConfig({ kind: 'in-cluster' });
      else if (source.kind === 'kubeconfig') kc = loadKubeConfig({ ...source, context });
      else throw new Error(`context "${context}" needs KUBECONFIG (the file that holds it), or use context: in-cluster`);
      list.push({ name, label: c.label ?? name, client: new KubeClient(kc, timeoutMs) });
    } catch (e) {
      const why = (e as { userMessage?: string }).userMessage ?? (e as Error).message;
      problems.push(`clusters.${name}.context: ${why.replace(/^KUBE_CONTEXT: /, '')}`);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return new Clusters(list, Clusters.optionsOf(policy));
}
