import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, FakeFeishuApi } from '../fakes/feishu-api.js';
import { FakeOpenAI } from '../fakes/openai-server.js';
import { FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

let api: FakeFeishuApi;
let llm: FakeOpenAI;
let app: TestApp;
beforeAll(async () => {
  api = await new FakeFeishuApi().start();
  llm = await new FakeOpenAI().start();
  app = await startTestApp(feishuEnv(api.url, 'http', { LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: 'test-model' }));
});
afterAll(async () => {
  await app?.stop();
  await llm?.stop();
  await api?.stop();
});

describe('feedback while the model works (Feishu)', () => {
  it('a "thinking" card goes out at once and is replaced in place by the answer', async () => {
    llm.script.push({ toolCalls: [{ name: 'pods', arguments: { namespace: 'production' } }] });
    llm.script.push({ content: 'order-service 有一个 pod 在 CrashLoopBackOff。', delayMs: 300 });
    const before = api.messages.length;
    const { headers, body } = signedRequest(messageEnvelope(FEISHU.carol, 'production 里哪些 pod 不正常？'));
    const res = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    // Within a second, while the model is still working (its second turn takes 300 ms more):
    const thinking = await api.until(() => api.messages[before], 1000);
    expect(thinking.patches).toHaveLength(0);
    expect(thinking.card.header.title.content).toBe('🤔 正在查询…');
    await app.dispatcher.idle();
    expect(thinking.patches.at(-1)!.header.title.content).toBe('💬 production 里哪些 pod 不正常？');
    expect(cardText(thinking.patches.at(-1))).toContain('order-service 有一个 pod 在 CrashLoopBackOff。');
    // The pods table follows as its own card.
    expect(api.messages.slice(before + 1).map((m) => m.card.header.title.content)).toEqual([expect.stringMatching(/^production · \d+ 个 Pod · 2 个需要关注$/)]); // a Chinese question
  });
});
