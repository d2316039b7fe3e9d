import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeFeishuApi } from '../test/fakes/feishu-api.js';
import { FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../test/helpers/sign-feishu.js';
import { startTestApp } from '../test/helpers/start-app.js';
import type { Row } from './util.js';

const N = Number(process.env['BENCH_GROWTH_N'] ?? 2000);
const IN_FLIGHT = 10;
const DAY = 86_400_000;

/**
 * Store growth per read-only command (issue: ~4 KB per /pods, 224 MB after 55,000): N signed Feishu
 * `/pods` events (claims, button payloads, audit lines), the file measured after a clean stop (WAL
 * checkpointed); then the clock moves past every retention (audit 90 d, button payloads and cards their
 * TTL, claims their window), the sweep prunes, and N more commands must reuse the freed pages.
 */
export async function benchStoreGrowth(): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-growth-'));
  const api = await new FakeFeishuApi().start();
  const db = join(dataDir, 'opsbot.db');
  // Real time moves (signed payloads differ per card, as in production); `skip` jumps past the retentions.
  let skip = 0;
  const now = () => Date.now() + skip;
  const phase = async (tag: string) => {
    const t0 = performance.now();
    const app = await startTestApp({ ...feishuEnv(api.url, 'http'), LOG_LEVEL: 'warn' }, { dataDir, now, sweepMs: 100 });
    await new Promise((r) => setTimeout(r, 300)); // the first sweeps (prune) ran
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < N) {
          const i = next++;
          const { headers, body } = signedRequest(messageEnvelope(FEISHU.carol, '/pods production', { chatType: 'p2p', chatId: `oc_growth_${i % 100}`, eventId: `growth-${tag}-${i}`, messageId: `om_growth_${tag}_${i}` }), { timestamp: Math.floor(now() / 1000) });
          const res = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body });
          await res.arrayBuffer();
        }
      }),
    );
    await app.dispatcher.idle();
    const audit = await app.audit();
    const answered = api.messages.filter((m) => JSON.stringify(m.card).includes('pods')).length;
    if (process.env['BENCH_DEBUG']) console.log({ tag, audit: audit.length, answered, ms: performance.now() - t0 });
    await app.stop();
    return statSync(db).size;
  };
  try {
    const empty = await (async () => {
      const app = await startTestApp({ ...feishuEnv(api.url, 'http'), LOG_LEVEL: 'warn' }, { dataDir, now });
      await app.stop();
      return statSync(db).size;
    })();
    const first = await phase('a');
    skip += 91 * DAY; // past the audit retention (90 d), card and button TTLs, dedupe windows
    const second = await phase('b');
    const per = (first - empty) / N;
    return [
      { metric: `store growth per read-only command (${N} Feishu /pods, file after a clean stop)`, value: `${per.toFixed(0)} bytes (${(per * 55_000 / 1e6).toFixed(0)} MB per 55,000)`, goal: '—', ok: true },
      { metric: `… after every retention passed and the sweep pruned, ${N} more commands grow the file by`, value: `${((second - first) / 1024).toFixed(0)} KiB (${(second / 1e6).toFixed(1)} MB in all)`, goal: `< ${((first - empty) / 1024 / 4).toFixed(0)} KiB (a quarter of the first ${N})`, ok: second - first < (first - empty) / 4 },
    ];
  } finally {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
