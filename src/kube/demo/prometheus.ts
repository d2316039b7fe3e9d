import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../log.js';

/** Where the demo looks for Prometheus: PATH, then Debian's location. */
export function findPrometheus(): string | undefined {
  for (const bin of ['prometheus', '/usr/bin/prometheus']) if (spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0) return bin;
  return undefined;
}

/**
 * The demo's own Prometheus: when a `prometheus` binary is installed, the demo starts it on loopback,
 * scraping each demo cluster's `/metrics` (every `scrapeMs`), its data in `dir`, so `/query` and `/top`
 * run against a real Prometheus. Returns at once (its URL is known before it answers: the demo's start is
 * not held up); `ready` resolves when it answers, false if it did not start (logged with why). Undefined
 * when no binary is installed.
 */
export async function startDemoPrometheus(o: { targets: readonly string[]; dir: string; log: Logger; scrapeMs?: number }): Promise<{ url: string; ready: Promise<boolean>; stop(): Promise<void> } | undefined> {
  const bin = findPrometheus();
  if (!bin) return undefined;
  mkdirSync(o.dir, { recursive: true });
  const every = `${Math.max(1, Math.round((o.scrapeMs ?? 5000) / 1000))}s`;
  const hosts = o.targets.map((t) => new URL(t).host);
  writeFileSync(join(o.dir, 'prometheus.yml'), `# Written by the opsbot demo on each start.\nglobal:\n  scrape_interval: ${every}\n  evaluation_interval: ${every}\nscrape_configs:\n  - job_name: opsbot-demo-cluster\n    static_configs:\n      - targets: [${hosts.map((h) => `'${h}'`).join(', ')}]\n`);
  const port = await freePort();
  const proc: ChildProcess = spawn(bin, [`--config.file=${join(o.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(o.dir, 'data')}`, '--storage.tsdb.retention.time=2d', `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  };
  const ready = (async () => {
    const until = Date.now() + 15_000;
    while (Date.now() < until && proc.exitCode === null && !stopped) {
      const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) {
        o.log.info({ url, scrape: every }, 'demo: Prometheus is scraping the demo cluster (/query, /top)');
        return true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (stopped) return false;
    await stop();
    o.log.warn({ reason: err.split('\n').filter(Boolean).at(-1)?.slice(0, 300) ?? 'did not become ready' }, 'demo: Prometheus did not start; /query and /top answer that it is unreachable');
    return false;
  })();
  return { url, ready, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
