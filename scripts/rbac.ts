import { writeFileSync } from 'node:fs';
import { COMMANDS } from '../commands/index.js';
import { APP_CALLS, renderRbac, requiredVerbs } from '../src/kube/rbac.js';

/** `npm run rbac`: writes deploy/base/rbac.yaml from the commands' declared Kubernetes calls. */
const file = new URL('../deploy/base/rbac.yaml', import.meta.url).pathname;
writeFileSync(file, renderRbac(requiredVerbs(COMMANDS, APP_CALLS)));
console.log(`wrote ${file}`);
