import type { Person, Policy } from '../config/policy.js';
import type { AnyCommandSpec } from './command.js';
import { NotAllowedError } from './errors.js';

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
    const verb = spec.mutating ? 'request' : 'run';
    throw new NotAllowedError(`${person.name} (${roles}) may not ${verb} /${spec.name}`);
  }
  if (namespace === undefined) return;
  if (!policy.namespaces.allow.includes(namespace)) {
    throw new NotAllowedError(`namespace "${namespace}" is not managed by opsbot (allowed: ${policy.namespaces.allow.join(', ')})`, 'namespace_not_allowed');
  }
  if (!namespacesOf(policy, person).includes(namespace)) {
    throw new NotAllowedError(`${person.name} may not use /${spec.name} in namespace "${namespace}"`, 'namespace_not_allowed');
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
export function refuseDecision(policy: Policy, person: Person, a: DecidableApproval): string | undefined {
  const step = a.steps[a.step];
  if (!step) return `${a.id} has no open step`;
  const level = policy.approvals.risk[a.risk as keyof Policy['approvals']['risk']];
  const selfOk = level?.allowSelfApproval ?? policy.approvals.allowSelfApproval;
  if (a.requester.personId === person.id && !selfOk) return `${person.name} requested ${a.id}; someone else must approve it`;
  if (!person.roles.includes(step.role)) {
    return `${person.name} may not approve ${a.id} (needs role ${step.role}${a.steps.length > 1 ? `, step ${a.step + 1}/${a.steps.length}` : ''})`;
  }
  if (a.steps.some((s, i) => i < a.step && s.decidedBy?.personId === person.id)) {
    return `${person.name} already approved an earlier step of ${a.id}; the next step needs a different person`;
  }
  const ns = a.preview.target.includes('/') ? a.preview.target.split('/')[0] : undefined;
  if (ns && !namespacesOf(policy, person).includes(ns)) return `${person.name} may not approve changes in namespace "${ns}"`;
  return undefined;
}
