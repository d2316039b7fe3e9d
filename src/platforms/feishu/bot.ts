import { createHmac } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import type { PlatformAdapter, PlatformCaps, SendTarget } from '../../core/adapter.js';
import { OpsError } from '../../core/errors.js';
import { Outbound, RetryableError } from '../../core/outbound.js';
import { definePlatform } from '../../core/platform.js';
import { Secret } from '../../config/secret.js';
import type { EnvVars, VarDoc } from '../../config/vars.js';
import type { Logger } from '../../log.js';
import { renderFeishuCard } from './render.js';

/**
 * The Feishu custom bot (自定义机器人, 群机器人 webhook): send-only, one per group, what teams already
 * have in every alert group (platforms.md §1.5). It cannot receive messages or clicks, so its cards
 * carry no buttons (the dispatcher shows `/approve K7QF` instead) and a change of state is a new card.
 */

/** Custom bot body limit is 20 KB (platforms.md §1.6); keep a margin for the envelope. */
const MAX_BOT_CARD_BYTES = 19 * 1024;
/** 100 per minute and 5 per second per bot: one every 600 ms satisfies both. */
const MIN_INTERVAL_MS = 600;
/** Feishu's answer codes: 19021 bad sign or stale timestamp; 11232 frequency limit; 9499 bad request. */
const RATE_LIMITED = new Set([11232, 9499]);

export interface FeishuBotHook {
  name: string;
  /** The full hook URL (…/open-apis/bot/v2/hook/<token>): the token is a credential. */
  url: Secret;
  /** 签名校验 secret, when the bot has signing on. */
  secret?: Secret;
}

export interface FeishuBotConfig {
  hooks: FeishuBotHook[];
}

export const FEISHU_BOT_VARS: VarDoc[] = [
  {
    name: 'FEISHU_BOT_WEBHOOKS',
    meaning:
      'Feishu custom bots (群设置 → 群机器人 → 添加机器人 → 自定义机器人), send-only targets for alerts and reports: `name=<webhook URL or token>` pairs, comma-separated, e.g. `sre=https://open.feishu.cn/open-apis/bot/v2/hook/xxxx`. A policy target uses `{ platform: feishu-bot, chat: sre }`.',
  },
  { name: 'FEISHU_BOT_SECRETS', meaning: '签名校验 secrets of those bots: `name=<secret>` pairs, comma-separated. Set one for every bot that has signing on (recommended).' },
  { name: 'FEISHU_BOT_API_BASE', default: 'https://open.feishu.cn', meaning: 'Base for bots given as a bare token (`https://open.larksuite.com` for Lark, or a test server).' },
];

const TOKEN = /^[A-Za-z0-9-]{8,100}$/;

export function readFeishuBotConfig(v: EnvVars): FeishuBotConfig | undefined {
  const urls = v.pairs('FEISHU_BOT_WEBHOOKS');
  const secrets = v.pairs('FEISHU_BOT_SECRETS');
  if (!urls.size) {
    if (secrets.size) v.problem('FEISHU_BOT_SECRETS: set FEISHU_BOT_WEBHOOKS too (the bots these secrets sign for)');
    return undefined;
  }
  const base = v.baseUrl('FEISHU_BOT_API_BASE', 'https://open.feishu.cn');
  const hooks: FeishuBotHook[] = [];
  for (const [name, value] of urls) {
    let url: string | undefined;
    if (TOKEN.test(value)) url = `${base}/open-apis/bot/v2/hook/${value}`;
    else {
      try {
        const u = new URL(value);
        if ((u.protocol === 'https:' || u.protocol === 'http:') && /\/open-apis\/bot\/v2\/hook\/[A-Za-z0-9-]{8,100}$/.test(u.pathname) && !u.search && !u.username) url = u.href;
      } catch {
        /* reported below */
      }
    }
    // The URL holds the token: never echo it.
    if (!url) v.problem(`FEISHU_BOT_WEBHOOKS: "${name}" is neither a hook token nor an …/open-apis/bot/v2/hook/<token> URL`);
    else hooks.push({ name, url: new Secret(url), ...(secrets.has(name) ? { secret: new Secret(secrets.get(name) as string) } : {}) });
  }
  for (const name of secrets.keys()) if (!urls.has(name)) v.problem(`FEISHU_BOT_SECRETS: "${name}" has no webhook in FEISHU_BOT_WEBHOOKS`);
  return hooks.length === urls.size ? { hooks } : undefined;
}

/**
 * The custom bot's signature (vectors/feishu-webhook-sign.json): HMAC-SHA256 keyed with
 * `timestamp + "\n" + secret` over an empty message, base64. Timestamp in seconds.
 */
export function feishuBotSign(secret: string, timestampSec: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

export class FeishuBotAdapter implements PlatformAdapter {
  readonly id = 'feishu-bot';
  readonly caps: PlatformCaps = { ackDeadlineMs: 3000, toast: false, cardUpdate: 'never', buttons: false, maxCardBytes: MAX_BOT_CARD_BYTES, singleConnection: false, replyOnce: false };
  readonly #hooks: Map<string, FeishuBotHook>;
  readonly #outbound: Outbound;
  readonly #now: () => number;
  #seq = 0;

  constructor(o: { config: FeishuBotConfig; log: Logger; now: () => number; minBackoffMs?: number }) {
    this.#hooks = new Map(o.config.hooks.map((h) => [h.name, h]));
    this.#now = o.now;
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 1, intervalMs: MIN_INTERVAL_MS }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}) });
  }

  get names(): string[] {
    return [...this.#hooks.keys()];
  }

  async send(to: SendTarget, card: Card): Promise<string> {
    const hook = this.#hooks.get(to.chatId);
    if (!hook) throw new OpsError('unknown_target', `no Feishu custom bot "${to.chatId}" (FEISHU_BOT_WEBHOOKS has: ${this.names.join(', ')})`);
    const rendered = renderFeishuCard(fitBot(card));
    await this.#outbound.run(`feishu-bot:${hook.name}`, `feishu custom bot ${hook.name}`, async (signal) => {
      // Signed at send time, for every attempt: a retried request must not carry a stale timestamp.
      const ts = String(Math.floor(this.#now() / 1000));
      const body = { ...(hook.secret ? { timestamp: ts, sign: feishuBotSign(hook.secret.reveal(), ts) } : {}), msg_type: 'interactive', card: rendered };
      const r = await fetch(hook.url.reveal(), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), signal });
      const text = await r.text();
      if (r.status === 429 || r.status >= 500) throw new RetryableError(`feishu custom bot ${hook.name}: HTTP ${r.status}`, 1000);
      let j: { code?: number; StatusCode?: number; msg?: string; StatusMessage?: string };
      try {
        j = JSON.parse(text) as typeof j;
      } catch {
        throw new OpsError('platform_error', `feishu custom bot ${hook.name}: HTTP ${r.status}, not JSON`);
      }
      const code = j.code ?? j.StatusCode ?? (r.ok ? 0 : r.status);
      if (code === 0) return;
      const msg = String(j.msg ?? j.StatusMessage ?? '').slice(0, 200);
      if (RATE_LIMITED.has(code)) throw new RetryableError(`feishu custom bot ${hook.name}: rate limited (${code})`, 1000);
      const hint = code === 19021 ? ' — check FEISHU_BOT_SECRETS (签名校验) and the server clock' : code === 19024 ? ' — the bot has an IP allow-list (IP 白名单)' : code === 19022 ? ' — the bot has keyword checks (自定义关键词); remove them or add "opsbot"' : '';
      throw new OpsError('platform_error', `feishu custom bot ${hook.name} refused the card: ${code} ${msg}${hint}`);
    });
    return `${hook.name}:${this.#now()}:${++this.#seq}`;
  }

  async update(): Promise<void> {
    throw new Error('a Feishu custom bot cannot update a card (caps.cardUpdate is never)');
  }

  async close(): Promise<void> {
    await this.#outbound.idle();
  }
}

/** A card always fits: tables and logs shrink in the renderer; a huge footer or title is cut here. */
function fitBot(card: Card): Card {
  return { ...card, title: card.title.slice(0, 200), ...(card.footer ? { footer: card.footer.slice(0, 500) } : {}) };
}

/** The Feishu custom bot, as the platform registry sees it: send-only, so no route and no connection. */
export const feishuBot = definePlatform<FeishuBotConfig>({
  id: 'feishu-bot',
  title: 'Feishu custom bot (飞书自定义机器人, send-only)',
  vars: FEISHU_BOT_VARS,
  howToEnable: 'feishu-bot is not configured (set FEISHU_BOT_WEBHOOKS)',
  readConfig: readFeishuBotConfig,
  async start(config, deps) {
    const adapter = new FeishuBotAdapter({ config, log: deps.log, now: deps.now, ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}) });
    return {
      adapter,
      http: false,
      routeOff: 'feishu-bot is send-only: a custom bot webhook cannot receive messages or clicks',
      summary: { bots: adapter.names.join(',') },
      close: () => adapter.close(),
    };
  },
});
