import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { feishuBotSign } from '../../src/platforms/feishu/bot.js';
import { FakeFeishuBot } from '../fakes/feishu-bot.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

const vectors = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/vectors/feishu-webhook-sign.json'), 'utf8')) as {
  cases: { id: string; expect: 'accept' | 'reject'; inputs: { secret: string; timestamp: string; sign?: string }; expected: { string_to_sign?: string; sign?: string } }[];
};

describe('Feishu custom bot signature (vectors/feishu-webhook-sign.json)', () => {
  for (const c of vectors.cases) {
    it(`${c.id}: ${c.expect}`, () => {
      const sign = feishuBotSign(c.inputs.secret, c.inputs.timestamp);
      if (c.expect === 'accept') expect(sign).toBe(c.expected.sign);
      else if (c.id.startsWith('wrong-construction')) {
        // The DingTalk construction is what the vector warns about: ours differs from it.
        expect(createHmac('sha256', c.inputs.secret).update(`${c.inputs.timestamp}\n${c.inputs.secret}`).digest('base64')).toBe(c.inputs.sign);
        expect(sign).not.toBe(c.inputs.sign);
      } else expect(sign).toBe(c.inputs.sign); // a correct sign, refused only for its age (the fake checks that)
    });
  }
});

describe('configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ OPSBOT_DEMO: '1', ...env }, { cwd: ROOT });
  it('bad entries are one clear line each, and never echo a token', () => {
    const r = load({ FEISHU_BOT_WEBHOOKS: 'sre=https://example.com/not-a-hook/abc12345secret, =x, db=tok', FEISHU_BOT_SECRETS: 'ghost=s3cr3t' });
    expect(r.ok).toBe(false);
    const problems = (r as { problems: string[] }).problems.join('\n');
    expect(problems).toContain('FEISHU_BOT_WEBHOOKS: "sre" is neither a hook token nor an …/open-apis/bot/v2/hook/<token> URL');
    expect(problems).toContain('FEISHU_BOT_WEBHOOKS: each entry is name=value with a lowercase name');
    expect(problems).toContain('FEISHU_BOT_SECRETS: "ghost" has no webhook in FEISHU_BOT_WEBHOOKS');
    expect(problems).not.toContain('abc12345secret');
    expect(problems).not.toContain('s3cr3t');
  });
  it('a bare token uses FEISHU_BOT_API_BASE', () => {
    const r = load({ FEISHU_BOT_WEBHOOKS: 'sre=0a1b2c3d-0000-4000-8000-123456789abc', FEISHU_BOT_API_BASE: 'https://open.larksuite.com/' });
    expect(r.ok).toBe(true);
    const cfg = (r as { config: { platforms: Record<string, { hooks: { name: string; url: { reveal(): string } }[] }> } }).config.platforms['feishu-bot']!;
    expect(cfg.hooks[0]!.url.reveal()).toBe('https://open.larksuite.com/open-apis/bot/v2/hook/0a1b2c3d-0000-4000-8000-123456789abc');
    expect(JSON.stringify(cfg)).not.toContain('0a1b2c3d');
  });
});

describe('notifier → Feishu custom bot', () => {
  const SRE = 'tok-sre-0000000001';
  const OLD = 'tok-old-0000000002';
  let bot: FakeFeishuBot;
  let app: TestApp;

  beforeAll(async () => {
    bot = await new FakeFeishuBot({ [SRE]: { secret: 'opsbotFeishuBotSecret0001' }, [OLD]: { secret: 'the-bots-real-secret' } }).start();
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-bot-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      `${readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8')}\nnotify:\n  actor: opsbot\n  targets:\n    sre: { platform: feishu-bot, chat: sre }\n    old: { platform: feishu-bot, chat: old }\n    room: { platform: console, chat: ops-room }\n`,
    );
    app = await startTestApp(
      { OPSBOT_CONFIG: policy, FEISHU_BOT_WEBHOOKS: `sre=${bot.hook(SRE)},old=${bot.hook(OLD)}`, FEISHU_BOT_SECRETS: 'sre=opsbotFeishuBotSecret0001,old=an-outdated-secret' },
      { platformBackoffMs: 20 },
    );
  });
  afterAll(async () => {
    await app?.stop();
    await bot?.stop();
  });

  it('/notify-test posts a signed card that the bot accepts, and reports it', async () => {
    bot.failNext = 1; // the first try meets the frequency limit (11232) and is retried
    const [card] = await app.send('bob', '/notify-test sre');
    expect(card!.title).toBe('Test card posted to sre');
    expect(card!.text).toContain('feishu-bot · sre');
    expect(bot.posts).toHaveLength(1);
    const post = bot.posts[0]!;
    expect(post.token).toBe(SRE);
    expect(post.body.sign).toBe(feishuBotSign('opsbotFeishuBotSecret0001', post.body.timestamp!));
    expect(JSON.stringify(post.body.card)).toContain('opsbot test notification');
    expect(bot.refused).toEqual([{ token: SRE, code: 11232 }]);
    const entry = (await app.audit()).find((e) => e.kind === 'notify');
    expect(entry).toMatchObject({ actor: 'opsbot', platform: 'feishu-bot', chatId: 'sre', outcome: 'ok' });
    expect(app.logs.text).not.toContain(SRE);
    expect(app.logs.text).not.toContain('opsbotFeishuBotSecret0001');
  });

  it('a bot that refuses (wrong secret) is reported with the reason and becomes a dead letter', async () => {
    const [card] = await app.send('bob', '/notify-test old');
    expect(card!.title).toBe('Could not post to old');
    expect(card!.text).toMatch(/19021 sign match fail.*check FEISHU_BOT_SECRETS/);
    const dead = (await app.audit()).find((e) => e.kind === 'dead-letter');
    expect(dead).toMatchObject({ actor: 'opsbot', platform: 'feishu-bot', chatId: 'old', outcome: 'failed' });
    expect(dead!.reason).toMatch(/^old: 🔔 opsbot test notification/);
  });

  it('only approvers may send test notifications; an unknown target lists the known ones', async () => {
    expect((await app.send('carol', '/notify-test sre'))[0]!.title).toBe('⛔ Carol Zhang may not send test notifications (approvers only)');
    const [unknown] = await app.send('bob', '/notify-test nope');
    expect(unknown!.title).toBe('❓ no notify target "nope" (policy notify.targets has: sre, old, room)');
  });

  it('an approval card posted to a send-only bot shows what to type instead of dead buttons', async () => {
    const [req] = await app.send('alice', '/scale user-service 3');
    const id = /· ([A-Z0-9]{4})$/.exec(req!.title)![1]!;
    const a = await app.approvals.get(id);
    const before = bot.posts.length;
    const r = await app.core.notifier.post('sre', app.approvals.card(a!));
    expect(r.ok).toBe(true);
    const sent = JSON.stringify(bot.posts[before]!.body.card);
    expect(sent).toContain(`/approve ${id}`);
    expect(sent).not.toContain('callback');
    await app.send('alice', `/cancel ${id}`);
    await app.dispatcher.idle();
  });

  it('posts to a chat platform target land in that chat, as the system actor', async () => {
    const r = await app.core.notifier.post('room', { title: 'hello room', tone: 'info', blocks: [] });
    expect(r.ok).toBe(true);
    const card = await app.card((r as { refs: string[] }).refs[0]!);
    expect(card).toMatchObject({ title: 'hello room' });
    expect((card as unknown as { chat: string }).chat).toBe('ops-room');
  });
});
