import type { Block, Card } from './model.js';
import { table } from './util.js';
import { type Lang, t } from '../src/core/i18n.js';
import { humanNumber, type QueryResult, seriesName, sparkline } from '../src/core/prometheus.js';

export type Unit = 'cores' | 'bytes' | 'count' | 'percent' | 'seconds' | 'rate';

/** A value in its unit: `512Mi`, `0.25`, `12%`, `3.2s`. */
export function formatValue(v: number, unit?: Unit): string {
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'bytes') {
    const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
    let x = v;
    let i = 0;
    while (Math.abs(x) >= 1024 && i < units.length - 1) {
      x /= 1024;
      i++;
    }
    return `${Number(x.toPrecision(3))}${units[i]}`;
  }
  if (unit === 'percent') return `${humanNumber(v)}%`;
  if (unit === 'seconds') return `${humanNumber(v)}s`;
  return humanNumber(v);
}

const short = (q: string) => (q.length > 60 ? `${q.slice(0, 57)}…` : q);

/**
 * A PromQL answer as a card: an instant vector as a table (largest first), a range as one row per
 * series with a text sparkline and min / max / last — readable on every platform, phones included.
 */
const lastOf = (series: { samples: [number, number][] }) => series.samples.at(-1)?.[1] ?? Number.NaN;

/** Largest last value first: the order of the table, and of the chart's first 50 lines. */
export function sortedByLast<S extends { samples: [number, number][] }>(series: readonly S[]): S[] {
  return [...series].sort((a, b) => (lastOf(b) || 0) - (lastOf(a) || 0));
}

export function queryCard(r: QueryResult, o: { query: string; title?: string; lang: Lang; unit?: Unit; range?: string; image?: Block }): Card {
  const L = o.lang;
  if (r.type === 'scalar') return { title: t(L, 'prom.title.scalar', { query: short(o.query), value: formatValue(r.value, o.unit) }), tone: 'info', blocks: [], lang: L };
  const n = r.series.length + r.truncated;
  const title = o.title ?? (r.type === 'matrix' ? t(L, 'prom.title.range', { range: o.range ?? '', n, query: short(o.query) }) : t(L, 'prom.title.instant', { n, query: short(o.query) }));
  if (!r.series.length) return { title, tone: 'info', blocks: [{ type: 'markdown', text: t(L, 'prom.empty') }, { type: 'code', text: o.query }], lang: L };
  const sorted = sortedByLast(r.series);
  const more = r.truncated ? t(L, 'prom.more', { n: r.truncated }) : undefined;
  const block =
    r.type === 'vector'
      ? table([t(L, 'prom.col.series'), t(L, 'prom.col.value')], sorted.map((s) => [seriesName(s.labels), formatValue(lastOf(s), o.unit)]), { keepFirstColumn: true, ...(more ? { note: more } : {}) })
      : table(
          [t(L, 'prom.col.series'), t(L, 'prom.col.trend'), 'min', 'max', 'last'],
          sorted.map((s) => {
            const vs = s.samples.map(([, v]) => v);
            const fin = vs.filter(Number.isFinite);
            return [seriesName(s.labels), sparkline(vs, 16), formatValue(Math.min(...fin), o.unit), formatValue(Math.max(...fin), o.unit), formatValue(lastOf(s), o.unit)];
          }),
          { keepFirstColumn: true, maxRows: 10, ...(more ? { note: more } : {}) },
        );
  // A range's chart first where one was drawn; the table (trend, min, max, last) says the same in text.
  return { title, tone: 'info', blocks: o.image ? [o.image, block] : [block], footer: short(o.query), lang: L };
}
