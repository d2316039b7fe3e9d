import type { V1Pod } from '@kubernetes/client-node';
import type { Card } from '../../../cards/model.js';
import { rolloutComplete } from '../../kube/client.js';
import { evictable } from '../../kube/pod-status.js';
import { authorize } from '../authz.js';
import type { AnyCommandSpec, CommandContext } from '../command.js';
import { formatDuration } from '../duration.js';
import { ConflictError, NothingToDoError, NotAllowedError, NotFoundError, OpsError, UpstreamError, UsageError } from '../errors.js';
import { msg, t, type Text } from '../i18n.js';
import { dnsLabel, dnsSubdomain } from '../names.js';
import { fieldKind, validateArgs, formatCommand } from '../slash-parser.js';
import { isWait, MAX_STEPS, type Runbook, type RunbookRead, type RunbookStep, say } from './runbook.js';
import { render, TemplateError, type Vars } from './template.js';

/** What a step's progress is on the card. */
export type StepState = 'running' | 'done' | 'failed' | 'skipped';

/** One step, its arguments rendered and checked, with what its dry run said. */
export type PlannedStep =
  | { kind: 'command'; spec: AnyCommandSpec; args: Record<string, unknown>; title: string; change?: string; before?: unknown; skip?: Text }
  | { kind: 'wait'; wait: 'ready' | 'drained' | 'gone'; target: { deployment?: string; pod?: string; node?: string; namespace: string }; timeoutMs: number; title: string };

export interface Plan {
  runbook: Runbook;
  rollback: boolean;
  /** The parameters as given (defaults filled in). */
  params: Record<string, string | number | boolean>;
  /** The values read from the cluster at request time (or, for a rollback, those the failed run read). */
  read: Record<string, string | number>;
  steps: PlannedStep[];
  /** The one namespace the run acts in, when its steps are namespaced. */
  namespace?: string;
  /** An upper bound on the whole run: every wait's timeout plus two minutes a command step. */
  runMs: number;
}

const POLL_MS = 1000;
const MAX_RUN_MS = 60 * 60_000;

/** `deployment=api-gateway by=2` → the runbook's typed parameters, defaults filled; UsageError on anything off. */
export function parseParams(rb: Runbook, text: string | undefined, ctx: Pick<CommandContext, 'defaultNamespace'>): Record<string, string | number | boolean> {
  const given = new Map<string, string>();
  for (const word of (text ?? '').split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z][\w]*)=(.*)$/.exec(word);
    if (!m) throw new UsageError(msg('runbook.err.word', { word, params: paramList(rb) }));
    const key = m[1] as string;
    if (!rb.params[key]) throw new UsageError(msg('runbook.err.unknownParam', { name: rb.name, key, params: paramList(rb) }));
    if (given.has(key)) throw new UsageError(msg('runbook.err.twice', { key }));
    given.set(key, m[2] as string);
  }
  const out: Record<string, string | number | boolean> = {};
  for (const [key, p] of Object.entries(rb.params)) {
    const raw = given.get(key);
    if (raw === undefined) {
      if (p.default !== undefined) out[key] = p.default;
      else if (p.type === 'namespace') out[key] = ctx.defaultNamespace;
      else if (p.required !== false) throw new UsageError(msg('runbook.err.missing', { name: rb.name, key, params: paramList(rb) }));
      continue;
    }
    const bad = (what: Text) => new UsageError(msg('runbook.err.param', { key, given: raw.slice(0, 60), what }));
    switch (p.type) {
      case 'integer': {
        if (!/^-?\d{1,9}$/.test(raw)) throw bad(msg('runbook.type.integer'));
        const n = Number(raw);
        if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) throw bad(msg('runbook.type.range', { min: p.min ?? '-∞', max: p.max ?? '∞' }));
        out[key] = n;
        break;
      }
      case 'boolean':
        if (!/^(true|false|yes|no)$/i.test(raw)) throw bad(msg('runbook.type.boolean'));
        out[key] = /^(true|yes)$/i.test(raw);
        break;
      case 'namespace':
        if (!dnsLabel.safeParse(raw).success) throw bad(msg('runbook.type.namespace'));
        out[key] = raw;
        break;
      case 'name':
      case 'node':
        if (!dnsSubdomain.safeParse(raw).success) throw bad(msg('runbook.type.name'));
        out[key] = raw;
        break;
      default:
        if (raw.length > 200 || !raw) throw bad(msg('runbook.type.string'));
        if (p.enum && !p.enum.includes(raw)) throw bad(msg('runbook.type.enum', { values: p.enum.join(', ') }));
        out[key] = raw;
    }
  }
  return out;
}

function paramList(rb: Runbook): string {
  const ps = Object.entries(rb.params).map(([k, p]) => (p.required === false || p.default !== undefined || p.type === 'namespace' ? `[${k}=…]` : `${k}=…`));
  return ps.join(' ') || '—';
}

/**
 * The run as it would happen now: values read, every step's arguments rendered and validated, the person
 * authorised for each step's command where it acts, and each change dry-run by its own command's preview.
 * Read-only against the cluster. Throws UsageError / NotAllowedError before anything is requested.
 */
export async function plan(ctx: CommandContext, rb: Runbook, params: Record<string, string | number | boolean>, rollback?: Record<string, string | number>): Promise<Plan> {
  const sequence = rollback ? rb.rollback : rb.steps;
  // An optional parameter not given is a name without a value (a one-hole argument then drops out).
  const unset: Vars = Object.fromEntries(Object.keys(rb.params).map((k) => [k, undefined]));
  if (!sequence) throw new UsageError(msg('runbook.err.noRollback', { name: rb.name }));
  let read: Record<string, string | number>;
  if (rollback) {
    // What the failed run read, from its Roll back button: the rollback restores that, not today's state.
    const missing = Object.keys(rb.read).filter((k) => !(k in rollback));
    if (missing.length) throw new UsageError(msg('runbook.err.rollbackValues', { name: rb.name, missing: missing.join(', ') }));
    read = Object.fromEntries(Object.keys(rb.read).map((k) => [k, rollback[k] as string | number]));
  } else {
    read = {};
    for (const [name, r] of Object.entries(rb.read)) read[name] = await readValue(ctx, r, { ...unset, ...params, ...read });
  }
  const vars: Vars = { ...unset, ...params, ...read };
  const steps: PlannedStep[] = [];
  const namespaces = new Set<string>();
  for (const [i, s] of sequence.entries()) {
    const step = await planStep(ctx, s, vars, i, sequence.length);
    if (step.kind === 'command' && 'namespace' in step.spec.args.shape) namespaces.add((step.args['namespace'] as string | undefined) ?? ctx.defaultNamespace);
    if (step.kind === 'wait' && (step.target.deployment || step.target.pod)) namespaces.add(step.target.namespace);
    steps.push(step);
  }
  if (namespaces.size > 1) throw new UsageError(msg('runbook.err.namespaces', { name: rb.name, list: [...namespaces].join(', ') }));
  const changes = steps.filter((s) => s.kind === 'command' && s.spec.mutating);
  if (changes.length && changes.every((s) => s.kind === 'command' && s.skip)) {
    const first = changes[0] as Extract<PlannedStep, { kind: 'command' }>;
    throw new NothingToDoError(msg('runbook.nothing', { name: rb.name, why: first.skip as Text }));
  }
  const runMs = Math.min(MAX_RUN_MS, steps.reduce((n, s) => n + (s.kind === 'wait' ? s.timeoutMs : 120_000), 0));
  const namespace = [...namespaces][0];
  return { runbook: rb, rollback: Boolean(rollback), params, read, steps, ...(namespace ? { namespace } : {}), runMs };
}

async function planStep(ctx: CommandContext, s: RunbookStep, vars: Vars, i: number, of: number): Promise<PlannedStep> {
  const where = (e: unknown): never => {
    const n = i + 1;
    if (e instanceof TemplateError) throw new UsageError(msg('runbook.err.step', { n, of, says: { en: e.message, zh: e.message } }));
    if (e instanceof OpsError) throw inStep(e, msg('runbook.err.step', { n, of, says: { en: e.says('en'), zh: e.says('zh') } }));
    throw e;
  };
  if (isWait(s)) {
    try {
      const str = (v: string | undefined) => (v === undefined ? undefined : String(render(v, vars) ?? ''));
      const namespace = str('namespace' in s ? s.namespace : undefined) || ctx.defaultNamespace;
      const target = { namespace, ...('deployment' in s ? { deployment: str(s.deployment) as string } : {}), ...('pod' in s ? { pod: str(s.pod) as string } : {}), ...('node' in s ? { node: str(s.node) as string } : {}) };
      for (const v of [target.deployment, target.pod, target.node]) if (v !== undefined && !dnsSubdomain.safeParse(v).success) throw new UsageError(msg('runbook.type.name'));
      const limit = formatDuration(s.timeout);
      const title = say(s.title, ctx.lang) || (s.wait === 'ready' ? t(ctx.lang, 'runbook.wait.ready', { target: `${namespace}/${target.deployment}`, limit }) : s.wait === 'drained' ? t(ctx.lang, 'runbook.wait.drained', { node: target.node as string, limit }) : t(ctx.lang, 'runbook.wait.gone', { target: `${namespace}/${target.pod}`, limit }));
      return { kind: 'wait', wait: s.wait, target, timeoutMs: s.timeout, title };
    } catch (e) {
      return where(e);
    }
  }
  const spec = ctx.commands.find((c) => c.name === s.command);
  if (!spec) return where(new UsageError(msg('parse.unknown', { name: s.command })));
  try {
    const shape = spec.args.shape as Record<string, Parameters<typeof fieldKind>[0]>;
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.args)) {
      const value = typeof v === 'string' ? render(v, vars) : v;
      if (value === undefined) continue;
      raw[k] = typeof value === 'string' && fieldKind(shape[k] as Parameters<typeof fieldKind>[0]) === 'number' && /^-?\d+$/.test(value) ? Number(value) : value;
    }
    if (ctx.clusters.named && 'cluster' in shape) raw['cluster'] = ctx.cluster;
    const args = validateArgs(spec, raw);
    const namespace = 'namespace' in shape && !args['all'] ? ((args['namespace'] as string | undefined) ?? ctx.defaultNamespace) : undefined;
    authorize(ctx.policy, ctx.person, spec, namespace, ctx.clusters.named ? ctx.cluster : undefined);
    spec.check?.(ctx, args);
    const shown = { ...args };
    delete shown['cluster'];
    const title = say(s.title, ctx.lang) || formatCommand(spec, shown);
    if (!spec.mutating || !spec.preview) return { kind: 'command', spec, args, title };
    try {
      const p = await spec.preview(ctx, args);
      return { kind: 'command', spec, args, title, change: p.change, before: p.before };
    } catch (e) {
      if (e instanceof NothingToDoError) return { kind: 'command', spec, args, title, skip: { en: e.says('en'), zh: e.says('zh') } };
      throw e;
    }
  } catch (e) {
    return where(e);
  }
}

/** One `read:` value from the cluster (read-only). */
async function readValue(ctx: CommandContext, r: RunbookRead, vars: Vars): Promise<string | number> {
  const o = { signal: ctx.signal };
  const str = (v: string | undefined) => (v === undefined ? undefined : String(render(v, vars) ?? ''));
  let ns: string;
  let name: string;
  try {
    ns = str(r.namespace) || ctx.defaultNamespace;
    name = str('deployment' in r ? r.deployment : r.pod) as string;
  } catch (e) {
    throw new UsageError(msg('runbook.err.read', { says: { en: (e as Error).message, zh: (e as Error).message } }));
  }
  // Read only where the person may act: the run's own command, in that namespace.
  const self = ctx.commands.find((c) => c.name === 'runbook-run');
  if (self) authorize(ctx.policy, ctx.person, self, ns, ctx.clusters.named ? ctx.cluster : undefined);
  if ('deployment' in r) {
    const dep = await ctx.kube.readDeployment(ns, name, o);
    switch (r.field) {
      case 'replicas':
        return dep.spec?.replicas ?? 1;
      case 'readyReplicas':
        return dep.status?.readyReplicas ?? 0;
      case 'revision':
        return Number(dep.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
      case 'image':
        return dep.spec?.template.spec?.containers[0]?.image ?? '';
    }
  }
  const pod = await ctx.kube.readPod(ns, name, o);
  if (r.field === 'node') {
    if (!pod.spec?.nodeName) throw new UsageError(msg('runbook.err.noNode', { pod: `${ns}/${name}` }));
    return pod.spec.nodeName;
  }
  const rsName = pod.metadata?.ownerReferences?.find((x) => x.kind === 'ReplicaSet')?.name;
  const rs = rsName ? (await ctx.kube.listReplicaSets(ns, undefined, o)).find((x) => x.metadata?.name === rsName) : undefined;
  const dep = rs?.metadata?.ownerReferences?.find((x) => x.kind === 'Deployment')?.name;
  if (!dep) throw new UsageError(msg('runbook.err.noDeployment', { pod: `${ns}/${name}` }));
  return dep;
}

/** A step's outcome, for the card's progress and the run's result. */
export interface StepOutcome {
  state: StepState;
  note?: string;
}

/**
 * Runs a plan's steps in order (the approval is given): each change is dry-run again by its command
 * (something already so is skipped, not repeated), then run; each wait polls until its condition holds
 * or its timeout passes. The first failure stops the run. `progress` is told of every step's start
 * and end (the card shows it live).
 */
export async function execute(ctx: CommandContext, p: Plan, progress: (i: number, o: StepOutcome) => Promise<void>): Promise<{ ok: boolean; outcomes: StepOutcome[]; failedAt?: number; lastCard?: Card }> {
  const outcomes: StepOutcome[] = p.steps.map(() => ({ state: 'running' }));
  let lastCard: Card | undefined;
  for (const [i, s] of p.steps.entries()) {
    if (i >= MAX_STEPS) break;
    await progress(i, { state: 'running' });
    let out: StepOutcome;
    try {
      out = s.kind === 'wait' ? await waitFor(ctx, s) : await runStep(ctx, s, (c) => (lastCard = c));
    } catch (e) {
      const says = e instanceof OpsError ? e.says(ctx.lang) : t(ctx.lang, 'approval.err.internal');
      if (!(e instanceof OpsError)) ctx.log.error({ err: e, step: i + 1 }, 'runbook step failed');
      out = { state: 'failed', note: says };
    }
    outcomes[i] = out;
    await progress(i, out);
    if (out.state === 'failed') return { ok: false, outcomes: outcomes.slice(0, i + 1), failedAt: i, ...(lastCard ? { lastCard } : {}) };
  }
  return { ok: true, outcomes, ...(lastCard ? { lastCard } : {}) };
}

async function runStep(ctx: CommandContext, s: Extract<PlannedStep, { kind: 'command' }>, seen: (c: Card) => void): Promise<StepOutcome> {
  if (s.spec.mutating && s.spec.preview) {
    try {
      await s.spec.preview(ctx, s.args);
    } catch (e) {
      if (e instanceof NothingToDoError) return { state: 'skipped', note: e.says(ctx.lang) };
      throw e;
    }
  }
  const card = await s.spec.run(ctx, s.args);
  seen(card);
  const body = card.blocks.find((b) => b.type === 'markdown');
  const note = body && body.type === 'markdown' ? body.text.split('\n')[0] : card.title;
  return { state: card.tone === 'danger' ? 'failed' : 'done', ...(note ? { note: note.slice(0, 300) } : {}) };
}

async function waitFor(ctx: CommandContext, s: Extract<PlannedStep, { kind: 'wait' }>): Promise<StepOutcome> {
  const started = ctx.now();
  const o = { signal: ctx.signal };
  let last = '';
  for (;;) {
    const check = await condition(ctx, s, o);
    const secs = Math.max(1, Math.round((ctx.now() - started) / 1000));
    if (check.ok) return { state: 'done', note: t(ctx.lang, 'runbook.wait.met', { secs, what: check.what }) };
    last = check.what;
    if (ctx.now() - started >= s.timeoutMs) return { state: 'failed', note: t(ctx.lang, 'runbook.wait.timeout', { limit: formatDuration(s.timeoutMs), what: last }) };
    if (ctx.signal.aborted) return { state: 'failed', note: t(ctx.lang, 'runbook.wait.aborted', { what: last }) };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function condition(ctx: CommandContext, s: Extract<PlannedStep, { kind: 'wait' }>, o: { signal: AbortSignal }): Promise<{ ok: boolean; what: string }> {
  const { namespace: ns } = s.target;
  if (s.wait === 'ready') {
    const name = s.target.deployment as string;
    const dep = await ctx.kube.readDeployment(ns, name, o);
    const selector = Object.entries(dep.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = selector ? await ctx.kube.listPods(ns, selector, o) : [];
    const want = dep.spec?.replicas ?? 1;
    const ready = pods.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp).length;
    const terminating = pods.filter((p) => p.metadata?.deletionTimestamp).length;
    const what = t(ctx.lang, 'runbook.wait.readyWhat', { ready, want, terminating });
    return { ok: rolloutComplete(dep) && ready === want && terminating === 0, what };
  }
  if (s.wait === 'gone') {
    try {
      const pod: V1Pod = await ctx.kube.readPod(ns, s.target.pod as string, o);
      return { ok: false, what: t(ctx.lang, 'runbook.wait.stillThere', { pod: `${ns}/${pod.metadata?.name}` }) };
    } catch (e) {
      if (e instanceof NotFoundError) return { ok: true, what: t(ctx.lang, 'runbook.wait.goneWhat', { pod: `${ns}/${s.target.pod}` }) };
      throw e;
    }
  }
  const left = (await ctx.kube.listPodsOnNode(s.target.node as string, o)).filter(evictable);
  return { ok: left.length === 0, what: t(ctx.lang, 'runbook.wait.drainedWhat', { n: left.length, node: s.target.node as string }) };
}


function isReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && Boolean(p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/** The same refusal, said as "step 2/3: …" (its kind, code and hint kept). */
function inStep(e: OpsError, says: Text): OpsError {
  const hint = e.hints('en') === undefined ? undefined : { en: e.hints('en') as string, zh: e.hints('zh') as string };
  if (e instanceof UsageError) return new UsageError(says, hint, e.code);
  if (e instanceof NotAllowedError) return new NotAllowedError(says, e.code, hint);
  if (e instanceof NotFoundError) return new NotFoundError(says);
  if (e instanceof ConflictError) return new ConflictError(says, e.code);
  if (e instanceof NothingToDoError) return new NothingToDoError(says);
  return new UpstreamError(says, { code: e.code, cause: e.cause ?? e });
}
