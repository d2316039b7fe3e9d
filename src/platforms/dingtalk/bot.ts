import type { Card } from '../../../cards/model.js';
import { Secret } from '../../config/secret.js';
import type { EnvVars, VarDoc } from '../../config/vars.js';
import type { PlatformAdapter, PlatformCaps, SendTarget } from '../../core/adapter.js';
import { OpsError } from '../../core/errors.js';
import { Outbound, RetryableError } from '../../core/outbound.js';
import { definePlatform } from '../../core/platform.js';
import type { Logger } from '../../log.js';
import { signedWebhookUrl } from './crypto.js';
import { MAX_MARKDOWN_BYTES, renderMarkdown } from './render.js';

/**
 * The DingTalk custom robot (自定义机器人, group webhook): send-only, the way most teams push alerts to
 * DingTalk today (platforms.md §2.3, §2.5). It cannot receive messages or clicks, so its cards carry no
 * buttons (the dispatcher shows `/approve K7QF` instead) and each new state is a new message.
 */

/** 20 messages a minute per robot, else throttled for 10 minutes (platforms.md §2.6). */
const MIN_INTERVAL_MS = 3000;
/** 130101: sending too fast. 310000: security settings (sign, keyword, IP). 300001: token does not exist. 400102: robot disabled. */
const THROTTLED = new Set([130101, 410100]);

export interface DingtalkBotHook {
  name: string;
  /** https://oapi.dingtalk.com/robot/send?access_token=…: the token is a credential. */
  url: Secret;
  /** 加签 secret (SEC…), when the robot has signing on. */
  secret?: Secret;
}

export interface DingtalkBotConfig {
  hooks: DingtalkBotHook[];
}

export const DINGTALK_BOT_VARS: VarDoc[] = [
  {
    name: 'DINGTALK_BOT_WEBHOOKS',
    meaning:
      'DingTalk custom robots (群设置 → 机器人 → 添加机器人 → 自定义), send-only targets for alerts and reports: `name=<webhook URL or access_token>` pairs, comma-separated, e.g. `sre=https://oapi.dingtalk.com/robot/send?access_token=xxxx`. A policy target uses `{ platform: dingtalk-bot, chat: sre }`.',
  },
  { name: 'DINGTALK_BOT_SECRETS', meaning: '加签 secrets (`SEC…`) of those robots: `name=<secret>` pairs, comma-separated. Set one for every robot with 加签 on (recommended).' },
  { name: 'DINGTALK_BOT_API_BASE', default: 'https://oapi.dingtalk.com', meaning: 'Base for robots given as a bare access_token, or a local test server.' },
];

const TOKEN = /^[A-Za-z0-9]{16,128}$/;

export function readDingtalkBotConfig(v: EnvVars): DingtalkBotConfig | undefined {
  const urls = v.pairs('DINGTALK_BOT_WEBHOOKS');
  const secrets = v.pairs('DINGTALK_BOT_SECRETS');
  if (!urls.size) {
    if (secrets.size) v.problem('DINGTALK_BOT_SECRETS: set DINGTALK_BOT_WEBHOOKS too (the robots these secrets sign for)');
    return undefined;
  }
  const base = v.baseUrl('DINGTALK_BOT_API_BASE', 'https://oapi.dingtalk.com');
  const hooks: DingtalkBotHook[] = [];
  for (const [name, value] of urls) {
    let url: string | undefined;
    if (TOKEN.test(value)) url = `${base}/robot/send?access_token=${value}`;
    else {
      try {
        const u = new URL(value);
        const token = u.searchParams.get('access_token') ?? '';
        if ((u.protocol === 'https:' || u.protocol === 'http:') && u.pathname === '/robot/send' && TOKEN.test(token) && [...u.searchParams.keys()].length === 1 && !u.username) url = u.href;
      } catch {
        /* reported below */
      }
    }
    // The URL holds the token: never echo it.
    if (!url) v.problem(`DINGTALK_BOT_WEBHOOKS: "${name}" is neither an access_token nor a …/robot/send?access_token=<token> URL`);
    else hooks.push({ name, url: new Secret(url), ...(secrets.has(name) ? { secret: new Secret(secrets.get(name) as string) } : {}) });
  }
  for (const [name, s] of secrets) {
    if (!urls.has(name)) v.problem(`DINGTALK_BOT_SECRETS: "${name}" has no webhook in DINGTALK_BOT_WEBHOOKS`);
    else if (!s.startsWith('SEC')) v.problem(`DINGTALK_BOT_SECRETS: the secret of "${name}" should start with SEC (机器人安全设置 → 加签)`);
  }
  return hooks.length === urls.size ? { hooks } : undefined;
}

export class DingtalkBotAdapter implements PlatformAdapter {
  readonly id = 'dingtalk-bot';
  readonly caps: PlatformCaps = { ackDeadlineMs: 3000, toast: false, cardUpdate: 'never', buttons: false, maxCardBytes: MAX_MARKDOWN_BYTES, singleConnection: false, replyOnce: false };
  readonly #hooks: Map<string, DingtalkBotHook>;
  readonly #outbound: Outbound;
  readonly #now: () => number;
  #seq = 0;

  constructor(o: { config: DingtalkBotConfig; log: Logger; now: () => number; minBackoffMs?: number }) {
    this.#hooks = new Map(o.config.hooks.map((h) => [h.name, h]));
    this.#now = o.now;
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 1, intervalMs: MIN_INTERVAL_MS }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}) });
  }

  get names(): string[] {
    return [...this.#hooks.keys()];
  }

  async send(to: SendTarget, card: Card): Promise<string> {
    const hook = this.#hooks.get(to.chatId);
    if (!hook) throw new OpsError('unknown_target', `no DingTalk custom robot "${to.chatId}" (DINGTALK_BOT_WEBHOOKS has: ${this.names.join(', ')})`);
    const md = renderMarkdown(card);
    const at = card.mentions?.all ? { isAtAll: true } : card.mentions?.userIds?.length ? { atUserIds: card.mentions.userIds } : undefined;
    await this.#outbound.run(`dingtalk-bot:${hook.name}`, `dingtalk custom robot ${hook.name}`, async (signal) => {
      // Signed per attempt: a retry must not carry a stale timestamp.
      const url = hook.secret ? signedWebhookUrl(hook.url.reveal(), hook.secret.reveal(), String(this.#now())) : hook.url.reveal();
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ msgtype: 'markdown', markdown: md, ...(at ? { at } : {}) }), signal });
      if (r.status === 429 || r.status >= 500) throw new RetryableError(`dingtalk custom robot ${hook.name}: HTTP ${r.status}`, 3000);
      const j = (await r.json().catch(() => undefined)) as { errcode?: number; errmsg?: string } | undefined;
      if (!j) throw new OpsError('platform_error', `dingtalk custom robot ${hook.name}: HTTP ${r.status}, not JSON`);
      const code = Number(j.errcode ?? (r.ok ? 0 : r.status));
      if (code === 0) return;
      const msg = String(j.errmsg ?? '').slice(0, 200);
      if (THROTTLED.has(code)) throw new RetryableError(`dingtalk custom robot ${hook.name}: throttled (${code})`, MIN_INTERVAL_MS);
      throw new OpsError('platform_error', `dingtalk custom robot ${hook.name} refused the message: ${code} ${msg}${hint(code, msg)}`);
    });
    return `${hook.name}:${this.#now()}:${++this.#seq}`;
  }

  async update(): Promise<void> {
    throw new Error('a DingTalk custom robot cannot update a message (caps.cardUpdate is never)');
  }

  async close(): Promise<void> {
    await this.#outbound.idle();
  }
}

function hint(code: number, msg: string): string {
  if (code === 310000 && /sign|timestamp/i.test(msg)) return ' — check DINGTALK_BOT_SECRETS (加签) and the server clock';
  if (code === 310000 && /keyword/i.test(msg)) return ' — the robot has custom keywords (自定义关键词): add "opsbot" to them, or use 加签 instead';
  if (code === 310000 && /ip/i.test(msg)) return ' — the robot has an IP allow-list (IP 地址段) without this server';
  if (code === 300001 || code === 400102) return ' — the robot was removed or disabled in the group; create a new one';
  return '';
}

/** The DingTalk custom robot, as the platform registry sees it: send-only, so no route and no connection. */
export const dingtalkBot = definePlatform<DingtalkBotConfig>({
  id: 'dingtalk-bot',
  title: 'DingTalk custom robot (钉钉自定义机器人, send-only)',
  vars: DINGTALK_BOT_VARS,
  howToEnable: 'dingtalk-bot is not configured (set DINGTALK_BOT_WEBHOOKS)',
  readConfig: readDingtalkBotConfig,
  async start(config, deps) {
    const adapter = new DingtalkBotAdapter({ config, log: deps.log, now: deps.now, ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}) });
    return {
      adapter,
      http: false,
      routeOff: 'dingtalk-bot is send-only: a custom robot webhook cannot receive messages or clicks',
      summary: { robots: adapter.names.join(',') },
      close: () => adapter.close(),
    };
  },
});
