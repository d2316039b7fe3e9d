import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatValue } from '../cards/query.js';
import { ChartRenderer } from '../src/core/charts.js';
import { PrometheusClient } from '../src/core/prometheus.js';
import { createLogger } from '../src/log.js';
import { median, type Row } from './util.js';

const SERIES = 50;
const DAY_S = 86_400;
const RUNS = 15;

/**
 * A 24 h range query of 50 series — the real Prometheus from Debian over a TSDB backfilled with
 * `promtool tsdb create-blocks-from openmetrics` (a day of 1-minute samples per series) — rendered to PNG
 * by the chart renderer /query --range uses, against the bare query (PrometheusClient.range, the HTTP
 * round trip and JSON included) at the step /query picks for 24 h (range / 120 = 12 min).
 */
export async function benchCharts(): Promise<Row[]> {
  if (spawnSync('prometheus', ['--version']).status !== 0 || spawnSync('promtool', ['--version']).status !== 0) {
    return [{ metric: 'charts: 24 h × 50 series', value: 'skipped (no prometheus/promtool: apt-get install prometheus)', goal: '—', ok: true }];
  }
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-bench-charts-'));
  const end = Math.floor(Date.now() / 1000 / 60) * 60 - 3600;
  const lines = ['# TYPE bench_cpu_usage gauge'];
  for (let i = 0; i < SERIES; i++) {
    for (let t = end - DAY_S; t <= end; t += 60) lines.push(`bench_cpu_usage{namespace="production",pod="api-gateway-7d9f8c6b5-${String(i).padStart(5, '0')}"} ${(0.2 + 0.1 * Math.sin(t / 3600 + i) + i / 100).toFixed(4)} ${t}`);
  }
  lines.push('# EOF');
  writeFileSync(join(dir, 'data.om'), `${lines.join('\n')}\n`);
  const fill = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'tsdb')], { encoding: 'utf8' });
  if (fill.status !== 0) throw new Error(`promtool: ${fill.stderr}`);
  const port = await new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => r(p));
    });
  });
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--storage.tsdb.retention.time=30d', `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const client = new PrometheusClient(`http://127.0.0.1:${port}`);
  try {
    const query = 'bench_cpu_usage{namespace="production"}';
    const step = (DAY_S / 120) * 1000;
    for (let i = 0; ; i++) {
      const r = await client.range(query, (end - DAY_S) * 1000, end * 1000, step, AbortSignal.timeout(5000)).catch(() => undefined);
      if (r?.type === 'matrix' && r.series.length === SERIES) break;
      if (i > 200) throw new Error('prometheus did not load the backfilled blocks');
      await new Promise((res) => setTimeout(res, 100));
    }
    const charts = ChartRenderer.create(createLogger({ level: 'silent', format: 'json' }));
    const queryMs: number[] = [];
    const renderMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS + 3; i++) {
      const t0 = performance.now();
      const r = await client.range(query, (end - DAY_S) * 1000, end * 1000, step, AbortSignal.timeout(5000));
      const t1 = performance.now();
      if (r.type !== 'matrix') throw new Error('not a matrix');
      const png = await charts.render(r.series, { format: (v) => formatValue(v, 'cores'), timeZone: 'Asia/Shanghai' });
      if (!png) throw new Error('the chart renderer cannot load here');
      const t2 = performance.now();
      bytes = png.length;
      if (i >= 3) {
        queryMs.push(t1 - t0);
        renderMs.push(t2 - t1);
      }
    }
    const q = median(queryMs);
    const render = median(renderMs);
    return [
      { metric: 'charts: bare Prometheus 24 h range query, 50 series × 121 points (median)', value: `${q.toFixed(1)} ms`, goal: 'baseline', ok: true },
      { metric: 'charts: render to PNG (ECharts on @napi-rs/canvas, CJK font), median', value: `${render.toFixed(1)} ms · ${(bytes / 1024).toFixed(0)} KB`, goal: '≤ 200 ms', ok: render <= 200 },
      { metric: 'charts: render ÷ query', value: `${(render / q).toFixed(2)}×`, goal: '≤ 1.5×', ok: render / q <= 1.5 },
    ];
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode === null ? prom.once('exit', r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
