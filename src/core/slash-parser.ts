import { z } from 'zod';
import type { AnyCommandSpec } from './command.js';
import { UsageError } from './errors.js';
import { known, msg, same, type Text } from './i18n.js';

/**
 * Normalises what people type on a phone or a Chinese keyboard: full-width characters (／ － ＝ and the
 * ideographic space) become ASCII through NFKC, curly quotes become straight, a long dash typed for `--`
 * becomes `--`, and runs of spaces collapse.
 */
export function normalizeInput(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[“”„«»]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/(^|\s)(?:——|—|–)(?=\S)/g, '$1--')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits on spaces, keeping "quoted strings" (single or double) together. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === ' ') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new UsageError(msg('parse.quote', { quote }));
  if (has || cur) out.push(cur);
  return out;
}

/** `kubectl`-style resource prefixes people paste: `deploy/api`, `pod/x`, `deployment.apps/y`. */
const KIND_PREFIX: Record<string, string> = {
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  deploy: 'deployment',
  deployment: 'deployment',
  deployments: 'deployment',
  'deployment.apps': 'deployment',
  'deployments.apps': 'deployment',
  no: 'node',
  node: 'node',
  nodes: 'node',
};

type FieldKind = 'boolean' | 'number' | 'string';

/** The JSON-ish type of a field, looking through optional/default/pipe wrappers. */
export function fieldKind(schema: z.ZodType): FieldKind {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') s = def.innerType as z.ZodType;
    else if (def.type === 'pipe') s = def.in as z.ZodType;
    else if (def.type === 'boolean') return 'boolean';
    else if (def.type === 'number' || def.type === 'int') return 'number';
    else return 'string';
  }
  return 'string';
}

export function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

/** `/scale <deployment> <replicas> [-n namespace]`, generated from the spec. */
export function usageLine(spec: AnyCommandSpec): string {
  const shape = spec.args.shape as Record<string, z.ZodType>;
  const parts = [`/${spec.name}`];
  for (const p of spec.positionals) {
    const f = shape[p] as z.ZodType;
    const name = spec.rest === p ? `${p}…` : p;
    parts.push(isRequired(f) ? `<${name}>` : `[${name}]`);
  }
  for (const [field, names] of Object.entries(spec.flags ?? {}) as [string, string[]][]) {
    const f = shape[field] as z.ZodType;
    const flag = names[0] as string;
    const text = fieldKind(f) === 'boolean' ? flag : `${flag} <${field}>`;
    parts.push(isRequired(f) && !spec.positionals.includes(field) ? text : `[${text}]`);
  }
  return parts.join(' ');
}

/**
 * Turns the words after the command name into the command's validated arguments, or throws a
 * UsageError naming the field and showing the usage line. Nothing runs on a bad input.
 */
export function parseArgs(spec: AnyCommandSpec, words: string[]): Record<string, unknown> {
  const shape = spec.args.shape as Record<string, z.ZodType>;
  const usage = msg('parse.usage', { usage: usageLine(spec) });
  const flagIndex = new Map<string, string>();
  for (const [field, names] of Object.entries(spec.flags ?? {}) as [string, string[]][]) for (const n of names) flagIndex.set(n, field);
  const raw: Record<string, unknown> = {};
  const positionals: string[] = [];
  const set = (field: string, value: unknown, shown: string) => {
    if (field in raw) throw new UsageError(msg('parse.twice', { flag: shown }), usage);
    raw[field] = value;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.length > 1 && w.startsWith('-') && !/^-\d/.test(w)) {
      const eq = w.indexOf('=');
      let flag = eq > 0 ? w.slice(0, eq) : w;
      let inline: string | undefined = eq > 0 ? w.slice(eq + 1) : undefined;
      let field = flagIndex.get(flag);
      if (!field && /^-[A-Za-z]./.test(flag) && !flag.startsWith('--')) {
        // kubectl's `-nproduction`
        const short = flag.slice(0, 2);
        const f = flagIndex.get(short);
        if (f && fieldKind(shape[f] as z.ZodType) !== 'boolean') {
          field = f;
          inline = flag.slice(2) + (inline !== undefined ? `=${inline}` : '');
          flag = short;
        }
      }
      if (!field) {
        const known = [...flagIndex.keys()].join(', ');
        throw new UsageError(known ? msg('parse.option', { flag, known }) : msg('parse.optionNone', { flag }), usage);
      }
      if (fieldKind(shape[field] as z.ZodType) === 'boolean') {
        if (inline !== undefined && !/^(true|false)$/.test(inline)) throw new UsageError(msg('parse.noValue', { flag }), usage);
        set(field, inline !== 'false', flag);
      } else {
        const value = inline ?? words[++i];
        if (value === undefined || value === '') throw new UsageError(msg('parse.needsValue', { flag }), usage);
        set(field, value, flag);
      }
      continue;
    }
    const slash = w.indexOf('/');
    const kind = slash > 0 ? KIND_PREFIX[w.slice(0, slash).toLowerCase()] : undefined;
    if (kind && slash < w.length - 1) {
      const expectsKind = spec.positionals[positionals.length] === 'kind';
      if (expectsKind) positionals.push(w.slice(0, slash));
      positionals.push(w.slice(slash + 1));
    } else {
      positionals.push(w);
    }
  }
  const last = spec.positionals[spec.positionals.length - 1];
  if (spec.rest && spec.rest === last && positionals.length > spec.positionals.length) {
    const head = positionals.slice(0, spec.positionals.length - 1);
    positionals.splice(0, positionals.length, ...head, positionals.slice(spec.positionals.length - 1).join(' '));
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).join(' ');
    throw new UsageError(msg('parse.extra', { extra }), usage);
  }
  // `/describe api-gateway`: an optional leading `kind` given a word that is no kind is skipped, and the
  // word fills the next field (the command infers the kind, or asks).
  const fields = [...spec.positionals] as string[];
  if (fields[0] === 'kind' && positionals.length < fields.length && positionals[0] !== undefined && isOptionalEnumWithout(shape['kind'] as z.ZodType, positionals[0])) fields.shift();
  positionals.forEach((v, i) => {
    const field = fields[i] as string;
    set(field, v, field);
  });
  // Coerce numbers here, not with z.coerce, so the LLM tool schema still says "integer".
  for (const [field, v] of Object.entries(raw)) {
    if (typeof v === 'string' && fieldKind(shape[field] as z.ZodType) === 'number' && /^-?\d+(\.\d+)?$/.test(v)) raw[field] = Number(v);
  }
  return validateArgs(spec, raw);
}

/** True when `t` is an optional enum that does not list `word`. */
function isOptionalEnumWithout(t: z.ZodType | undefined, word: string): boolean {
  if (!(t instanceof z.ZodOptional)) return false;
  const inner = t.unwrap();
  return inner instanceof z.ZodEnum && !(inner.options as string[]).includes(word.toLowerCase());
}

/** Validates an argument object (from the parser or an LLM tool call) against the spec. */
export function validateArgs(spec: AnyCommandSpec, raw: unknown): Record<string, unknown> {
  const r = spec.args.safeParse(raw);
  if (r.success) return r.data as Record<string, unknown>;
  const issue = r.error.issues[0] as z.core.$ZodIssue;
  const field = issue.path.length ? String(issue.path[0]) : '';
  const given = field && raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[field] : undefined;
  const problem = describeIssue(issue, given);
  throw new UsageError(field ? msg('parse.field', { field, problem }) : problem, msg('parse.usage', { usage: usageLine(spec) }));
}

function describeIssue(issue: z.core.$ZodIssue, given: unknown): Text {
  if (issue.code === 'invalid_type' && given === undefined) return msg('parse.required');
  if (issue.code === 'invalid_type' && issue.expected === 'number') return typeof given === 'string' || typeof given === 'boolean' ? msg('parse.number', { given: String(given) }) : msg('parse.numberPlain');
  if (issue.code === 'unrecognized_keys') return msg('parse.unknownArg', { keys: issue.keys.join(', ') });
  // The schema library's own wording ("Invalid option: expected one of …", "Too small: expected number
  // to be >=1") never reaches a person: each kind of issue has plain words in the catalogue.
  let problem: Text;
  const said = known(issue.message);
  // A message the schema's author wrote (in the catalogue, or not the library's default wording) stands.
  if (typeof said !== 'string') problem = said;
  else if (!/^(Too (small|big)|Invalid|Expected|Unrecognized)/i.test(said)) problem = same(said);
  else if (issue.code === 'invalid_value') problem = msg('parse.oneOf', { values: issue.values.map(String).join(', ') });
  else if (issue.code === 'too_small') problem = msg(issue.origin === 'string' ? 'parse.minLen' : 'parse.min', { n: String(issue.minimum) });
  else if (issue.code === 'too_big') problem = msg(issue.origin === 'string' ? 'parse.maxLen' : 'parse.max', { n: String(issue.maximum) });
  else if (issue.code === 'invalid_type' && issue.expected === 'int') problem = msg('parse.integer');
  else problem = msg('parse.invalid');
  return typeof given === 'string' ? msg('parse.got', { problem, given: given.length > 40 ? given.slice(0, 37) + '...' : given }) : problem;
}

/** The slash command an argument object stands for: `/logs order-service -n production --tail 50`. */
export function formatCommand(spec: AnyCommandSpec, args: Record<string, unknown>): string {
  const parts = [`/${spec.name}`];
  const quote = (v: unknown) => {
    const s = String(v);
    return /[\s"']/.test(s) ? JSON.stringify(s) : s;
  };
  for (const p of spec.positionals) if (args[p] !== undefined) parts.push(quote(args[p]));
  for (const [field, names] of Object.entries(spec.flags ?? {}) as [string, string[]][]) {
    const v = args[field];
    if (v === undefined || v === false || spec.positionals.includes(field)) continue;
    parts.push(v === true ? (names[0] as string) : `${names[0]} ${quote(v)}`);
  }
  return parts.join(' ');
}
