/**
 * Alertmanager's label matchers (`name="value"`, `!=`, `=~`, `!~`; regexes fully anchored, as
 * Alertmanager anchors them), for the policy's alert routes.
 */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  re?: RegExp;
}

const SYNTAX = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

export function parseMatcher(text: string): Matcher {
  const m = SYNTAX.exec(text);
  if (!m) throw new Error(`not a matcher: ${text} (use name="value", name!="value", name=~"regex" or name!~"regex")`);
  const op = m[2] as Matcher['op'];
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
  if (op === '=~' || op === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch {
      throw new Error(`bad regex in ${text}`);
    }
    return { name: m[1] as string, op, value, re };
  }
  return { name: m[1] as string, op, value };
}

export function matcherProblem(text: string): string | undefined {
  try {
    parseMatcher(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A missing label is the empty string, as in Alertmanager. */
export function matches(ms: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return ms.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return (m.re as RegExp).test(v);
      case '!~':
        return !(m.re as RegExp).test(v);
    }
  });
}
