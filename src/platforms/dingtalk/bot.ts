import type { Card } from '../../../cards/model.js';
import type { VarDoc } from '../../config/vars.js';
import { OpsError } from '../../core/errors.js';
import { RetryableError } from '../../core/outbound.js';
import { defineRobotPlatform, type RobotHook } from '../../core/robots.js';
import { signedWebhookUrl } from './crypto.js';
import { MAX_MARKDOWN_BYTES, renderMarkdown } from './render.js';

/**
 * The DingTalk custom robot (自定义机器人, group webhook): send-only, the way most teams push alerts to
 * DingTalk today (platforms.md §2.3, §2.5). It cannot receive messages or clicks, so its cards carry no
 * buttons (the dispatcher shows `/approve K7QF` instead) and each new state is a new message. The shared
 * robot machinery is core/robots.ts; this file is how DingTalk signs and answers.
 */

/** 20 messages a minute per robot, else throttled for 10 minutes (platforms.md §2.6). */
const MIN_INTERVAL_MS = 3000;
/** 130101: sending too fast. 310000: security settings (sign, keyword, IP). 300001: token does not exist. 400102: robot disabled. */
const THROTTLED = new Set([130101, 410100]);
const TOKEN = /^[A-Za-z0-9]{16,128}$/;

export const DINGTALK_BOT_VARS: VarDoc[] = [
  {
    name: 'DINGTALK_BOT_WEBHOOKS',
    meaning:
      'DingTalk custom robots (群设置 → 机器人 → 添加机器人 → 自定义), send-only targets for alerts and reports: `name=<webhook URL or access_token>` pairs, comma-separated, e.g. `sre=https://oapi.dingtalk.com/robot/send?access_token=xxxx`. A policy target uses `{ platform: dingtalk-bot, chat: sre }`.',
    secret: true,
  },
  { name: 'DINGTALK_BOT_SECRETS', meaning: '加签 secrets (`SEC…`) of those robots: `name=<secret>` pairs, comma-separated. Set one for every robot with 加签 on (recommended).', secret: true },
  { name: 'DINGTALK_BOT_API_BASE', default: 'https://oapi.dingtalk.com', meaning: 'Base for robots given as a bare access_token, or a local test server.' },
];


function toUrl(value: string, base: string): string | undefined {
  if (TOKEN.test(value)) return `${base}/robot/send?access_token=${value}`;
  try {
    const u = new URL(value);
    const token = u.searchParams.get('access_token') ?? '';
    if ((u.protocol === 'https:' || u.protocol === 'http:') && u.pathname === '/robot/send' && TOKEN.test(token) && [...u.searchParams.keys()].length === 1 && !u.username) return u.href;
  } catch {
    /* reported by the caller */
  }
  return undefined;
}

async function post(hook: RobotHook, card: Card, o: { signal: AbortSignal; now: number }): Promise<void> {
  const md = renderMarkdown(card);
  const at = card.mentions?.all ? { isAtAll: true } : card.mentions?.userIds?.length ? { atUserIds: card.mentions.userIds } : undefined;
  const url = hook.secret ? signedWebhookUrl(hook.url.reveal(), hook.secret.reveal(), String(o.now)) : hook.url.reveal();
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ msgtype: 'markdown', markdown: md, ...(at ? { at } : {}) }), signal: o.signal });
  if (r.status === 429 || r.status >= 500) throw new RetryableError(`dingtalk custom robot ${hook.name}: HTTP ${r.status}`, MIN_INTERVAL_MS);
  const j = (await r.json().catch(() => undefined)) as { errcode?: number; errmsg?: string } | undefined;
  if (!j) throw new OpsError('platform_error', `dingtalk custom robot ${hook.name}: HTTP ${r.status}, not JSON`);
  const code = Number(j.errcode ?? (r.ok ? 0 : r.status));
  if (code === 0) return;
  const msg = String(j.errmsg ?? '').slice(0, 200);
  if (THROTTLED.has(code)) throw new RetryableError(`dingtalk custom robot ${hook.name}: throttled (${code})`, MIN_INTERVAL_MS);
  throw new OpsError('platform_error', `dingtalk custom robot ${hook.name} refused the message: ${code} ${msg}${hint(code, msg)}`);
}

function hint(code: number, msg: string): string {
  if (code === 310000 && /sign|timestamp/i.test(msg)) return ' — check DINGTALK_BOT_SECRETS (加签) and the server clock';
  if (code === 310000 && /keyword/i.test(msg)) return ' — the robot has custom keywords (自定义关键词): add "opsbot" to them, or use 加签 instead';
  if (code === 310000 && /ip/i.test(msg)) return ' — the robot has an IP allow-list (IP 地址段) without this server';
  if (code === 300001 || code === 400102) return ' — the robot was removed or disabled in the group; create a new one';
  return '';
}

/** The DingTalk custom robot, as the platform registry sees it: send-only, so no route and no connection. */
export const dingtalkBot = defineRobotPlatform({
  id: 'dingtalk-bot',
  title: 'DingTalk custom robot (钉钉自定义机器人, send-only)',
  what: 'DingTalk custom robot',
  vars: DINGTALK_BOT_VARS,
  read: {
    webhooks: 'DINGTALK_BOT_WEBHOOKS',
    secrets: 'DINGTALK_BOT_SECRETS',
    base: { name: 'DINGTALK_BOT_API_BASE', fallback: 'https://oapi.dingtalk.com' },
    toUrl,
    expected: 'an access_token nor a …/robot/send?access_token=<token> URL',
    checkSecret: (s) => (s.startsWith('SEC') ? undefined : 'should start with SEC (机器人安全设置 → 加签)'),
  },
  maxCardBytes: MAX_MARKDOWN_BYTES,
  intervalMs: MIN_INTERVAL_MS,
  post,
});
