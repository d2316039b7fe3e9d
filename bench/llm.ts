import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config/env.js';
import { estimateTokens } from '../src/llm/tokens.js';
import { createLogger } from '../src/log.js';
import { FakeOpenAI } from '../test/fakes/openai-server.js';
import { median, type Row } from './util.js';

const ROOT = new URL('../', import.meta.url).pathname;
const QUESTIONS = 40;

/**
 * The loop's own cost per tool round: a question that makes the model call a cheap tool (/help, no
 * Kubernetes) six times, against a scripted server that answers at once. The bare openai client call on
 * the same server — one HTTP round trip plus the server's (zero) "model time" — is subtracted.
 */
export async function benchLlmLoop(): Promise<Row[]> {
  const llm = await new FakeOpenAI().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'opsbot-bench-'));
  const r = loadConfig({ OPSBOT_DEMO: '1', OPSBOT_DEMO_PROMETHEUS: 'off', PORT: '0', OPSBOT_DATA_DIR: dataDir, LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: 'bench', LLM_MAX_ROUNDS: '6', LLM_MEMORY_TURNS: '0' }, { cwd: ROOT });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const app = await startApp({ config: r.config, log: createLogger({ level: 'silent', format: 'json' }) });
  llm.fallback = { toolCalls: [{ name: 'help', arguments: {} }] };
  try {
    const perRound: number[] = [];
    for (let i = 0; i < QUESTIONS + 5; i++) {
      const before = llm.requests.length;
      const t = performance.now();
      const cards = await app.router.message({ platform: 'console', userId: 'alice', chatId: 'bench', text: `question ${i}` });
      const total = performance.now() - t;
      const rounds = llm.requests.length - before;
      if (rounds !== 6 || !/Stopped after 6 tool rounds/.test(cards[0]?.blocks[0]?.type === 'markdown' ? cards[0].blocks[0].text : '')) throw new Error('unexpected loop result');
      if (i >= 5) perRound.push(total / rounds);
    }
    const client = new OpenAI({ apiKey: llm.apiKey, baseURL: llm.url, maxRetries: 0 });
    const bare: number[] = [];
    const tools = app.core.assistant!.tools;
    for (let i = 0; i < QUESTIONS + 5; i++) {
      const t = performance.now();
      await client.chat.completions.create({ model: 'bench', messages: [{ role: 'user', content: 'x' }], tools });
      if (i >= 5) bare.push(performance.now() - t);
    }
    const json = JSON.stringify(tools);
    const overhead = median(perRound) - median(bare);
    return [
      { metric: 'LLM loop: time per tool round (median; zero-latency model, /help tool)', value: `${median(perRound).toFixed(2)} ms`, goal: '—', ok: true },
      { metric: '  bare openai client request on the same server (median)', value: `${median(bare).toFixed(2)} ms`, goal: '—', ok: true },
      { metric: 'LLM loop overhead per tool round (round − bare request)', value: `${overhead.toFixed(2)} ms`, goal: '< 5 ms', ok: overhead < 5 },
      { metric: `LLM tool schemas: ${tools.length} tools, size`, value: `${countTokens(json)} tokens (o200k) · ${json.length} chars · estimate ${estimateTokens(json)}`, goal: 'small', ok: true },
    ];
  } finally {
    await app.close();
    await llm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
