import type { Card } from '../../../cards/model.js';
import type { VarDoc } from '../../config/vars.js';
import { defineRobotPlatform, type RobotHook } from '../../core/robots.js';
import { checkWecom } from './client.js';
import { MARKDOWN_BYTES, renderMarkdown } from './render.js';

/**
 * The WeCom group robot (群机器人 / 消息推送, `cgi-bin/webhook/send?key=`): push-only, unsigned (the key in
 * the URL is the credential), 20 messages a minute per robot (platforms.md §3.6–3.7). Markdown with
 * `<@userid>` mentions (the card's mentions). Retried: timeouts, 5xx, -1, 45009; never 40058 (too long —
 * the renderer cuts to 4,096 bytes) or 93000 (bad key).
 */
const MIN_INTERVAL_MS = 3000;
const KEY = /^[A-Za-z0-9-]{8,100}$/;

export const WECOM_BOT_VARS: VarDoc[] = [
  {
    name: 'WECOM_BOT_WEBHOOKS',
    meaning:
      'WeCom group robots (群聊 → 添加群机器人 / 消息推送), send-only targets for alerts and reports: `name=<webhook URL or key>` pairs, comma-separated, e.g. `sre=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=xxxx`. A policy target uses `{ platform: wecom-bot, chat: sre }`.',
    secret: true,
  },
  { name: 'WECOM_BOT_API_BASE', default: 'https://qyapi.weixin.qq.com', meaning: 'Base for robots given as a bare key, or a local test server.' },
];

function toUrl(value: string, base: string): string | undefined {
  if (KEY.test(value)) return `${base}/cgi-bin/webhook/send?key=${value}`;
  try {
    const u = new URL(value);
    if ((u.protocol === 'https:' || u.protocol === 'http:') && u.pathname === '/cgi-bin/webhook/send' && KEY.test(u.searchParams.get('key') ?? '') && [...u.searchParams.keys()].length === 1 && !u.username) return u.href;
  } catch {
    /* reported by the caller */
  }
  return undefined;
}

async function post(hook: RobotHook, card: Card, o: { signal: AbortSignal }): Promise<void> {
  const body = { msgtype: 'markdown', markdown: { content: renderMarkdown(card, MARKDOWN_BYTES.app) } };
  const r = await fetch(hook.url.reveal(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: o.signal });
  await checkWecom(r, `group robot ${hook.name}`);
}

export const wecomBot = defineRobotPlatform({
  id: 'wecom-bot',
  title: 'WeCom group robot (企业微信群机器人, send-only)',
  what: 'WeCom group robot',
  vars: WECOM_BOT_VARS,
  read: { webhooks: 'WECOM_BOT_WEBHOOKS', base: { name: 'WECOM_BOT_API_BASE', fallback: 'https://qyapi.weixin.qq.com' }, toUrl, expected: 'a robot key nor a …/cgi-bin/webhook/send?key=<key> URL' },
  maxCardBytes: MARKDOWN_BYTES.app,
  intervalMs: MIN_INTERVAL_MS,
  post,
});
