import type { KObject } from './types.js';

type Req = (labels: Record<string, string>) => boolean;

/**
 * Label selectors as the API server accepts them: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a`, `!a`, comma-separated. Returns undefined for a selector it cannot parse (the server answers 400).
 */
export function parseLabelSelector(sel: string): Req | undefined {
  const reqs: Req[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as [string, string, string, string];
      const vals = list.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (l) => key in l && vals.includes(l[key] as string) : (l) => !(key in l) || !vals.includes(l[key] as string));
    } else if ((m = p.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/))) {
      const [, key, op, val] = m as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[key] !== val : (l) => l[key] === val);
    } else if ((m = p.match(/^!([\w./-]+)$/))) {
      const key = m[1] as string;
      reqs.push((l) => !(key in l));
    } else if ((m = p.match(/^([\w./-]+)$/))) {
      const key = m[1] as string;
      reqs.push((l) => key in l);
    } else return undefined;
  }
  return (labels) => reqs.every((r) => r(labels));
}

/** Field selectors: `a.b=c`, `a.b==c`, `a.b!=c`, comma-separated, over dotted paths of the object. */
export function parseFieldSelector(sel: string): ((o: KObject) => boolean) | undefined {
  const reqs: ((o: KObject) => boolean)[] = [];
  for (const raw of sel.split(',')) {
    const p = raw.trim();
    if (!p) continue;
    const m = p.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) return undefined;
    const [, path, op, val] = m as [string, string, string, string];
    const get = (o: KObject) => {
      let v: unknown = o;
      for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      return v === undefined || v === null ? '' : String(v);
    };
    reqs.push(op === '!=' ? (o) => get(o) !== val : (o) => get(o) === val);
  }
  return (o) => reqs.every((r) => r(o));
}
