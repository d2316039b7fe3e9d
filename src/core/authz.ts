import type { Person, Policy } from '../config/policy.js';
import type { AnyCommandSpec, CommandContext } from './command.js';
import { NotAllowedError } from './errors.js';
import { msg, type Text } from './i18n.js';

/** Pure policy decisions: no I/O, so every rule is unit-testable. */

/** Namespaces this person may act in: their roles' namespaces, cut to the policy's allow-list. */
export function namespacesOf(policy: Policy, person: Person): string[] {
  const out = new Set<string>();
  for (const r of person.roles) {
    for (const ns of policy.roles[r]?.namespaces ?? []) {
      if (ns === '*') policy.namespaces.allow.forEach((n) => out.add(n));
      else if (policy.namespaces.allow.includes(ns)) out.add(ns);
    }
  }
  return [...out];
}

export function mayRun(policy: Policy, person: Person, command: string): boolean {
  return person.roles.some((r) => {
    const cmds = policy.roles[r]?.commands ?? [];
    // `mcp-<server>-*`: every tool of one MCP server.
    return cmds.includes('*') || cmds.includes(command) || cmds.some((c) => c.endsWith('-*') && command.startsWith(c.slice(0, -1)));
  });
}

/** May this person act on this cluster (policy `clusters`; a role's `clusters`, default all)? */
export function mayUseCluster(policy: Policy, person: Person, cluster: string): boolean {
  return person.roles.some((r) => {
    const cs = policy.roles[r]?.clusters ?? [];
    return cs.includes('*') || cs.includes(cluster);
  });
}

/**
 * Throws NotAllowedError unless the person may run `spec` in `namespace` (undefined: cluster-scoped or
 * all namespaces, which commands then cut to the person's namespaces) on `cluster` (when clusters are named).
 */
export function authorize(policy: Policy, person: Person, spec: AnyCommandSpec, namespace: string | undefined, cluster?: string): void {
  if (!mayRun(policy, person, spec.name)) {
    const roles = person.roles.join(', ');
    throw new NotAllowedError(msg(spec.mutating ? 'authz.err.request' : 'authz.err.run', { name: person.name, roles, command: spec.name }));
  }
  if (cluster !== undefined && !mayUseCluster(policy, person, cluster)) {
    throw new NotAllowedError(msg('authz.err.cluster', { name: person.name, command: spec.name, cluster, roles: person.roles.join(', ') }), 'cluster_not_allowed');
  }
  if (namespace === undefined) return;
  if (!policy.namespaces.allow.includes(namespace)) {
    throw new NotAllowedError(msg('authz.err.nsUnmanaged', { ns: namespace, allowed: policy.namespaces.allow.join(', ') }), 'namespace_not_allowed');
  }
  if (!namespacesOf(policy, person).includes(namespace)) {
    throw new NotAllowedError(msg('authz.err.nsDenied', { name: person.name, command: spec.name, ns: namespace }), 'namespace_not_allowed');
  }
}

/** The approval facts a decision depends on (a structural subset of Approval). */
export interface DecidableApproval {
  id: string;
  requester: { personId: string };
  steps: { role: string; decidedBy?: { personId: string } }[];
  step: number;
  risk: string;
  preview: { target: string };
}

/**
 * May `person` approve or reject the current step? Returns the refusal reason, or undefined. Pure:
 * the service calls it inside its compare-and-set loop.
 */
export function refuseDecision(policy: Policy, person: Person, a: DecidableApproval): { says: Text; advice?: Text | string } | undefined {
  const step = a.steps[a.step];
  if (!step) return { says: msg('authz.err.noStep', { id: a.id }), advice: '' };
  const level = policy.approvals.risk[a.risk as keyof Policy['approvals']['risk']];
  const selfOk = level?.allowSelfApproval ?? policy.approvals.allowSelfApproval;
  // Who could decide this step instead: the advice names them rather than sending people to an admin.
  const who = (): Text => {
    const earlier = new Set(a.steps.slice(0, a.step).map((s) => s.decidedBy?.personId));
    const names = Object.entries(policy.people)
      .filter(([id, p]) => id !== person.id && id !== a.requester.personId && !earlier.has(id) && p.roles.includes(step.role))
      .map(([id, p]) => p.name ?? id)
      .slice(0, 3);
    return names.length ? msg('advice.askApprover', { who: names.join(' / ') }) : msg('advice.askRole', { role: step.role });
  };
  if (a.requester.personId === person.id && !selfOk) return { says: msg('authz.err.self', { name: person.name, id: a.id }), advice: who() };
  if (!person.roles.includes(step.role)) {
    const of = a.steps.length > 1 ? msg('authz.err.stepOf', { n: a.step + 1, of: a.steps.length }) : '';
    return { says: msg('authz.err.role', { name: person.name, id: a.id, role: step.role, step: of }), advice: who() };
  }
  if (a.steps.some((s, i) => i < a.step && s.decidedBy?.personId === person.id)) {
    return { says: msg('authz.err.sameApprover', { name: person.name, id: a.id }), advice: who() };
  }
  const ns = a.preview.target.includes('/') ? a.preview.target.split('/')[0] : undefined;
  if (ns && !namespacesOf(policy, person).includes(ns)) return { says: msg('authz.err.approveNs', { name: person.name, ns }) };
  return undefined;
}

/**
 * Where and whether a command runs, for typed commands, buttons and LLM tool calls alike: the context
 * of the cluster it names (else the chat's, which is then written into the arguments so that approvals
 * and the audit log record it), the person authorised there, and the spec's own checks. Throws before
 * any API call.
 */
export function prepare(ctx: CommandContext, spec: AnyCommandSpec, args: Record<string, unknown>): { ctx: CommandContext; args: Record<string, unknown> } {
  const named = ctx.clusters.named && 'cluster' in spec.args.shape;
  const c = named && typeof args['cluster'] === 'string' ? ctx.onCluster(args['cluster']) : ctx;
  const a = named && args['cluster'] === undefined ? { ...args, cluster: c.cluster } : args;
  if (spec.authz !== 'self') {
    const namespace = 'namespace' in spec.args.shape && !a['all'] ? ((a['namespace'] as string | undefined) ?? c.defaultNamespace) : undefined;
    authorize(c.policy, c.person, spec, namespace, named ? c.cluster : undefined);
  }
  spec.check?.(c, a);
  return { ctx: c, args: a };
}
