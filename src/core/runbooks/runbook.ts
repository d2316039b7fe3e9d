import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { Policy } from '../../config/policy.js';
import { RISK_LEVELS } from '../../config/policy.js';
import type { AnyCommandSpec } from '../command.js';
import { parseDuration } from '../duration.js';
import type { Text } from '../i18n.js';
import type { TemplateError } from './template.js';
import { checkTemplate, namesIn } from './template.js';

/**
 * Runbooks: YAML files (OPSBOT_RUNBOOKS folders) that name a sequence of registered commands with
 * templated arguments and waits, approved once as a whole. Everything is checked when the bot starts —
 * each problem with its file, line and YAML path — so a runbook that would fail on its first run never
 * loads.
 */

export const MAX_STEPS = 20;
const MAX_FILE_BYTES = 64 * 1024;
const MAX_RUNBOOKS = 200;
const MIN_WAIT_MS = 1000;
const MAX_WAIT_MS = 30 * 60_000;

const text = z.union([z.string().min(1).max(300), z.strictObject({ en: z.string().min(1).max(300), zh: z.string().min(1).max(300) })]);
const template = z.string().min(1).max(300);
const duration = z
  .union([z.string(), z.number()])
  .transform((v, c) => {
    const ms = typeof v === 'number' ? v * 1000 : parseDuration(v);
    if (ms === undefined || ms < MIN_WAIT_MS || ms > MAX_WAIT_MS) {
      c.addIssue({ code: 'custom', message: `"${v}" is not a duration between 1s and 30m (e.g. 5m)` });
      return z.NEVER;
    }
    return ms;
  });

const param = z.strictObject({
  type: z.enum(['string', 'name', 'namespace', 'node', 'integer', 'boolean']),
  description: text.optional(),
  required: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** The values a string may take. */
  enum: z.array(z.string()).min(1).optional(),
});

/** A value read from the cluster when the run is requested: frozen into the approval (and its rollback). */
const readDeployment = z.strictObject({ deployment: template, namespace: template.optional(), field: z.enum(['replicas', 'readyReplicas', 'revision', 'image']) });
const readPod = z.strictObject({ pod: template, namespace: template.optional(), field: z.enum(['deployment', 'node']) });
const read = z.union([readDeployment, readPod]);

const commandStep = z.strictObject({
  command: z.string().min(1).max(40),
  args: z.record(z.string(), z.union([template, z.number(), z.boolean()])).default({}),
  title: text.optional(),
});
const waitStep = z.discriminatedUnion('wait', [
  /** The deployment's rollout is complete, every one of its pods ready and none terminating. */
  z.strictObject({ wait: z.literal('ready'), deployment: template, namespace: template.optional(), timeout: duration, title: text.optional() }),
  /** No pod left on the node but DaemonSet and mirror pods. */
  z.strictObject({ wait: z.literal('drained'), node: template, timeout: duration, title: text.optional() }),
  /** The pod no longer exists (its controller may have made a new one under another name). */
  z.strictObject({ wait: z.literal('gone'), pod: template, namespace: template.optional(), timeout: duration, title: text.optional() }),
]);
const step = z.union([commandStep, waitStep]);

const runbookSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, _ and -, starting with a letter (at most 40)'),
  title: text.optional(),
  description: text,
  risk: z.enum(RISK_LEVELS),
  params: z.record(z.string().regex(/^[a-z][a-zA-Z0-9_]{0,30}$/, 'a parameter name is a letter then letters, digits or _'), param).default({}),
  read: z.record(z.string().regex(/^[a-z][a-zA-Z0-9_]{0,30}$/, 'a value name is a letter then letters, digits or _'), read).default({}),
  steps: z.array(step).min(1).max(MAX_STEPS),
  rollback: z.array(step).min(1).max(MAX_STEPS).optional(),
});

export type RunbookParam = z.output<typeof param>;
export type RunbookRead = z.output<typeof read>;
export type RunbookStep = z.output<typeof step>;
export type CommandStep = z.output<typeof commandStep>;
export type WaitStep = z.output<typeof waitStep>;
export type Runbook = z.output<typeof runbookSchema> & { file: string };

export function isWait(s: RunbookStep): s is WaitStep {
  return 'wait' in s;
}

/** A runbook's text (title, description) in one language. */
export function say(v: string | { en: string; zh: string } | undefined, lang: 'en' | 'zh'): string {
  return v === undefined ? '' : typeof v === 'string' ? v : v[lang];
}

export function asText(v: string | { en: string; zh: string }): Text {
  return typeof v === 'string' ? { en: v, zh: v } : v;
}

/**
 * The parameters an alert gives a runbook: each label named like a parameter (namespace, deployment,
 * pod, node…) — the group's common labels, and a lone alert's own — then the `runbook_params`
 * annotation's `key=value` words, which win. `missing`: required parameters neither gave.
 */
export function paramsFromAlert(rb: Runbook, labels: Readonly<Record<string, string>>, annotation?: string): { params: string; missing: string[] } {
  const out = new Map<string, string>();
  for (const k of Object.keys(rb.params)) if (labels[k] !== undefined && /^\S{1,200}$/.test(labels[k])) out.set(k, labels[k]);
  for (const w of (annotation ?? '').split(/\s+/).slice(0, 20)) {
    const m = /^([A-Za-z]\w*)=(\S{1,200})$/.exec(w);
    if (m && rb.params[m[1] as string]) out.set(m[1] as string, m[2] as string);
  }
  const missing = Object.entries(rb.params).filter(([k, p]) => !out.has(k) && p.default === undefined && p.required !== false && p.type !== 'namespace').map(([k]) => k);
  return { params: [...out].map(([k, v]) => `${k}=${v}`).join(' '), missing };
}

/** The runbooks the bot loaded, by name. */
export class Runbooks {
  readonly #byName: Map<string, Runbook>;
  constructor(list: readonly Runbook[]) {
    this.#byName = new Map(list.map((r) => [r.name, r]));
  }
  get list(): Runbook[] {
    return [...this.#byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  get(name: string): Runbook | undefined {
    return this.#byName.get(name.toLowerCase().replace(/-/g, '_')) ?? this.#byName.get(name.toLowerCase());
  }
}

export type RunbooksResult = { ok: true; runbooks: Runbooks } | { ok: false; problems: string[] };

/** Commands a runbook may not call: the workflow's own (approving is for humans) and runbooks themselves. */
const NOT_A_STEP = new Set(['runbook', 'runbook-run', 'approve', 'reject', 'cancel', 'reset']);

/**
 * Loads every `*.yaml`/`*.yml` in the folders (in order; a later folder's runbook of the same name is a
 * problem, not an override). Every problem is reported, each as `file:line: path: what`.
 */
export function loadRunbooks(dirs: readonly string[], registry: { find(name: string): AnyCommandSpec | undefined }, policy: Policy): RunbooksResult {
  const problems: string[] = [];
  const list: Runbook[] = [];
  const where = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) {
        problems.push(`OPSBOT_RUNBOOKS: ${dir} is not a folder`);
        continue;
      }
      names = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch (e) {
      problems.push(`OPSBOT_RUNBOOKS: cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    for (const f of names) {
      const file = join(dir, f);
      if (list.length >= MAX_RUNBOOKS) {
        problems.push(`${file}: more than ${MAX_RUNBOOKS} runbooks`);
        break;
      }
      let body: string;
      try {
        const size = statSync(file).size;
        if (size > MAX_FILE_BYTES) {
          problems.push(`${file}: ${size} bytes, more than a runbook may have (${MAX_FILE_BYTES})`);
          continue;
        }
        body = readFileSync(file, 'utf8');
      } catch (e) {
        problems.push(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        continue;
      }
      const r = parseRunbook(body, file, registry, policy);
      if (!r.ok) {
        problems.push(...r.problems);
        continue;
      }
      const before = where.get(r.runbook.name);
      if (before) {
        problems.push(`${file}: name: "${r.runbook.name}" is also the name of ${before}`);
        continue;
      }
      where.set(r.runbook.name, file);
      list.push(r.runbook);
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, runbooks: new Runbooks(list) };
}

/** One runbook file's text: parsed, validated, cross-checked against the commands and the policy. */
export function parseRunbook(body: string, file: string, registry: { find(name: string): AnyCommandSpec | undefined }, policy: Policy): { ok: true; runbook: Runbook } | { ok: false; problems: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) return { ok: false, problems: doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`) };
  const at = (path: readonly PropertyKey[]): string => {
    const node = doc.getIn(path, true) as { range?: [number, number] } | undefined;
    const line = node?.range ? lines.linePos(node.range[0]).line : undefined;
    return `${file}${line ? `:${line}` : ''}: ${pathText(path) || '(top)'}`;
  };
  const parsed = runbookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const raw = doc.toJS() as unknown;
    return { ok: false, problems: parsed.error.issues.flatMap((i) => specific(i, raw)).slice(0, 20).map((i) => `${at(i.path)}: ${issueText(i)}`) };
  }
  const rb: Runbook = { ...parsed.data, file };
  const problems: string[] = [];
  const params = new Set(Object.keys(rb.params));
  const reads = new Set(Object.keys(rb.read));
  for (const name of reads) if (params.has(name)) problems.push(`${at(['read', name])}: "${name}" is also a parameter`);
  const refs = (value: unknown, path: PropertyKey[], allowed: Set<string>) => {
    if (typeof value !== 'string') return;
    try {
      checkTemplate(value);
    } catch (e) {
      problems.push(`${at(path)}: ${(e as TemplateError).message}`);
      return;
    }
    for (const n of namesIn(value)) {
      if (!allowed.has(n)) problems.push(`${at(path)}: "{{${n}}}" is neither a parameter nor a value read (has: ${[...allowed].join(', ') || 'none'})`);
    }
  };
  for (const [name, p] of Object.entries(rb.params)) {
    const path = ['params', name];
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) problems.push(`${at(path)}: min is greater than max`);
    if ((p.min !== undefined || p.max !== undefined) && p.type !== 'integer') problems.push(`${at(path)}: min and max are for integers`);
    if (p.enum && p.type !== 'string') problems.push(`${at(path)}: enum is for strings`);
    if (p.default !== undefined && p.required) problems.push(`${at(path)}: a parameter with a default is not required`);
    if (p.default !== undefined && (p.type === 'integer' ? typeof p.default !== 'number' : p.type === 'boolean' ? typeof p.default !== 'boolean' : typeof p.default !== 'string')) problems.push(`${at([...path, 'default'])}: not a ${p.type}`);
  }
  for (const [name, r] of Object.entries(rb.read)) for (const [k, v] of Object.entries(r)) if (k !== 'field') refs(v, ['read', name, k], params);
  const all = new Set([...params, ...reads]);
  const checkSteps = (steps: readonly RunbookStep[], key: 'steps' | 'rollback') => {
    steps.forEach((s, i) => {
      const path = [key, i];
      if (isWait(s)) {
        for (const [k, v] of Object.entries(s)) if (k !== 'wait' && k !== 'timeout' && k !== 'title') refs(v, [...path, k], all);
        return;
      }
      const spec = registry.find(s.command);
      if (!spec) return problems.push(`${at([...path, 'command'])}: unknown command "${s.command}"`);
      if (NOT_A_STEP.has(spec.name) || spec.authz === 'self') return problems.push(`${at([...path, 'command'])}: /${spec.name} cannot be a runbook step`);
      if (spec.name !== s.command) return problems.push(`${at([...path, 'command'])}: write the command's name "${spec.name}", not an alias`);
      const shape = spec.args.shape as Record<string, unknown>;
      for (const [k, v] of Object.entries(s.args)) {
        if (k === 'cluster') problems.push(`${at([...path, 'args', k])}: a step runs on the run's cluster (run the runbook with --cluster)`);
        else if (!(k in shape)) problems.push(`${at([...path, 'args', k])}: /${spec.name} has no argument "${k}" (has: ${Object.keys(shape).filter((x) => x !== 'cluster').join(', ')})`);
        else if (k === 'namespace' && typeof v === 'string' && namesIn(v).some((n) => reads.has(n))) problems.push(`${at([...path, 'args', k])}: a namespace comes from the parameters, not from a value read`);
        refs(v, [...path, 'args', k], all);
      }
      return undefined;
    });
  };
  checkSteps(rb.steps, 'steps');
  if (rb.rollback) checkSteps(rb.rollback, 'rollback');
  if (!policy.approvals.risk[rb.risk]) problems.push(`${at(['risk'])}: no approval chain for risk "${rb.risk}" in the policy (approvals.risk.${rb.risk})`);
  return problems.length ? { ok: false, problems } : { ok: true, runbook: rb };
}

/**
 * A step or a value read that matches no form: the issues of the form it was meant to be (by its keys),
 * rather than "matches none".
 */
function specific(i: z.core.$ZodIssue, raw: unknown): z.core.$ZodIssue[] {
  if (i.code !== 'invalid_union') return [i];
  let item: unknown = raw;
  for (const k of i.path) item = item && typeof item === 'object' ? (item as Record<PropertyKey, unknown>)[k] : undefined;
  if (!item || typeof item !== 'object') return [i];
  const keys = item as Record<string, unknown>;
  const schema = i.path[0] === 'read' ? ('pod' in keys ? readPod : 'deployment' in keys ? readDeployment : undefined) : 'command' in keys ? commandStep : 'wait' in keys ? waitStep : undefined;
  const r = schema?.safeParse(item);
  if (!r || r.success) return [i];
  return r.error.issues.map((x) => ({ ...x, path: [...i.path, ...x.path] }) as z.core.$ZodIssue);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys') return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_union') return 'not a valid step (a step has `command` and `args`, or `wait: ready|drained|gone` with its target and `timeout`)';
  if (i.code === 'invalid_type' && i.input === undefined) return 'required';
  if (i.code === 'invalid_value') return `one of ${i.values.map(String).join(', ')}${i.input !== undefined ? ` (got ${JSON.stringify(i.input)})` : ''}`;
  return i.message;
}
