import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { CORE_VARS } from '../../src/config/env.js';
import { APP_CALLS, renderRbac, requiredVerbs } from '../../src/kube/rbac.js';
import { PLATFORMS } from '../../src/platforms/index.js';
import { ROOT } from '../helpers/start-app.js';
import { impersonationPolicyOf, impersonationRbacOf } from '../../scripts/rbac-files.js';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
interface Container {
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string }[];
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
}
interface Deployment {
  spec: { replicas: number; strategy?: { type: string }; template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: Container[]; volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[]; affinity?: { podAntiAffinity?: unknown } } } };
}

/** The overlay as `kubectl kustomize` renders it (what `kubectl apply -k` installs). */
function render(overlay: string): Doc[] {
  const r = spawnSync('kubectl', ['kustomize', `deploy/overlays/${overlay}`], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl kustomize deploy/overlays/${overlay}: ${r.stderr || r.error?.message}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Doc);
}

const SECRETS = [...CORE_VARS, ...PLATFORMS.flatMap((p) => p.vars)].filter((v) => v.secret).map((v) => v.name);

describe.each(['single', 'ha'])('deploy/overlays/%s (kubectl kustomize)', (overlay) => {
  const docs = render(overlay);
  const dep = docs.find((d) => d.kind === 'Deployment') as unknown as Deployment & Doc;
  const c = dep.spec.template.spec.containers[0]!;

  it('probes /readyz and /healthz, sets resources, runs non-root on a read-only root filesystem', () => {
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
    expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('gives SIGTERM more time than opsbot takes to finish in-flight work (OPSBOT_SHUTDOWN_TIMEOUT)', () => {
    const grace = (dep.spec.template.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
    const bound = CORE_VARS.find((v) => v.name === 'OPSBOT_SHUTDOWN_TIMEOUT')!.default!;
    expect(Number(bound.replace(/s$/, ''))).toBeLessThan(grace);
  });

  it('takes every credential from the Secret, and no ConfigMap holds one', () => {
    expect(SECRETS).toEqual(expect.arrayContaining(['OPSBOT_SECRET', 'LLM_API_KEY', 'FEISHU_APP_SECRET', 'DINGTALK_CLIENT_SECRET', 'WECOM_SECRET', 'OPSBOT_STORE']));
    expect(c.envFrom?.some((e) => e.secretRef?.name === 'opsbot')).toBe(true);
    for (const cm of docs.filter((d) => d.kind === 'ConfigMap')) {
      const data = (cm as unknown as { data: Record<string, string> }).data;
      const keys = [...Object.keys(data), ...Object.values(data).flatMap((v) => [...v.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!))];
      expect(keys.filter((k) => SECRETS.includes(k)), `ConfigMap ${cm.metadata.name}`).toEqual([]);
      // The policy may not carry a credential either (console tokens are stored as SHA-256 only).
      if (data['opsbot.yaml']) expect(JSON.stringify(parse(data['opsbot.yaml']))).not.toMatch(/secret|password|token(?!Sha256)/i);
    }
    expect((c.env ?? []).filter((e) => SECRETS.includes(e.name) && e.value !== undefined)).toEqual([]);
  });

  it('grants exactly the RBAC the commands declare (npm run rbac), writes only in bound namespaces', () => {
    const want = parseAllDocuments(renderRbac(requiredVerbs(COMMANDS, APP_CALLS))).map((d) => d.toJS() as Doc);
    const roles = docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
    const shape = (rs: Doc[]) => rs.map((r) => ({ name: r.metadata.name, rules: r['rules'] })).sort((a, b) => a.name.localeCompare(b.name));
    expect(shape(roles)).toEqual(shape(want));
    const bindings = docs.filter((d) => d.kind === 'RoleBinding').map((d) => `${d.metadata.namespace}/${(d['roleRef'] as { name: string }).name}`);
    expect(bindings.sort()).toEqual(['production/opsbot-operate', 'staging/opsbot-operate']);
    expect(docs.filter((d) => d.kind === 'ClusterRoleBinding').map((d) => (d['roleRef'] as { name: string }).name)).toEqual(['opsbot-read']);
  });

  if (overlay === 'single') {
    it('runs one replica with Recreate, SQLite on a PersistentVolumeClaim', () => {
      expect(dep.spec.replicas).toBe(1);
      expect(dep.spec.strategy?.type).toBe('Recreate');
      const claim = dep.spec.template.spec.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName;
      expect(docs.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === claim)).toBe(true);
    });
  } else {
    it('runs two replicas spread over nodes, at most one down at a time, without a volume of its own', () => {
      expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(dep.spec.strategy?.type).toBe('RollingUpdate');
      expect(dep.spec.template.spec.affinity?.podAntiAffinity).toBeDefined();
      const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } } | undefined;
      expect(pdb?.spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: 'opsbot' } } });
      expect(docs.some((d) => d.kind === 'PersistentVolumeClaim')).toBe(false);
    });
  }
});

describe('deploy/overlays/ha-impersonation (per-user identity)', () => {
  const docs = render('ha-impersonation');
  const file = (p: string) => readFileSync(join(ROOT, 'deploy', p), 'utf8');

  it('the service account keeps only impersonate, on exactly the policy\'s users and groups', () => {
    const bindings = docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding').map((d) => (d['roleRef'] as { name: string }).name);
    expect(bindings).toEqual(['opsbot-impersonate']);
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'opsbot-impersonate') as unknown as { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    expect(role.rules.every((r) => r.verbs.join() === 'impersonate')).toBe(true);
    expect(role.rules.map((r) => [r.resources[0], r.resourceNames])).toEqual([
      ['users', ['opsbot:alice', 'opsbot:bob']],
      ['groups', ['opsbot:lead', 'opsbot:oncall']],
      ['userextras/approved-by', undefined],
    ]);
  });

  it('installs the base policy with impersonation on, and both generated files are current (npm run rbac)', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('opsbot-policy')) as unknown as { data: Record<string, string> };
    expect(parse(cm.data['opsbot.yaml']!)).toMatchObject({ impersonation: {}, people: parse(file('base/policy.yaml')).people });
    expect(file('components/impersonation/policy.yaml')).toBe(impersonationPolicyOf(file('base/policy.yaml')));
    expect(file('components/impersonation/rbac.yaml')).toBe(impersonationRbacOf(file('base/policy.yaml')));
  });
});
