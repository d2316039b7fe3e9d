import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWecom } from '../fakes/wecom-api.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

/** The WeCom group robot (群机器人) as a send-only notify target: markdown with <@userid>, 45009 retried, 93000 not. */
describe('notifier → WeCom group robot', () => {
  const KEY = '0a1b2c3d-0000-4000-8000-123456789abc';
  const GONE = 'ffffffff-0000-4000-8000-000000000000';
  const wc = new FakeWecom();
  let app: TestApp;
  beforeAll(async () => {
    await wc.start();
    wc.robots.add(KEY);
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-wcbot-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, `${readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8')}\nnotify:\n  actor: opsbot\n  targets:\n    sre: { platform: wecom-bot, chat: sre }\n    gone: { platform: wecom-bot, chat: gone }\n`);
    app = await startTestApp({ OPSBOT_CONFIG: policy, WECOM_BOT_WEBHOOKS: `sre=${wc.url}/cgi-bin/webhook/send?key=${KEY},gone=${GONE}`, WECOM_BOT_API_BASE: wc.url }, { platformBackoffMs: 20 });
  });
  afterAll(async () => {
    await app?.stop();
    await wc.stop();
  });

  it('/notify-test posts markdown (a frequency-limited first try is retried); mentions are <@userid>', async () => {
    wc.robotFailNext = 1;
    const [card] = await app.send('bob', '/notify-test sre');
    expect(card!.title).toBe('Test card posted to sre');
    expect(wc.robotPosts).toHaveLength(1);
    expect(String((wc.robotPosts[0]!.body['markdown'] as { content: string }).content)).toContain('opsbot test notification');
    const r = await app.core.notifier.post('sre', { title: 'P0 api down', tone: 'danger', blocks: [], mentions: { userIds: ['sre_bob'] } });
    expect(r.ok).toBe(true);
    expect(String((wc.robotPosts[1]!.body['markdown'] as { content: string }).content)).toContain('<@sre_bob>');
    expect(app.logs.text).not.toContain(KEY);
  });

  it('a bad key (93000) is not retried: one try, a dead letter with the reason', async () => {
    const before = wc.rejected.length;
    const [card] = await app.send('bob', '/notify-test gone');
    expect(card!.title).toBe('Could not post to gone');
    expect(card!.text).toMatch(/93000.*robot key is invalid/);
    expect(wc.rejected.length - before).toBe(1);
  });

  it('a card over 4,096 bytes is cut with a note, never refused as too long (40058)', async () => {
    const r = await app.core.notifier.post('sre', { title: 'big', tone: 'info', blocks: [{ type: 'code', text: 'x'.repeat(200) + '\n' + 'y'.repeat(9000) }] });
    expect(r.ok).toBe(true);
    const content = String((wc.robotPosts.at(-1)!.body['markdown'] as { content: string }).content);
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content).toContain('cut to fit');
  });
});
