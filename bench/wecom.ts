import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Koa from 'koa';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { readRawBody } from '../src/http/raw-body.js';
import { createLogger } from '../src/log.js';
import { decrypt } from '../src/platforms/wecom/crypto.js';
import { botClick, botText, encryptedCallback, WECOM } from '../test/helpers/sign-wecom.js';
import { median, percentile, type Row } from './util.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const REQUESTS = 3000;
const CONCURRENCY = 32;
const ROUNDS = 5;

/**
 * WeCom's intelligent bot in API mode, in one opsbot: (1) encrypted callbacks → answer per second on
 * /webhooks/wecom (signature, decrypt, receiveid and padding checks, parse; clicks on a decided card's no-op
 * button, so no command work) against a bare Koa handler that only parses JSON, the load generator in
 * its own process, server CPU per request from process.cpuUsage; (2) click-to-answer on 100 real approval
 * cards (/delete-pod on 100 pods), 10 clicks in flight: the answer carries the updated card, and WeCom
 * drops a click not answered in 5 s.
 */
export async function benchWecom(): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-bench-wc-'));
  const r = loadConfig(
    { OPSBOT_DEMO: '1', OPSBOT_DEMO_PROMETHEUS: 'off', PORT: '0', OPSBOT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', OPSBOT_CONFIG: join(ROOT, 'test/fixtures/policy-wecom.yaml'), WECOM_MODE: 'aibot-http', WECOM_TOKEN: WECOM.token, WECOM_ENCODING_AES_KEY: WECOM.aesKey, WECOM_API_BASE: 'http://127.0.0.1:9' },
    { cwd: ROOT },
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const app = await startApp({ config: r.config, log: createLogger({ level: 'silent', format: 'json' }), demo: { seed: { minPods: 150 } } });
  const bare = new Koa();
  bare.use(async (ctx) => {
    JSON.parse((await readRawBody(ctx, 1024 * 1024)).toString('utf8'));
    ctx.body = '';
  });
  const bareServer = await new Promise<Server>((res) => {
    const s = bare.listen(0, '127.0.0.1', () => res(s));
  });
  const urls = { ours: `${app.url}/webhooks/wecom`, bare: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/webhooks/wecom` };
  const rates: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  const cpu: Record<'ours' | 'bare', number[]> = { ours: [], bare: [] };
  const post = async (cb: { query: string; body: string }) => {
    const res = await fetch(`${app.url}/webhooks/wecom?${cb.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`wecom callback: ${res.status} ${text.slice(0, 200)}`);
    return text;
  };
  const open = (text: string) => JSON.parse(decrypt(WECOM.aesKey, '', (JSON.parse(text) as { encrypt: string }).encrypt)) as Record<string, unknown>;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'ours'] as const) {
        const c0 = process.cpuUsage();
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/wecom-load.ts', urls[name], String(REQUESTS), String(CONCURRENCY)], { cwd: ROOT, maxBuffer: 1 << 20 });
        const c = process.cpuUsage(c0);
        const out = JSON.parse(stdout) as { ms: number; ok: number; statuses: Record<string, number> };
        if (out.ok !== REQUESTS) throw new Error(`${name}: only ${out.ok}/${REQUESTS} answered 2xx (${JSON.stringify(out.statuses)})`);
        rates[name].push(REQUESTS / (out.ms / 1000));
        cpu[name].push((c.user + c.system) / REQUESTS);
      }
    }

    // Click-to-answer on real approval cards.
    const pods = (await app.kube.listPods('production', 'app=batch-worker-1')).slice(0, 100).map((p) => p.metadata!.name!);
    const cards: { key: string; taskId: string }[] = [];
    for (const pod of pods) {
      const reply = open(await post(encryptedCallback(JSON.stringify(botText(`/delete-pod ${pod} -n production`, { userid: 'sre_alice' })))));
      const card = reply['template_card'] as { task_id: string; button_list: { key: string }[] } | undefined;
      if (!card) throw new Error(`no approval card for ${pod}: ${JSON.stringify(reply).slice(0, 200)}`);
      cards.push({ key: card.button_list[0]!.key, taskId: card.task_id });
    }
    const times: number[] = [];
    let next = 0;
    let updated = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < cards.length) {
          const c = cards[next++]!;
          const cb = encryptedCallback(JSON.stringify(botClick({ key: c.key, taskId: c.taskId, userid: 'sre_bob' })));
          const t = performance.now();
          const text = await post(cb);
          times.push(performance.now() - t);
          if (text && (open(text)['response_type'] as string) === 'update_template_card') updated++;
        }
      }),
    );
    await app.approvals.idle();
    const executions = app.demo!.count('DELETE', /\/pods\//, { dryRun: false });
    const m = { ours: median(rates.ours), bare: median(rates.bare) };
    const us = { ours: median(cpu.ours), bare: median(cpu.bare) };
    return [
      { metric: `WeCom encrypted callbacks → answer, opsbot (median of ${ROUNDS}×${REQUESTS}, ${CONCURRENCY} in flight)`, value: `${m.ours.toFixed(0)} /s`, goal: '—', ok: true },
      { metric: '  bare Koa JSON handler, same load', value: `${m.bare.toFixed(0)} /s`, goal: '—', ok: true },
      { metric: 'WeCom callback cost vs bare handler (bare rate / opsbot rate)', value: `${(m.bare / m.ours).toFixed(2)}×`, goal: '≤ 1.30×', ok: m.bare / m.ours <= 1.3 },
      { metric: 'server CPU per callback: opsbot / bare (median, µs)', value: `${us.ours.toFixed(0)} / ${us.bare.toFixed(0)}`, goal: '—', ok: true },
      { metric: 'WeCom click → answer with the updated card, p50 / p99 (100 approvals, 10 in flight)', value: `${median(times).toFixed(1)} / ${percentile(times, 99).toFixed(1)} ms`, goal: 'p99 < 100 ms', ok: percentile(times, 99) < 100 && updated === 100 && executions === 100 },
    ];
  } finally {
    bareServer.close();
    await app.close();
  }
}
