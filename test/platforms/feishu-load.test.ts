import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFeishuApi } from '../fakes/feishu-api.js';
import { FEISHU, feishuEnv, messageEnvelope, signedRequest } from '../helpers/sign-feishu.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { until } from '../helpers/until.js';

let api: FakeFeishuApi;
let app: TestApp;
beforeAll(async () => {
  api = await new FakeFeishuApi().start();
  app = await startTestApp({ ...feishuEnv(api.url, 'http'), OPSBOT_WORK_CONCURRENCY: '2', OPSBOT_WORK_QUEUE: '6' });
});
afterAll(async () => {
  await app?.stop();
  await api?.stop();
});

const metric = async (name: string) => {
  const line = (await (await fetch(`${app.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
};

describe('work is bounded; acknowledgements never wait for it', () => {
  it('10 events at once against a slow send API: all acked at once, 2 run at a time, 6 answered, 4 told "busy"', async () => {
    api.sendDelayMs = 400;
    const sends = () => api.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/open-apis/im/v1/messages')).length;
    const before = api.messages.length;
    let mostRunning = 0;
    const sampler = setInterval(() => (mostRunning = Math.max(mostRunning, app.dispatcher.workStats().running)), 5);
    const acks = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { headers, body } = signedRequest(messageEnvelope(FEISHU.alice, '/pods -n production', { eventId: `ev-load-${i}`, messageId: `om_load_${i}` }));
        const res = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', headers, body });
        return { status: res.status, sendsDone: sends() };
      }),
    );
    // Every ack came back before the slow sends were done: none waited behind the work.
    expect(acks.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(Math.max(...acks.map((a) => a.sendsDone))).toBeLessThan(10);
    expect(app.dispatcher.workStats()).toMatchObject({ queued: expect.any(Number), shed: 4 });
    expect(await metric('opsbot_work_queued')).toBeGreaterThan(0);

    await app.dispatcher.idle();
    clearInterval(sampler);
    expect(mostRunning).toBe(2);
    await until(() => api.messages.length - before === 10, 'every event answered once');
    const sent = api.messages.slice(before);
    const busy = sent.filter((m) => JSON.stringify(m.card).includes('opsbot is busy'));
    expect(busy).toHaveLength(4);
    expect(sent.filter((m) => JSON.stringify(m.card).includes('pods'))).toHaveLength(6);
    // The busy replies go out at once (they are not work), beside at most 2 /pods replies.
    expect(api.maxConcurrentSends).toBeLessThanOrEqual(2 + 4);
    expect(app.dispatcher.workStats()).toEqual({ running: 0, queued: 0, shed: 4 });
    expect(await metric('opsbot_work_shed_total')).toBe(4);
    expect(app.logs.text).toMatch(/overloaded: event answered with a busy reply/);
    api.sendDelayMs = 0;
  });
});
