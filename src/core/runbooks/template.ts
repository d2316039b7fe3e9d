/**
 * Runbook argument templates: `{{ deployment }}`, `{{ replicas + by }}`, `order-{{ env }}`. A value is
 * text with `{{ … }}` holes; a hole is a sum of names and whole numbers (`a + 2 - b`). That is all a
 * runbook needs (scale by N, scale back to what it was) and all it gets: no calls, no strings built by
 * code, nothing a YAML author could turn into something the approval card does not show. A value that
 * is one hole keeps the hole's type (a number stays a number, an unset optional name drops the argument).
 */

export type Vars = Readonly<Record<string, string | number | boolean | undefined>>;

export class TemplateError extends Error {}

const HOLE = /\{\{([^{}]*)\}\}/g;
const TOKEN = /\s*(?:(\d{1,15})|([A-Za-z_][\w]*)|([+-]))/y;

/** The names a template refers to (load-time checks: every name is a parameter or a value read). */
export function namesIn(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(HOLE)) for (const t of tokens(m[1] as string)) if (t.kind === 'name') out.push(t.value);
  return out;
}

/** Throws TemplateError on a malformed hole (load-time checks). */
export function checkTemplate(template: string): void {
  const rest = template.replace(HOLE, '');
  if (rest.includes('{{') || rest.includes('}}')) throw new TemplateError(`unbalanced {{ }} in "${template}"`);
  for (const m of template.matchAll(HOLE)) parse(m[1] as string);
}

/**
 * The value of `template` given `vars`: a number when the template is one hole that sums to one,
 * undefined when it is one hole naming an unset value, else text. Throws TemplateError (an unknown name,
 * a sum over text).
 */
export function render(template: string, vars: Vars): string | number | boolean | undefined {
  const whole = /^\{\{([^{}]*)\}\}$/.exec(template.trim());
  if (whole) return evaluate(whole[1] as string, vars);
  return template.replace(HOLE, (_, expr: string) => {
    const v = evaluate(expr, vars);
    if (v === undefined) throw new TemplateError(`"${expr.trim()}" has no value`);
    return String(v);
  });
}

type Token = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: '+' | '-' };

function tokens(expr: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < expr.length && expr.slice(at).trim()) {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(expr);
    if (!m) throw new TemplateError(`cannot read "{{${expr}}}" at "${expr.slice(at).trim()}" (a hole is names and whole numbers joined by + or -)`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: 'name', value: m[2] });
    else out.push({ kind: 'op', value: m[3] as '+' | '-' });
    at = TOKEN.lastIndex;
  }
  return out;
}

/** Operands and operators, alternating, starting and ending with an operand. */
function parse(expr: string): Token[] {
  const ts = tokens(expr);
  if (!ts.length) throw new TemplateError('an empty {{ }}');
  ts.forEach((t, i) => {
    if ((i % 2 === 0) !== (t.kind !== 'op')) throw new TemplateError(`cannot read "{{${expr}}}" (a hole is names and whole numbers joined by + or -)`);
  });
  if (ts.length % 2 === 0) throw new TemplateError(`"{{${expr}}}" ends with an operator`);
  if (ts.length > 15) throw new TemplateError(`"{{${expr}}}" is too long`);
  return ts;
}

function evaluate(expr: string, vars: Vars): string | number | boolean | undefined {
  const ts = parse(expr);
  const value = (t: Token): string | number | boolean | undefined => {
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op') throw new TemplateError('unexpected operator');
    if (!Object.hasOwn(vars, t.value)) throw new TemplateError(`unknown name "${t.value}"`);
    return vars[t.value];
  };
  const first = value(ts[0] as Token);
  if (ts.length === 1) return first;
  let sum = asNumber(first, ts[0] as Token, expr);
  for (let i = 1; i < ts.length; i += 2) {
    const n = asNumber(value(ts[i + 1] as Token), ts[i + 1] as Token, expr);
    sum = (ts[i] as Token).value === '+' ? sum + n : sum - n;
  }
  return sum;
}

function asNumber(v: string | number | boolean | undefined, t: Token, expr: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  const name = t.kind === 'name' ? t.value : String(t.value);
  throw new TemplateError(`"{{${expr.trim()}}}" adds "${name}", which is ${v === undefined ? 'not set' : `"${String(v)}", not a whole number`}`);
}
