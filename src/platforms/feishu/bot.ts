import { createHmac } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import type { VarDoc } from '../../config/vars.js';
import { OpsError } from '../../core/errors.js';
import { RetryableError } from '../../core/outbound.js';
import { defineRobotPlatform, type RobotHook } from '../../core/robots.js';
import { renderFeishuCard } from './render.js';

/**
 * The Feishu custom bot (自定义机器人, 群机器人 webhook): send-only, one per group, what teams already
 * have in every alert group (platforms.md §1.5). It cannot receive messages or clicks, so its cards
 * carry no buttons (the dispatcher shows `/approve K7QF` instead) and a change of state is a new card.
 * The shared robot machinery is core/robots.ts; this file is how Feishu signs and answers.
 */

/** Custom bot body limit is 20 KB (platforms.md §1.6); keep a margin for the envelope. */
const MAX_BOT_CARD_BYTES = 19 * 1024;
/** 100 per minute and 5 per second per bot: one every 600 ms satisfies both. */
const MIN_INTERVAL_MS = 600;
/** Feishu's answer codes: 19021 bad sign or stale timestamp; 11232 frequency limit; 9499 bad request. */
const RATE_LIMITED = new Set([11232, 9499]);
const TOKEN = /^[A-Za-z0-9-]{8,100}$/;

export const FEISHU_BOT_VARS: VarDoc[] = [
  {
    name: 'FEISHU_BOT_WEBHOOKS',
    meaning:
      'Feishu custom bots (群设置 → 群机器人 → 添加机器人 → 自定义机器人), send-only targets for alerts and reports: `name=<webhook URL or token>` pairs, comma-separated, e.g. `sre=https://open.feishu.cn/open-apis/bot/v2/hook/xxxx`. A policy target uses `{ platform: feishu-bot, chat: sre }`.',
    secret: true,
  },
  { name: 'FEISHU_BOT_SECRETS', meaning: '签名校验 secrets of those bots: `name=<secret>` pairs, comma-separated. Set one for every bot that has signing on (recommended).', secret: true },
  { name: 'FEISHU_BOT_API_BASE', default: 'https://open.feishu.cn', meaning: 'Base for bots given as a bare token (`https://open.larksuite.com` for Lark, or a test server).' },
];

/**
 * The custom bot's signature (vectors/feishu-webhook-sign.json): HMAC-SHA256 keyed with
 * `timestamp + "\n" + secret` over an empty message, base64. Timestamp in seconds.
 */
export function feishuBotSign(secret: string, timestampSec: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

/** A card always fits: tables and logs shrink in the renderer; a huge footer or title is cut here. */
function fitBot(card: Card): Card {
  return { ...card, title: card.title.slice(0, 200), ...(card.footer ? { footer: card.footer.slice(0, 500) } : {}) };
}

function toUrl(value: string, base: string): string | undefined {
  if (TOKEN.test(value)) return `${base}/open-apis/bot/v2/hook/${value}`;
  try {
    const u = new URL(value);
    if ((u.protocol === 'https:' || u.protocol === 'http:') && /\/open-apis\/bot\/v2\/hook\/[A-Za-z0-9-]{8,100}$/.test(u.pathname) && !u.search && !u.username) return u.href;
  } catch {
    /* reported by the caller */
  }
  return undefined;
}

async function post(hook: RobotHook, card: Card, o: { signal: AbortSignal; now: number }): Promise<void> {
  const rendered = renderFeishuCard(fitBot(card));
  const ts = String(Math.floor(o.now / 1000));
  const body = { ...(hook.secret ? { timestamp: ts, sign: feishuBotSign(hook.secret.reveal(), ts) } : {}), msg_type: 'interactive', card: rendered };
  const r = await fetch(hook.url.reveal(), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), signal: o.signal });
  const text = await r.text();
  // Retry-After (seconds) when the platform says how long; else a second.
  const after = Number(r.headers.get('retry-after'));
  if (r.status === 429 || r.status >= 500) throw new RetryableError(`feishu custom bot ${hook.name}: HTTP ${r.status}`, Number.isFinite(after) && after > 0 ? Math.min(after, 60) * 1000 : 1000);
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
}

/** The Feishu custom bot, as the platform registry sees it: send-only, so no route and no connection. */
export const feishuBot = defineRobotPlatform({
  id: 'feishu-bot',
  title: 'Feishu custom bot (飞书自定义机器人, send-only)',
  what: 'Feishu custom bot',
  vars: FEISHU_BOT_VARS,
  read: { webhooks: 'FEISHU_BOT_WEBHOOKS', secrets: 'FEISHU_BOT_SECRETS', base: { name: 'FEISHU_BOT_API_BASE', fallback: 'https://open.feishu.cn' }, toUrl, expected: 'a hook token nor an …/open-apis/bot/v2/hook/<token> URL' },
  maxCardBytes: MAX_BOT_CARD_BYTES,
  intervalMs: MIN_INTERVAL_MS,
  post,
});
