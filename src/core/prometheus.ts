import { withDeadline } from './deadline.js';
import { UpstreamError } from './errors.js';
import { msg } from './i18n.js';

/** One series: its labels and its samples ([unix seconds, value]); an instant query has one sample. */
export interface Series {
  labels: Record<string, string>;
  samples: [number, number][];
}

export type QueryResult = { type: 'vector' | 'matrix'; series: Series[]; truncated: number } | { type: 'scalar'; value: number; at: number };

/** The most bytes of one answer read (a query that would return more is refused with a hint). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** The most series kept from one answer; the rest are counted. */
export const MAX_SERIES = 200;
/** Range queries: at most this many points per series (Prometheus itself refuses more than 11,000). */
export const MAX_POINTS = 1500;

/**
 * Prometheus's HTTP API (PROMETHEUS_URL): instant and range queries, each bounded in time and size. A
 * PromQL error comes back as one line in Prometheus's own words ("bad_data: parse error at char 5: …").
 */
export class PrometheusClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  instant(query: string, at?: number, signal?: AbortSignal): Promise<QueryResult> {
    return this.#get('/api/v1/query', { query, ...(at !== undefined ? { time: String(at / 1000) } : {}), timeout: `${Math.floor(this.timeoutMs / 1000)}s` }, signal);
  }

  range(query: string, startMs: number, endMs: number, stepMs: number, signal?: AbortSignal): Promise<QueryResult> {
    return this.#get('/api/v1/query_range', { query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000), timeout: `${Math.floor(this.timeoutMs / 1000)}s` }, signal);
  }

  #get(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<QueryResult> {
    return withDeadline(this.timeoutMs, signal, (s) => this.#post(path, params, s));
  }

  async #post(path: string, params: Record<string, string>, s: AbortSignal): Promise<QueryResult> {
    let r: Response;
    try {
      // POST with a form body, as Grafana does: a long PromQL does not hit URL length limits.
      r = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(params), signal: s });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || s.aborted) throw new UpstreamError(msg('prom.timeout', { s: Math.round(this.timeoutMs / 1000) }));
      throw new UpstreamError(msg('prom.unreachable', { url: this.baseUrl, reason: (e.cause as Error | undefined)?.message ?? e.message }));
    }
    const text = await readBounded(r, MAX_ANSWER_BYTES);
    if (text === undefined) throw new UpstreamError(msg('prom.tooLarge', { mb: MAX_ANSWER_BYTES / 1024 / 1024 }));
    let body: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UpstreamError(msg('prom.notJson', { status: r.status }));
    }
    if (body.status !== 'success') throw new UpstreamError(msg('prom.error', { type: body.errorType ?? String(r.status), error: (body.error ?? text).split('\n')[0]?.slice(0, 300) ?? '' }));
    return toResult(body.data?.resultType, body.data?.result);
  }
}

async function readBounded(r: Response, max: number): Promise<string | undefined> {
  const reader = r.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toResult(type: string | undefined, result: unknown): QueryResult {
  if (type === 'scalar' && Array.isArray(result)) return { type: 'scalar', at: Number(result[0]) * 1000, value: Number(result[1]) };
  if ((type === 'vector' || type === 'matrix') && Array.isArray(result)) {
    const all = result as { metric?: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
    const series = all.slice(0, MAX_SERIES).map((x) => ({
      labels: x.metric ?? {},
      samples: (type === 'vector' ? (x.value ? [x.value] : []) : (x.values ?? [])).map(([t, v]) => [Number(t), Number(v)] as [number, number]),
    }));
    return { type, series, truncated: Math.max(0, all.length - MAX_SERIES) };
  }
  throw new UpstreamError(msg('prom.unsupported', { type: String(type) }));
}

/** `container_cpu_usage_seconds_total{namespace="production", pod="api-1"}` without the noise: the name, then labels. */
export function seriesName(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.entries(rest)
    .filter(([k]) => k !== 'job' && k !== 'instance')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return inner ? `${name ?? ''}{${inner}}` : (name ?? '{}');
}

/** A number people read: 3 significant digits, k/M/G for large, plain for small. */
export function humanNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(3)).toString();
}

/** ▁▂▃▄▅▆▇█ over the samples (at most `width` characters): a chart where a platform shows only text. */
export function sparkline(values: readonly number[], width = 24): string {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return '';
  const step = Math.max(1, Math.ceil(values.length / width));
  const buckets: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const part = values.slice(i, i + step).filter(Number.isFinite);
    if (part.length) buckets.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const bars = '▁▂▃▄▅▆▇█';
  return buckets.map((v) => bars[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)]).join('');
}
