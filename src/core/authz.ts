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
