import { readFileSync, writeFileSync } from 'node:fs';
import { COMMANDS } from '../commands/index.js';
import { APP_CALLS, renderRbac, requiredVerbs } from '../src/kube/rbac.js';
import { impersonationPolicyOf, impersonationRbacOf } from './rbac-files.js';

/**
 * `npm run rbac`: writes deploy/base/rbac.yaml from the commands' declared Kubernetes calls, and the
 * impersonation component's ClusterRole from the people of deploy/base/policy.yaml.
 */
const at = (p: string) => new URL(`../deploy/${p}`, import.meta.url).pathname;
writeFileSync(at('base/rbac.yaml'), renderRbac(requiredVerbs(COMMANDS, APP_CALLS)));
console.log(`wrote ${at('base/rbac.yaml')}`);
const base = readFileSync(at('base/policy.yaml'), 'utf8');
writeFileSync(at('components/impersonation/rbac.yaml'), impersonationRbacOf(base));
writeFileSync(at('components/impersonation/policy.yaml'), impersonationPolicyOf(base));
console.log(`wrote ${at('components/impersonation/rbac.yaml')} and policy.yaml`);
