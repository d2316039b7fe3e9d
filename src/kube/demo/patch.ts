/**
 * The three patch types the API server takes for built-in objects, enough for what kubectl and
 * client-node send to deployments and their scale subresource.
 */
type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PatchError extends Error {}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch, with the merge keys of the lists a Deployment has
 * (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
 * lists of objects merge by `name` (containers, env, volumes…) or `containerPort` (ports); other lists
 * are replaced. `$patch: delete` removes a list entry or map; `$retainKeys`/`$setElementOrder` are ignored.
 */
export function strategicMergePatch(target: Json, patch: Json, key = ''): Json {
  if (!isObj(patch)) {
    if (Array.isArray(patch) && Array.isArray(target)) return mergeList(target, patch, key);
    return structuredClone(patch);
  }
  if (patch['$patch'] === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$retainKeys')) continue;
    if (v === null || (isObj(v) && v['$patch'] === 'delete')) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, k);
  }
  return out;
}

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  tolerations: 'key',
};

function mergeList(target: Json[], patch: Json[], key: string): Json[] {
  const mk = MERGE_KEYS[key];
  if (!mk || !patch.every(isObj)) return structuredClone(patch);
  const out = target.map((t) => structuredClone(t));
  for (const p of patch as Record<string, Json>[]) {
    const idx = out.findIndex((t) => isObj(t) && t[mk] === p[mk]);
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p, key);
    else out.push(strategicMergePatch({}, p, key));
  }
  return out;
}

/** RFC 6902 JSON patch: add, remove, replace, test (move/copy are not used by kubectl on deployments). */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isObj(op) || typeof op['path'] !== 'string' || typeof op['op'] !== 'string') throw new PatchError('invalid json patch operation');
    const path = (op['path'] as string).split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (!path.length) {
      doc = structuredClone(op['value']);
      continue;
    }
    const last = path.pop() as string;
    let parent: Json = doc;
    for (const seg of path) {
      parent = Array.isArray(parent) ? parent[Number(seg)] : isObj(parent) ? parent[seg] : undefined;
      if (parent === undefined) throw new PatchError(`json patch path not found: ${op['path']}`);
    }
    const kind = op['op'];
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (kind === 'add') parent.splice(i, 0, structuredClone(op['value']));
      else if (kind === 'remove') parent.splice(i, 1);
      else if (kind === 'replace') parent[i] = structuredClone(op['value']);
      else if (kind === 'test' && JSON.stringify(parent[i]) !== JSON.stringify(op['value'])) throw new PatchError('json patch test failed');
    } else if (isObj(parent)) {
      if (kind === 'add' || kind === 'replace') {
        if (kind === 'replace' && !(last in parent)) throw new PatchError(`json patch path not found: ${op['path']}`);
        parent[last] = structuredClone(op['value']);
      } else if (kind === 'remove') {
        if (!(last in parent)) throw new PatchError(`json patch path not found: ${op['path']}`);
        delete parent[last];
      } else if (kind === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op['value'])) throw new PatchError('json patch test failed');
    } else throw new PatchError(`json patch path not found: ${op['path']}`);
    if (!['add', 'remove', 'replace', 'test'].includes(kind as string)) throw new PatchError(`json patch op "${String(kind)}" is not supported`);
  }
  return doc;
}
