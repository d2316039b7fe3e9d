import { verbOfRequest } from '../rbac.js';

/**
 * A small RBAC table for the demo API, so that impersonation (policy `impersonation`) can be seen at
 * work: a request carrying `Impersonate-User` is allowed only if a rule grants its user or one of its
 * groups the verb on the resource in that namespace — as the API server's RBAC authorizer decides. A
 * request without impersonation is the bot's own service account and is allowed.
 */
export interface DemoRbacRule {
  /** `user:<name>` or `group:<name>`. */
  subjects: string[];
  verbs: string[];
  /** Resource names as RBAC writes them (`pods`, `pods/log`, `deployments/scale`); `*` for all. */
  resources: string[];
  /** Namespaces the rule holds in; absent: every namespace and the cluster scope (a ClusterRoleBinding). */
  namespaces?: string[];
}

const READ = ['get', 'list', 'watch'];
const ALL_RESOURCES = ['*'];

/**
 * The demo's bindings for the example policy's roles, as a platform team might write them: leads may do
 * anything; on-call engineers read everything and change workloads outside kube-system; viewers read only
 * in staging and default — production is not theirs, whatever the bot's own policy allows.
 */
export const DEMO_RBAC: readonly DemoRbacRule[] = [
  { subjects: ['group:opsbot:lead', 'group:system:masters'], verbs: ['*'], resources: ALL_RESOURCES },
  { subjects: ['group:opsbot:oncall'], verbs: READ, resources: ALL_RESOURCES },
  { subjects: ['group:opsbot:oncall'], verbs: ['patch', 'update', 'delete'], resources: ['deployments', 'deployments/scale', 'pods'], namespaces: ['production', 'staging', 'default'] },
  { subjects: ['group:opsbot:viewer'], verbs: READ, resources: ['nodes', 'namespaces'] },
  { subjects: ['group:opsbot:viewer'], verbs: READ, resources: ['pods', 'pods/log', 'deployments', 'replicasets', 'events'], namespaces: ['staging', 'default'] },
];

export interface Impersonated {
  user: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** The identity a request impersonates (undefined: none), from its headers as Node parsed them. */
export function impersonatedBy(headers: NodeJS.Dict<string[]>): Impersonated | undefined {
  const user = headers['impersonate-user']?.[0];
  if (!user) return undefined;
  const extra: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(headers)) {
    if (k.startsWith('impersonate-extra-') && vs) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = vs;
  }
  return { user, groups: headers['impersonate-group'] ?? [], extra };
}

/**
 * Why the API server would refuse this request (its Status message), or undefined when a rule allows it.
 * The wording is the API server's: `pods "x" is forbidden: User "u" cannot get resource "pods/log" in
 * API group "" in the namespace "production"`.
 */
export function demoForbidden(rules: readonly DemoRbacRule[], who: Impersonated, method: string, path: string): { message: string; details: Record<string, string> } | undefined {
  const need = verbOfRequest(method, path);
  if (!need) return undefined; // discovery and /version are open to every identity
  const ns = /\/namespaces\/([^/]+)\//.exec(path)?.[1];
  const subjects = new Set([`user:${who.user}`, ...who.groups.map((g) => `group:${g}`)]);
  const allowed = rules.some(
    (r) =>
      r.subjects.some((s) => subjects.has(s)) &&
      (r.verbs.includes('*') || r.verbs.includes(need.verb)) &&
      (r.resources.includes('*') || r.resources.includes(need.resource)) &&
      (!r.namespaces || (ns !== undefined && r.namespaces.includes(ns))),
  );
  if (allowed) return undefined;
  const [resource] = need.resource.split('/');
  const name = /\/namespaces\/[^/]+\/[^/]+\/([^/]+)/.exec(path)?.[1] ?? (ns ? undefined : /\/(?:nodes|namespaces)\/([^/]+)/.exec(path)?.[1]);
  const subject = `${resource}${need.group ? `.${need.group}` : ''}${name ? ` "${decodeURIComponent(name)}"` : ''}`;
  const message = `${subject} is forbidden: User "${who.user}" cannot ${need.verb} resource "${need.resource}" in API group "${need.group}" ${ns ? `in the namespace "${ns}"` : 'at the cluster scope'}`;
  // The Status details the API server sends with it (kubectl reads them).
  return { message, details: { ...(name ? { name: decodeURIComponent(name) } : {}), group: need.group, kind: resource as string } };
}
