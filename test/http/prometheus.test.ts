import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { loadImage } from '@napi-rs/canvas';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { renderMarkdown } from '../../src/platforms/dingtalk/render.js';
import { FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { untilAsync } from '../helpers/until.js';

/**
 * /query and /top against the real Prometheus (Debian's `prometheus`, installed by .ci/run) scraping a
 * small exporter of this test with known series: cAdvisor-style CPU counters growing at known rates,
 * memory gauges, and a plain gauge.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const have = spawnSync(PROMETHEUS, ['--version']).status === 0;
if (!have && process.env['CI']) throw new Error('prometheus is required in CI (.ci/run installs the Debian package)');

const started = Date.now();
const CPU = [
  { namespace: 'production', pod: 'api-gateway-7d9f-x1', container: 'api', perSecond: 0.5 },
  { namespace: 'production', pod: 'order-service-5c4b-k2', container: 'app', perSecond: 0.1 },
  { namespace: 'kube-system', pod: 'coredns-6f5d-q9', container: 'coredns', perSecond: 0.02 },
];
function exposition(): string {
  const s = (Date.now() - started) / 1000;
  const lines = ['# TYPE container_cpu_usage_seconds_total counter'];
  for (const c of CPU) lines.push(`container_cpu_usage_seconds_total{namespace="${c.namespace}",pod="${c.pod}",container="${c.container}"} ${(c.perSecond * s).toFixed(3)}`);
  lines.push('# TYPE container_memory_working_set_bytes gauge');
  CPU.forEach((c, i) => lines.push(`container_memory_working_set_bytes{namespace="${c.namespace}",pod="${c.pod}",container="${c.container}"} ${(i + 1) * 256 * 1024 * 1024}`));
  lines.push('# TYPE opsbot_test_gauge gauge', 'opsbot_test_gauge{env="a"} 42');
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!have)('Prometheus queries in chat (/query, /top)', () => {
  let exporter: Server;
  let prom: ChildProcess;
  let promUrl = '';
  let feishu: FakeFeishuApi;
  let app: TestApp;
  let dir: string;
  const promLog: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-prom-'));
    exporter = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition()));
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: ['${target}']\n`);
    prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stderr?.on('data', (d: Buffer) => promLog.push(d.toString()));
    promUrl = `http://127.0.0.1:${port}`;
    // Up, and enough samples for rate() over 10 s windows.
    await untilAsync(async () => {
      const r = await fetch(`${promUrl}/api/v1/query?query=count_over_time(opsbot_test_gauge[30s])`).catch(() => undefined);
      const j = r?.ok ? ((await r.json()) as { data: { result: { value: [number, string] }[] } }) : undefined;
      return Number(j?.data.result[0]?.value[1] ?? 0) >= 4;
    }, `prometheus scraping the exporter (${promLog.join('').slice(-300)})`, 30_000);
    const p = parse(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')) as Record<string, unknown>;
    p['language'] = 'en';
    // The default named queries use 5 m windows; this Prometheus has seconds of data (irate: the last two samples).
    p['queries'] = {
      cpu: { promql: 'topk(10, sum by (namespace, pod) (irate(container_cpu_usage_seconds_total{container!="", namespace=~"$namespace"}[10s])))', unit: 'cores' },
      memory: { promql: 'topk(10, sum by (namespace, pod) (container_memory_working_set_bytes{container!="", namespace=~"$namespace"}))', unit: 'bytes' },
    };
    ((p['people'] as Record<string, { ids: Record<string, string> }>)['alice'] as { ids: Record<string, string> }).ids['feishu'] = FEISHU.alice;
    writeFileSync(join(dir, 'policy.yaml'), stringify(p));
    feishu = await new FakeFeishuApi().start();
    app = await startTestApp({ PROMETHEUS_URL: promUrl, ...feishuEnv(feishu.url, 'http'), OPSBOT_CONFIG: join(dir, 'policy.yaml'), OPSBOT_PUBLIC_URL: 'https://opsbot.example.com' });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await feishu?.stop();
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom && prom.exitCode === null ? prom.once('exit', r) : r(undefined)));
    exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instant query is a table, largest first; its quotes and braces are taken as typed', async () => {
    const [g] = await app.send('alice', '/query opsbot_test_gauge');
    expect(g!.title).toBe('📈 1 series · opsbot_test_gauge');
    expect(g!.text).toMatch(/opsbot_test_gauge\{env="a"\}\s+42/);
    const [m] = await app.send('alice', '/query sum by (pod) (container_memory_working_set_bytes{namespace="production", container!=""})');
    const rows = m!.text.split('\n').filter((l) => /^\{pod=/.test(l));
    expect(rows.map((r) => r.replace(/\s+/g, ' '))).toEqual(['{pod="order-service-5c4b-k2"} 537M', '{pod="api-gateway-7d9f-x1"} 268M']);
  });

  it('a range query shows each series with its trend and min / max / last', async () => {
    const [card] = await app.send('alice', '/query irate(container_cpu_usage_seconds_total{namespace="production"}[10s]) --range 1m --step 2s');
    expect(card!.title).toMatch(/^📈 1m · 2 series · irate\(container_cpu_usage_seconds_total/);
    const api = card!.text.split('\n').find((l) => l.includes('api-gateway'))!;
    const cells = api.trim().split(/\s{2,}/);
    expect(cells[1]).toMatch(/^[▁▂▃▄▅▆▇█]+$/);
    expect(Number(cells[4])).toBeCloseTo(0.5, 1); // last: the exporter's 0.5 cores
    expect(card!.text.indexOf('api-gateway')).toBeLessThan(card!.text.indexOf('order-service'));
  });

  it('a range query is also a chart: a PNG in the console and uploaded to Feishu, shown in the card', async () => {
    const q = '/query irate(container_cpu_usage_seconds_total{namespace="production"}[10s]) --range 1m --step 2s';
    const [card] = await app.send('alice', q);
    const view = (await (await fetch(`${app.url}/console/api/cards/${card!.id}`)).json()) as { card: { blocks: { type: string; ref?: string; width?: number; height?: number }[] } };
    const image = view.card.blocks.find((b) => b.type === 'image');
    expect(image, JSON.stringify(view.card.blocks.map((b) => b.type))).toMatchObject({ width: 800, height: 400 });
    expect(view.card.blocks.findIndex((b) => b.type === 'table')).toBeGreaterThan(view.card.blocks.indexOf(image!));
    const res = await fetch(`${app.url}/console/api/images/${image!.ref}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    const decoded = await loadImage(png);
    expect([decoded.width, decoded.height]).toEqual([800, 400]);
    expect(png.length).toBeGreaterThan(5_000);
    expect(png.length).toBeLessThan(2 * 1024 * 1024);
    expect((await fetch(`${app.url}/console/api/images/img_${'x'.repeat(22)}`)).status).toBe(404);
    // Feishu: the image is uploaded (multipart, image_type=message) and the card shows it by its image_key.
    const { headers, body } = signedRequest(messageEnvelope(FEISHU.alice, q, { eventId: 'ev-chart-1' }));
    expect((await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body })).status).toBe(200);
    const sent = await feishu.until(() => feishu.messages.find((m) => JSON.stringify(m.card).includes('"tag":"img"')), 20_000);
    const key = /"img_key":"([^"]+)"/.exec(JSON.stringify(sent.card))![1]!;
    const uploaded = feishu.images.get(key)!;
    expect((await loadImage(uploaded)).width).toBe(800);
    expect(JSON.stringify(sent.card)).toContain('api-gateway'); // the table of trends is there too
    // DingTalk fetches images by URL: a signed link under OPSBOT_PUBLIC_URL, rendered as a markdown image.
    const link = app.core.images.url(image!.ref!)!;
    expect(link).toMatch(/^https:\/\/opsbot\.example\.com\/images\/img_[\w-]{22}\.png\?p=/);
    const path = link.replace('https://opsbot.example.com', app.url);
    const got = await fetch(path);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(path.replace(/p=v1\.[^.]+/, 'p=v1.AAAA'))).status).toBe(404);
    expect((await fetch(`${app.url}/images/${image!.ref}.png`)).status).toBe(404);
    expect((await fetch(path.replace(image!.ref!, `img_${'A'.repeat(22)}`))).status).toBe(404);
    const md = renderMarkdown(app.core.images.withLinks({ title: 't', tone: 'info', blocks: [image as never] })).text;
    expect(md).toContain(`](${link.slice(0, link.indexOf('?'))}?p=`);
    expect(renderMarkdown({ title: 't', tone: 'info', blocks: [image as never] }).text).not.toContain('![');
  }, 30_000);

  it('/top cpu: the named query for a namespace, or every namespace the person may see', async () => {
    const [prod] = await app.send('alice', '/top cpu production');
    expect(prod!.title).toBe('📈 Top cpu · production · 2 series');
    expect(prod!.text).not.toMatch(/coredns/);
    const lines = prod!.text.split('\n').filter((l) => l.startsWith('{'));
    expect(lines[0]).toMatch(/api-gateway-7d9f-x1/);
    // The exporter's 0.5 cores, give or take the scrape's timing.
    expect(Number(lines[0]!.trim().split(/\s+/).at(-1))).toBeCloseTo(0.5, 1);
    // Bob (lead) may see every namespace; Alice (on call) not kube-system.
    const [all] = await app.send('bob', '/top cpu');
    expect(all!.text).toMatch(/coredns/);
    const [mine] = await app.send('alice', '/top cpu');
    expect(mine!.text).not.toMatch(/coredns/);
    const [no] = await app.send('alice', '/top cpu kube-system');
    expect(no!.text).toMatch(/may not .*kube-system|namespace "kube-system"/);
    const [mem] = await app.send('alice', '/top memory production');
    expect(mem!.text).toMatch(/order-service-5c4b-k2"\}\s+512Mi/);
    const [unknown] = await app.send('alice', '/top disk');
    expect(unknown!.text).toMatch(/no named query "disk" \(policy queries has: cpu, memory\)/);
  });

  it('a PromQL error, a bad range and an unreachable Prometheus are one line each', async () => {
    const [bad] = await app.send('alice', '/query sum(rate(x[5m])');
    expect(bad!.text).toMatch(/PromQL error \(bad_data\): .*parse error/);
    const [range] = await app.send('alice', '/query up --range 30d');
    expect(range!.text).toMatch(/range: a duration from 1m to 7d/);
    const [step] = await app.send('alice', '/query up --range 1h --step 1s');
    expect(step!.text).toMatch(/at most 1500 points/);
    const down = await startTestApp({ PROMETHEUS_URL: 'http://127.0.0.1:9' });
    try {
      const [card] = await down.send('alice', '/query up');
      expect(card!.text).toMatch(/Prometheus \(http:\/\/127\.0\.0\.1:9\) is unreachable/);
    } finally {
      await down.stop();
    }
  });

  it('without PROMETHEUS_URL, /query says in one line how to enable it; the tools are offered to the LLM', async () => {
    const off = await startTestApp();
    try {
      const [card] = await off.send('alice', '/query up');
      expect(card!.text).toMatch(/Prometheus is not configured: set PROMETHEUS_URL/);
      const names = off.registry.tools().map((t) => t.function.name);
      expect(names).toEqual(expect.arrayContaining(['query', 'top']));
    } finally {
      await off.stop();
    }
  });
});

describe.skipIf(!have)('the demo: its own Prometheus scraping the demo cluster\'s series', () => {
  it('starts with the demo, scrapes cAdvisor/kube-state-metrics style series, and /top cpu production answers from it', async () => {
    const app = await startTestApp({ OPSBOT_DEMO_PROMETHEUS: 'auto' }, { demoPrometheusScrapeMs: 1000 });
    try {
      expect(app.logs.text).not.toMatch(/Prometheus did not start/);
      // Two scrapes make a rate; the default cpu query (5 m window) then has a value per pod.
      const card = await untilAsync(async () => {
        const [c] = await app.send('alice', '/top cpu production');
        return c && /api-gateway-/.test(c.text) ? c : undefined;
      }, 'the demo Prometheus answering /top cpu', 30_000);
      expect(card.title).toMatch(/^📈 Top cpu · production · \d+ series$/);
      expect(card.text).not.toMatch(/kube-system/);
      const [reps] = await app.send('alice', '/query kube_deployment_spec_replicas{namespace="production", deployment="api-gateway"}');
      const want = (await app.kube.readDeployment('production', 'api-gateway')).spec?.replicas;
      expect(reps!.text).toMatch(new RegExp(`deployment="api-gateway"[^\\n]*\\s${want}\\b`));
      const [mem] = await app.send('alice', '/top memory production');
      expect(mem!.text).toMatch(/order-service-\S+"\}\s+\d+(\.\d+)?Mi/);
    } finally {
      await app.stop();
    }
  }, 60_000);
});

