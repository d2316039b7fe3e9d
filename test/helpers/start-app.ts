import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';

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
  send(user: string, text: string): Promise<ApiCard[]>;
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
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-test-'));
  const r = loadConfig({ OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env }, { cwd: ROOT });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const logs = new LogCapture();
  const log = createLogger({ level: r.config.logLevel, format: 'json', destination: logs });
  const app = await startApp({ config: r.config, log, demo: { timings: { tickMs: 50, scheduleMs: 100, startMs: 300, terminateMs: 300 } } });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { cards?: ApiCard[]; error?: string } };
  };
  return {
    ...app,
    logs,
    dataDir,
    async send(user, text) {
      const r = await post('/console/api/send', { user, text });
      if (r.status !== 200) throw new Error(`send ${text}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.cards as ApiCard[];
    },
    click: (user, card, action) => post('/console/api/click', { user, card, action }),
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
