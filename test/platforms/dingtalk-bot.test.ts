import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { dingtalkSign } from '../../src/platforms/dingtalk/crypto.js';
import { FakeDingtalk } from '../fakes/dingtalk-api.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

/** The DingTalk custom robot (自定义机器人) as a send-only notify target, against a local fake that checks 加签. */
describe('configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ OPSBOT_DEMO: '1', ...env }, { cwd: ROOT });
  it('bad entries are one clear line each, and never echo a token or a secret', () => {
    const r = load({ DINGTALK_BOT_WEBHOOKS: 'sre=https://example.com/robot/other?access_token=abcdef0123456789secret, db=short', DINGTALK_BOT_SECRETS: 'sre=notSEC-s3cr3t,ghost=SECx' });
    expect(r.ok).toBe(false);
    const problems = (r as { problems: string[] }).problems.join('\n');
    expect(problems).toContain('DINGTALK_BOT_WEBHOOKS: "sre" is neither an access_token nor a …/robot/send?access_token=<token> URL');
    expect(problems).toContain('DINGTALK_BOT_WEBHOOKS: "db" is neither');
    expect(problems).toContain('DINGTALK_BOT_SECRETS: "ghost" has no webhook in DINGTALK_BOT_WEBHOOKS');
    expect(problems).toContain('DINGTALK_BOT_SECRETS: the secret of "sre" should start with SEC');
    expect(problems).not.toContain('abcdef0123456789secret');
    expect(problems).not.toContain('s3cr3t');
  });
});

describe('notifier → DingTalk custom robot', () => {
  const SRE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const OLD = 'ffffeeeeddddccccbbbbaaaa99998888';
  const SECRET = 'SEC0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const dt = new FakeDingtalk();
  let app: TestApp;
  beforeAll(async () => {
    await dt.start();
    dt.robots.set(SRE, { secret: SECRET });
    dt.robots.set(OLD, { secret: 'SECthe-robots-real-secret' });
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-dtbot-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, `${readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8')}\nnotify:\n  actor: opsbot\n  targets:\n    sre: { platform: dingtalk-bot, chat: sre }\n    old: { platform: dingtalk-bot, chat: old }\n`);
    app = await startTestApp({ OPSBOT_CONFIG: policy, DINGTALK_BOT_WEBHOOKS: `sre=${dt.url}/robot/send?access_token=${SRE},old=${OLD}`, DINGTALK_BOT_SECRETS: `sre=${SECRET},old=SECan-outdated-secret`, DINGTALK_BOT_API_BASE: dt.url }, { platformBackoffMs: 20 });
  });
  afterAll(async () => {
    await app?.stop();
    await dt.stop();
  });

  it('/notify-test posts a signed markdown message the robot accepts (a throttled first try is retried)', async () => {
    dt.robotFailNext = 1;
    const [card] = await app.send('bob', '/notify-test sre');
    expect(card!.title).toBe('Test card posted to sre');
    expect(dt.robotPosts).toHaveLength(1);
    const post = dt.robotPosts[0]!;
    expect(post.token).toBe(SRE);
    expect(post.timestamp).toMatch(/^\d{13}$/);
    expect(post.sign).toBe(dingtalkSign(SECRET, post.timestamp!));
    expect((post.body['markdown'] as { text: string }).text).toContain('opsbot test notification');
    expect(dt.robotRefused).toEqual([{ token: SRE, errcode: 130101 }]);
    expect(app.logs.text).not.toContain(SRE);
    expect(app.logs.text).not.toContain(SECRET);
  });

  it('a robot that refuses the signature is reported with a hint and becomes a dead letter', async () => {
    const [card] = await app.send('bob', '/notify-test old');
    expect(card!.title).toBe('Could not post to old');
    expect(card!.text).toMatch(/310000 sign not match.*check DINGTALK_BOT_SECRETS/);
    const dead = (await app.audit()).find((e) => e.kind === 'dead-letter');
    expect(dead).toMatchObject({ platform: 'dingtalk-bot', chatId: 'old', outcome: 'failed' });
  });

  it('an approval card to a robot says what to type; no buttons', async () => {
    const [req] = await app.send('alice', '/scale user-service 3');
    const id = /· ([A-Z0-9]{4})$/.exec(req!.title)![1]!;
    const a = await app.approvals.get(id);
    const before = dt.robotPosts.length;
    const r = await app.core.notifier.post('sre', app.approvals.card(a!));
    expect(r.ok).toBe(true);
    const text = (dt.robotPosts[before]!.body['markdown'] as { text: string }).text;
    expect(text).toContain(`/approve ${id}`);
    await app.send('alice', `/cancel ${id}`);
    await app.dispatcher.idle();
  });
});
