import type { Person, Policy } from '../config/policy.js';
import type { AnyCommandSpec } from './command.js';
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
    return cmds.includes('*') || cmds.includes(command);
  });
}

/**
 * Throws NotAllowedError unless the person may run `spec` in `namespace` (undefined: cluster-scoped or
 * all namespaces, which commands then cut to the person's namespaces).
 */
export function authorize(policy: Policy, person: Person, spec: AnyCommandSpec, namespace: string | undefined): void {
  if (!mayRun(policy, person, spec.name)) {
    const roles = person.roles.join(', ');
    throw new NotAllowedError(msg(spec.mutating ? 'authz.err.request' : 'authz.err.run', { name: person.name, roles, command: spec.name }));
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
