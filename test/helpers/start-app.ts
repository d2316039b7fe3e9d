import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/env.js';
import type { AuditEntry } from '../../src/core/store/store.js';
import { createLogger } from '../../src/log.js';
import type { PlatformDefinition } from '../../src/core/platform.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** Captures everything the app logs, as text, for redaction and log assertions. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface TestApp extends App {
  logs: LogCapture;
  dataDir: string;
  send(user: string, text: string, chat?: string): Promise<ApiCard[]>;
  card(id: string): Promise<ApiCard>;
  /** The card once its title matches `want` (an approval reaching Done), or as it is after `ms`. */
  settle(id: string, want: RegExp, ms?: number): Promise<ApiCard>;
  audit(): Promise<AuditEntry[]>;
  click(user: string, card: string, action: string): Promise<{ status: number; body: { cards?: ApiCard[]; error?: string } }>;
  stop(): Promise<void>;
}

export interface ApiCard {
  id: string;
  title: string;
  severity: string;
  text: string;
  buttons: { label: string; action: string }[];
}

/** The real app on 127.0.0.1:0 with the embedded demo cluster on a fast clock. */
export interface TestAppOptions {
  /** Reuse a data dir (restart tests); it is then not deleted on stop. */
  dataDir?: string;
  /** A controllable clock for expiry tests. */
  now?: () => number;
  sweepMs?: number;
  platformBackoffMs?: number;
  /** First delay between attempts to write an execution outcome the store refused. */
  approvalRetryMs?: number;
  /** The chat platforms of the build (the seam test adds one of its own). */
  platforms?: readonly PlatformDefinition[];
  /**
   * The example policy's language. It ships with `zh`; most tests read English replies, so without
   * OPSBOT_CONFIG the app gets a copy of the example with `language: en` unless this says `zh`.
   */
  lang?: 'en' | 'zh';
  /** The demo's Prometheus scrape interval (with OPSBOT_DEMO_PROMETHEUS=auto). */
  demoPrometheusScrapeMs?: number;
}

/** The shipped example policy with its global language set. */
export function examplePolicy(dir: string, lang: 'en' | 'zh'): string {
  const text = readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8');
  if (!/^language: zh$/m.test(text)) throw new Error('opsbot.example.yaml no longer has a top-level "language: zh" line');
  const file = join(dir, `policy-${lang}.yaml`);
  writeFileSync(file, text.replace(/^language: zh$/m, `language: ${lang}`));
  return file;
}

export async function startTestApp(env: Record<string, string> = {}, o: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'opsbot-test-'));
  const policy = env['OPSBOT_CONFIG'] ? {} : { OPSBOT_CONFIG: examplePolicy(dataDir, o.lang ?? 'en') };
  const r = loadConfig({ OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dataDir, LOG_LEVEL: 'debug', OPSBOT_DEMO_PROMETHEUS: 'off', ...policy, ...env }, { cwd: ROOT, ...(o.platforms ? { platforms: o.platforms } : {}) });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const logs = new LogCapture();
  const log = createLogger({ level: r.config.logLevel, format: 'json', destination: logs });
  const app = await startApp({
    config: r.config,
    log,
    demo: { timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } },
    ...(o.now ? { now: o.now } : {}),
    ...(o.sweepMs ? { sweepMs: o.sweepMs } : {}),
    ...(o.platformBackoffMs ? { platformBackoffMs: o.platformBackoffMs } : {}),
    ...(o.approvalRetryMs ? { approvalRetryMs: o.approvalRetryMs } : {}),
    ...(o.platforms ? { platforms: o.platforms } : {}),
    ...(o.demoPrometheusScrapeMs ? { demoPrometheusScrapeMs: o.demoPrometheusScrapeMs } : {}),
  });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { cards?: ApiCard[]; error?: string } };
  };
  return {
    ...app,
    logs,
    dataDir,
    async send(user, text, chat?: string) {
      const r = await post('/console/api/send', { user, text, ...(chat ? { chat } : {}) });
      if (r.status !== 200) throw new Error(`send ${text}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.cards as ApiCard[];
    },
    click: (user, card, action) => post('/console/api/click', { user, card, action }),
    async card(id) {
      const res = await fetch(`${app.url}/console/api/cards/${id}`);
      if (res.status !== 200) throw new Error(`card ${id}: HTTP ${res.status}`);
      return (await res.json()) as ApiCard;
    },
    async settle(id, want, ms = 30_000) {
      const read = async () => (await (await fetch(`${app.url}/console/api/cards/${id}`)).json()) as ApiCard;
      const end = Date.now() + ms;
      let card = await read();
      while (!want.test(card.title) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        card = await read();
      }
      return card;
    },
    audit: () => app.core.audit.query({ limit: 1000 }),
    async stop() {
      await app.close();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
