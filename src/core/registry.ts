import { z } from 'zod';
import type { AnyCommandSpec } from './command.js';
import { UsageError } from './errors.js';
import { msg } from './i18n.js';
import { normalizeInput, parseArgs, tokenize, usageLine, validateArgs } from './slash-parser.js';

export interface ParsedCommand {
  spec: AnyCommandSpec;
  args: Record<string, unknown>;
}

/** An OpenAI-style function tool, generated from a command spec. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** All commands, looked up by name or alias. */
export class Registry {
  readonly #base: readonly AnyCommandSpec[];
  readonly #byName = new Map<string, AnyCommandSpec>();
  /** Commands that come and go at run time, by source (an MCP server's tools). */
  readonly #extra = new Map<string, Map<string, AnyCommandSpec>>();
  #tools?: ToolDefinition[];

  /** Every command: the built-in ones, then those of each source (MCP servers). */
  get commands(): readonly AnyCommandSpec[] {
    return this.#extra.size ? [...this.#base, ...[...this.#extra.values()].flatMap((m) => [...m.values()])] : this.#base;
  }

  /**
   * Replaces the commands of one source (an MCP server's tools, as it lists them). A name a built-in
   * command or another source has is refused (returned), never shadowed.
   */
  setExtra(source: string, specs: readonly AnyCommandSpec[]): string[] {
    const mine = new Map<string, AnyCommandSpec>();
    const refused: string[] = [];
    for (const s of specs) {
      const taken = this.#byName.has(s.name) || [...this.#extra].some(([src, m]) => src !== source && m.has(s.name)) || mine.has(s.name);
      if (taken) refused.push(s.name);
      else mine.set(s.name, s);
    }
    if (mine.size) this.#extra.set(source, mine);
    else this.#extra.delete(source);
    this.#tools = undefined;
    return refused;
  }

  constructor(commands: readonly AnyCommandSpec[]) {
    this.#base = commands;
    for (const c of commands) {
      for (const n of [c.name, ...(c.aliases ?? [])]) {
        if (this.#byName.has(n)) throw new Error(`command name "${n}" is defined twice`);
        this.#byName.set(n, c);
      }
    }
  }

  /**
   * The same commands, each that calls Kubernetes taking `--cluster <name>` (one of `clusters`): the
   * slash parser, the LLM tools, buttons and approvals then all carry the cluster. Commands themselves
   * never read it; the context they get is already that cluster's.
   */
  withClusters(clusters: readonly string[]): Registry {
    if (!clusters.length) return this;
    const cluster = z.enum(clusters as [string, ...string[]]).optional().describe('Cluster to act on (default: this chat\'s cluster).');
    return new Registry(
      this.commands.map((c) =>
        c.kube?.length && !c.eachCluster && !('cluster' in c.args.shape) ? { ...c, args: c.args.extend({ cluster }), flags: { ...c.flags, cluster: ['--cluster'] } } : c,
      ),
    );
  }

  get names(): string[] {
    return this.commands.map((c) => c.name);
  }

  find(name: string): AnyCommandSpec | undefined {
    const n = name.toLowerCase();
    const found = this.#byName.get(n);
    if (found) return found;
    for (const m of this.#extra.values()) {
      const s = m.get(n);
      if (s) return s;
    }
    return undefined;
  }

  /** Is this text a slash command (after normalisation)? */
  static isCommand(text: string): boolean {
    return normalizeInput(text).startsWith('/');
  }

  /** Parses `/name args…`. Unknown names get the closest match and a pointer to /help. */
  parse(text: string): ParsedCommand {
    let norm = normalizeInput(text);
    if (!norm.startsWith('/')) throw new UsageError(msg('parse.slash'), msg('parse.helpList'));
    // The name first: a command that takes its text as typed (PromQL) is not split on quotes.
    let name = (/^[^\s"']+/.exec(norm.slice(1))?.[0] ?? '').toLowerCase();
    if (!name) throw new UsageError(msg('parse.empty'), msg('parse.helpList'));
    // Two words for one command: `/runbook run …` is /runbook-run, `/delete pod …` is /delete-pod.
    const second = /^\s+([a-z][a-z-]*)(?=\s|$)/i.exec(norm.slice(1 + name.length))?.[1]?.toLowerCase();
    if (second && this.#byName.has(`${name}-${second}`)) {
      norm = `/${name}-${second}${norm.slice(1 + name.length).replace(/^\s+[a-z][a-z-]*/i, '')}`;
      name = `${name}-${second}`;
    }
    const spec = this.find(name);
    if (!spec) {
      const near = this.suggest(name);
      throw new UsageError(near ? msg('parse.unknownNear', { name, near }) : msg('parse.unknown', { name }), msg('parse.helpList'), 'unknown_command');
    }
    if (spec.verbatim && spec.rest) return { spec, args: parseVerbatim(spec, norm.slice(1 + name.length).trim()) };
    return { spec, args: parseArgs(spec, tokenize(norm.slice(1)).slice(1)) };
  }

  /** The closest command name or alias, if it is close enough to be a typo. */
  suggest(name: string): string | undefined {
    let best: { n: string; d: number } | undefined;
    for (const c of this.commands) {
      for (const n of [c.name, ...(c.aliases ?? [])]) {
        const d = n.startsWith(name) && name.length >= 2 ? 0.5 : editDistance(name, n);
        if (!best || d < best.d) best = { n: c.name, d };
      }
    }
    return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? best.n : undefined;
  }

  usage(spec: AnyCommandSpec): string {
    return usageLine(spec);
  }

  /** Tool definitions for the LLM, built once: the same schemas as the slash parser. */
  tools(): ToolDefinition[] {
    this.#tools ??= this.commands.filter((c) => c.llm !== false).map(toolFor);
    // (rebuilt when a source's commands change)
    return this.#tools;
  }
}

function toolFor(spec: AnyCommandSpec): ToolDefinition {
  const schema = structuredClone(spec.jsonSchema) ?? (z.toJSONSchema(spec.args, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
  delete schema.$schema;
  const description =
    spec.summary.en +
    (spec.mutating ? ' Only creates an approval request; a human must approve before anything changes.' : ' Read-only.');
  return { type: 'function', function: { name: spec.name.replace(/-/g, '_'), description, parameters: schema } };
}

/**
 * A command whose `rest` is taken as typed (PromQL, with its quotes): the spec's flags are read from the
 * end of the line (`… --range 1h --step 1m`), everything before them is the value.
 */
function parseVerbatim(spec: AnyCommandSpec, text: string): Record<string, unknown> {
  const byFlag = new Map<string, string>();
  for (const [field, names] of Object.entries(spec.flags ?? {}) as [string, string[]][]) for (const n of names) byFlag.set(n, field);
  const raw: Record<string, unknown> = {};
  let rest = text.trim();
  for (let i = 0; i < 10; i++) {
    const m = /(?:^|\s)(--?[A-Za-z][\w-]*)(?:=|\s+)(\S+)$/.exec(rest);
    const field = m ? byFlag.get(m[1] as string) : undefined;
    if (!m || !field) break;
    if (field in raw) throw new UsageError(msg('parse.twice', { flag: m[1] as string }), msg('parse.usage', { usage: usageLine(spec) }));
    raw[field] = m[2];
    rest = rest.slice(0, m.index).trimEnd();
  }
  if (rest) raw[spec.rest as string] = rest;
  return validateArgs(spec, raw);
}

/** Edit distance counting an adjacent transposition (`sacle` → `scale`) as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
