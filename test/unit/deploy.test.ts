import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/start-app.js';

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** Every Kubernetes call opsbot makes (src/kube/client.ts), as RBAC sees it. */
const USED = [
  ['', 'pods', 'list'], ['', 'pods', 'get'], ['', 'pods/log', 'get'], ['', 'pods', 'delete'],
  ['', 'events', 'list'], ['', 'nodes', 'list'], ['', 'namespaces', 'list'],
  ['apps', 'deployments', 'list'], ['apps', 'deployments', 'get'], ['apps', 'deployments', 'patch'],
  ['apps', 'deployments/scale', 'patch'], ['apps', 'replicasets', 'list'],
] as const;

describe('deploy/kubernetes.yaml', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: Rule[] });
  const role = (name: string) => docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === name)!.rules!;
  const grants = (rules: Rule[], g: string, r: string, v: string) => rules.some((x) => x.apiGroups.includes(g) && x.resources.includes(r) && x.verbs.includes(v));

  it('grants every verb the client uses, reads cluster-wide and writes only through the operate role', () => {
    const all = [...role('opsbot-read'), ...role('opsbot-operate')];
    for (const [g, r, v] of USED) expect(grants(all, g, r, v), `${g || 'core'} ${r} ${v}`).toBe(true);
    for (const rule of role('opsbot-read')) expect(rule.verbs.every((v) => v === 'get' || v === 'list')).toBe(true);
  });

  it('grants nothing it does not need', () => {
    const all = [...role('opsbot-read'), ...role('opsbot-operate')];
    for (const rule of all) for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) {
      const needed = USED.some(([ug, ur, uv]) => ug === g && ur === r && uv === v);
      expect(needed, `${g || 'core'} ${r} ${v} is granted but not used`).toBe(true);
    }
  });

  it('runs one replica, non-root, read-only root filesystem', () => {
    const dep = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: { securityContext: { readOnlyRootFilesystem: boolean } }[]; securityContext: { runAsNonRoot: boolean } } } } };
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(dep.spec.template.spec.containers[0]!.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});
