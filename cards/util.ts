import { LIMITS, truncate } from './limits.js';
import type { Block } from './model.js';

/** A table block cut to what a phone shows, with the count of the rest. Cells are cut, names are not. */
export function table(columns: string[], rows: string[][], opts: { maxRows?: number; note?: string; keepFirstColumn?: boolean } = {}): Block {
  const max = opts.maxRows ?? LIMITS.tableRows;
  const shown = rows.slice(0, max).map((r) => r.map((c, i) => (i === 0 && opts.keepFirstColumn !== false ? c : truncate(c, LIMITS.cellChars))));
  return { type: 'table', columns, rows: shown, ...(rows.length > max ? { omitted: rows.length - max } : {}), ...(opts.note ? { note: opts.note } : {}) };
}

/** `1 pod`, `3 pods`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** The tag of an image reference: `registry/x/api:v2.1` → `v2.1`. */
export function imageTag(image: string | undefined): string {
  if (!image) return '?';
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1, at + 20);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}
