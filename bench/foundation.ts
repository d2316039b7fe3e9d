import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../commands/index.js';
import { renderText } from '../cards/text.js';
import { parsePolicy } from '../src/config/policy.js';
import { Secret } from '../src/config/secret.js';
import { PayloadSigner } from '../src/core/payload.js';
import { Registry } from '../src/core/registry.js';
import { createCore } from '../src/core/core.js';
import { MemoryStore } from '../src/core/store/memory.js';
import { KubeClient, loadKubeConfig } from '../src/kube/client.js';
import { DemoKubeServer } from '../src/kube/demo/server.js';
import { createLogger } from '../src/log.js';
import { Clusters } from '../src/kube/clusters.js';
import { interleave, median, type Row } from './util.js';

const ROOT = new URL('../', import.meta.url).pathname;

/** `/pods -A` on 2,000 pods, text in → rendered card out, against the bare client-node list call. */
export async function benchPods(): Promise<Row[]> {
  const demo = await DemoKubeServer.start({ seed: { minPods: 2000 } });
  const kube = new KubeClient(loadKubeConfig({ kind: 'demo' }, demo.url), 30_000);
  const registry = new Registry(COMMANDS);
  const policy = parsePolicy(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8'), 'opsbot.example.yaml', registry.names);
  if (!policy.ok) throw new Error(policy.problems.join('\n'));
  const { router } = createCore({ registry, clusters: Clusters.single(kube), policy: policy.policy, log: createLogger({ level: 'silent', format: 'json' }), signer: new PayloadSigner(new Secret('x'.repeat(32))), store: new MemoryStore() });
  const pods = demo.cluster.pods.size;
  let text = '';
  const ours = async () => {
    const [card] = await router.message({ platform: 'console', userId: 'carol', chatId: 'bench', text: '/pods -A' });
    text = renderText(card!);
  };
  const bare = () => kube.core.listPodForAllNamespaces();
  const t = await interleave(30, 5, ours, bare);
  await demo.stop();
  if (!/2,?000 (pods|个 Pod)/.test(text)) throw new Error(`unexpected card: ${text.slice(0, 200)}`);
  const ratio = median(t.a) / median(t.b);
  return [
    { metric: `/pods -A over ${pods} pods: text → rendered card (median)`, value: `${median(t.a).toFixed(1)} ms`, goal: '—', ok: true },
    { metric: 'bare client-node listPodForAllNamespaces (median)', value: `${median(t.b).toFixed(1)} ms`, goal: '—', ok: true },
    { metric: '/pods -A overhead ratio (ours / bare)', value: ratio.toFixed(2), goal: '≤ 1.30', ok: ratio <= 1.3 },
  ];
}

/** From process start to /readyz 200 for the built demo (what ./start.sh runs after building). */
export async function benchStartup(): Promise<Row[]> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await startOnce());
  const m = median(times);
  return [{ metric: 'demo: process start → /readyz 200 (median of 5)', value: `${m.toFixed(0)} ms`, goal: '≤ 1500 ms', ok: m <= 1500 }];
}

async function startOnce(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', OPSBOT_DEMO: '1', PORT: String(port), OPSBOT_DATA_DIR: dataDir, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, stdio: 'ignore' });
  try {
    for (;;) {
      if (performance.now() - started > 15_000) throw new Error('demo did not become ready in 15 s');
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
