import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Block, Card, Field } from '../cards/model.js';
import { imageTag, table } from '../cards/util.js';
import { type CommandContext, defineCommand, nsOf } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { REVISION_ANNOTATION } from '../src/kube/client.js';
import { summarizePod } from '../src/kube/pod-status.js';
import { resolvePod } from '../src/kube/resolve.js';
import { type Lang, msg, t, type Text } from '../src/core/i18n.js';
import { NotFoundError, UsageError } from '../src/core/errors.js';

const KINDS = { pod: 'pod', po: 'pod', pods: 'pod', deploy: 'deployment', deployment: 'deployment', deployments: 'deployment' } as const;

export default defineCommand({
  name: 'describe',
  summary: { en: 'Details and recent events of a pod or deployment', zh: '查看 Pod / Deployment 详情与事件' },
  examples: ['/describe api-gateway -n production', '/describe pod order-service-546bjxrdr2-dprhd -n production', '/describe deploy api-gateway -n production'],
  args: z.strictObject({
    kind: z.enum(Object.keys(KINDS) as [keyof typeof KINDS, ...(keyof typeof KINDS)[]]).optional().describe('pod or deploy; left out, inferred from the name'),
    name: dnsSubdomain.describe('Name of the pod or deployment'),
    namespace: dnsLabel.optional().describe('Namespace'),
  }),
  positionals: ['kind', 'name'],
  flags: { namespace: ['-n', '--namespace'] },
  kube: ['readDeployment', 'readPod', 'listEvents'],
  mutating: false,
  async run(ctx, a) {
    const ns = nsOf(ctx, a);
    const kind = a.kind ? KINDS[a.kind] : await inferKind(ctx, ns, a.name);
    if (kind === 'pod') {
      const { pod, note } = await resolvePod(ctx.kube, ns, a.name, ctx.signal);
      const events = await ctx.kube.listEvents(ns, { kind: 'Pod', name: pod.metadata?.name as string }, { signal: ctx.signal });
      return describePod(ctx, pod, events, note);
    }
    const dep = await ctx.kube.readDeployment(ns, a.name, { signal: ctx.signal });
    const events = await ctx.kube.listEvents(ns, { kind: 'Deployment', name: a.name }, { signal: ctx.signal });
    return describeDeployment(ctx, dep, events);
  },
});

/**
 * `/describe api-gateway`: a deployment of that name, or a pod of exactly that name; when both exist the
 * person is asked which, in plain words; when neither, a deployment's pods (name-) count as the pod.
 */
async function inferKind(ctx: CommandContext, ns: string, name: string): Promise<'pod' | 'deployment'> {
  const found = async (p: Promise<unknown>): Promise<boolean> =>
    p.then(
      () => true,
      (e: unknown) => {
        if (e instanceof NotFoundError) return false;
        throw e;
      },
    );
  const [dep, pod] = await Promise.all([found(ctx.kube.readDeployment(ns, name, { signal: ctx.signal })), found(ctx.kube.readPod(ns, name, { signal: ctx.signal }))]);
  if (dep && pod) throw new UsageError(msg('describe.which', { name, ns }), msg('describe.whichHint', { name }));
  if (dep) return 'deployment';
  if (pod) return 'pod';
  // Neither by that exact name: a deployment's pods (`name-…`) still answer as `kubectl logs deploy/x` would.
  await resolvePod(ctx.kube, ns, name, ctx.signal).catch((e: unknown) => {
    if (e instanceof NotFoundError) throw new NotFoundError(msg('describe.neither', { name, ns }));
    throw e;
  });
  return 'pod';
}

/** `cpu 500m/1 mem 512Mi/1Gi`: requests/limits of a container, `-` where unset. */
function resources(res: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): string {
  const cpu = `${res?.requests?.['cpu'] ?? '-'}/${res?.limits?.['cpu'] ?? '-'}`;
  const mem = `${res?.requests?.['memory'] ?? '-'}/${res?.limits?.['memory'] ?? '-'}`;
  return `cpu ${cpu} mem ${mem}`;
}

function describePod(ctx: CommandContext, pod: V1Pod, events: CoreV1Event[], note?: Text): Card {
  const now = ctx.now();
  const s = summarizePod(pod);
  const L = ctx.lang;
  const fields: Field[] = [
    { label: 'Status', value: s.status + (s.detail ? ` — ${s.detail}` : '') },
    { label: 'Ready', value: `${s.ready}/${s.total}` },
    { label: 'Restarts', value: s.restarts ? t(L, 'describe.restarts', { n: s.restarts, age: formatAge(now - (s.lastRestartAt ?? now)), reason: s.lastTerminationReason ? `, ${s.lastTerminationReason}` : '' }) : '0' },
    { label: 'Node', value: pod.spec?.nodeName ?? t(L, 'describe.unscheduled') },
    { label: 'IP', value: pod.status?.podIP ?? '—' },
    { label: 'Age', value: formatAge(now - new Date(pod.metadata?.creationTimestamp ?? now).getTime()) },
  ];
  const owner = pod.metadata?.ownerReferences?.[0];
  if (owner) fields.push({ label: 'Controlled by', value: `${owner.kind}/${owner.name}` });
  const blocks: Block[] = [{ type: 'fields', items: fields }];
  const rows = (pod.spec?.containers ?? []).map((c) => {
    const st = pod.status?.containerStatuses?.find((x) => x.name === c.name);
    const state = st?.state?.running ? 'running' : st?.state?.waiting ? `waiting: ${st.state.waiting.reason}` : st?.state?.terminated ? `terminated: ${st.state.terminated.reason}` : 'unknown';
    const last = st?.lastState?.terminated ? `${st.lastState.terminated.reason} (exit ${st.lastState.terminated.exitCode})` : '—';
    return [c.name, imageTag(c.image), state, last, resources(c.resources)];
  });
  blocks.push(table(['Container', 'Image', 'State', 'Last exit', 'Requests/limits'], rows));
  blocks.push(...eventsBlock(events, now, L));
  return {
    title: `Pod ${pod.metadata?.namespace}/${pod.metadata?.name}`,
    tone: s.health === 'failing' ? 'danger' : s.health === 'ok' || s.health === 'done' ? 'info' : 'warning',
    blocks,
    ...(note ? { footer: note[ctx.lang] } : {}),
  };
}

function describeDeployment(ctx: CommandContext, dep: V1Deployment, events: CoreV1Event[]): Card {
  const now = ctx.now();
  const want = dep.spec?.replicas ?? 1;
  const st = dep.status ?? {};
  const ready = st.readyReplicas ?? 0;
  const L = ctx.lang;
  const fields: Field[] = [
    { label: 'Replicas', value: t(L, 'describe.replicas', { want, updated: st.updatedReplicas ?? 0, ready, available: st.availableReplicas ?? 0 }) },
    { label: 'Revision', value: dep.metadata?.annotations?.[REVISION_ANNOTATION] ?? '—' },
    { label: 'Strategy', value: dep.spec?.strategy?.type ?? 'RollingUpdate' },
    { label: 'Selector', value: Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
    { label: 'Age', value: formatAge(now - new Date(dep.metadata?.creationTimestamp ?? now).getTime()) },
  ];
  const blocks: Block[] = [{ type: 'fields', items: fields }];
  blocks.push(table(['Container', 'Image', 'Requests/limits'], (dep.spec?.template.spec?.containers ?? []).map((c) => [c.name, c.image ?? '?', resources(c.resources)])));
  const conds = (st.conditions ?? []).filter((c) => c.status !== 'True' || c.type === 'Progressing');
  if (conds.length) blocks.push({ type: 'markdown', text: conds.map((c) => `${c.status === 'True' ? '✓' : '✗'} ${c.type}: ${c.message ?? c.reason ?? ''}`).join('\n') });
  blocks.push(...eventsBlock(events, now, L));
  return {
    title: t(L, 'describe.deployTitle', { name: `${dep.metadata?.namespace}/${dep.metadata?.name}`, ready, want }),
    tone: ready >= want ? 'info' : ready === 0 && want > 0 ? 'danger' : 'warning',
    blocks,
  };
}

function eventsBlock(events: CoreV1Event[], now: number, lang: Lang): Block[] {
  if (!events.length) return [{ type: 'markdown', text: t(lang, 'describe.noEvents') }];
  const sorted = [...events].sort((a, b) => time(b) - time(a)).slice(0, 6);
  return [
    table(
      ['Age', 'Type', 'Reason', 'Message'],
      sorted.map((e) => [formatAge(now - time(e)), e.type === 'Warning' ? '⚠️' : '·', e.reason ?? '', `${e.message ?? ''}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`]),
      { maxRows: 6 },
    ),
  ];
}

export function time(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
