import type { Secret } from '../../config/secret.js';
import type { EnvVars, VarDoc } from '../../config/vars.js';
import { httpUrl, shorten } from '../../config/vars.js';

export interface DingtalkConfig {
  /** `stream`: Stream mode, no public URL (default). `http`: robot message URL at /webhooks/dingtalk. */
  mode: 'stream' | 'http';
  /** Client ID (AppKey); also the robotCode unless DINGTALK_ROBOT_CODE says otherwise. */
  clientId: string;
  clientSecret: Secret;
  robotCode: string;
  /** The 卡片平台 template for cards with buttons; without it cards are markdown and approvals typed. */
  cardTemplateId?: string;
  /** http mode: the public URL of /webhooks/dingtalk, registered as the card callback route. */
  cardCallbackUrl?: string;
  /** Event subscription over HTTP (事件与回调 → 加密 aes_key + 签名 token): answered and checked. */
  eventToken?: Secret;
  eventAesKey?: Secret;
  /** DING levels the organisation may use (专业版/专属版 and the DING permission): none unless the admin says. */
  ding: ('app' | 'sms' | 'phone')[];
  /** https://api.dingtalk.com (OpenAPI and the Stream gateway), or a test server. */
  apiBase: string;
  /** https://oapi.dingtalk.com: the only host a sessionWebhook may point to. */
  oapiBase: string;
}

export const DINGTALK_VARS: VarDoc[] = [
  { name: 'DINGTALK_MODE', default: 'stream', meaning: '`stream`: Stream mode (Stream 模式, no public URL); `http`: HTTP mode, messages POSTed to `/webhooks/dingtalk`.' },
  { name: 'DINGTALK_CLIENT_ID', meaning: 'Client ID / AppKey (开发者后台 → 应用开发 → 企业内部应用 → 凭证与基础信息). Setting any `DINGTALK_` app variable turns DingTalk on.' },
  { name: 'DINGTALK_CLIENT_SECRET', meaning: 'Client Secret / AppSecret (same page). Also the key of the HTTP-mode `sign` header.', secret: true },
  { name: 'DINGTALK_ROBOT_CODE', default: 'the client id', meaning: 'robotCode (机器人 → 机器人配置); the same as the Client ID for an app robot.' },
  { name: 'DINGTALK_CARD_TEMPLATE_ID', meaning: "Interactive card template (卡片平台, id ending in `.schema`) made from `deploy/dingtalk/opsbot-card.json`: cards with Approve/Reject buttons. Unset: markdown messages and `/approve K7QF` typed." },
  { name: 'DINGTALK_CARD_CALLBACK_URL', meaning: 'HTTP mode only: the public https URL of `/webhooks/dingtalk`; registered at startup as the card button callback (Stream mode receives clicks on the connection).' },
  { name: 'DINGTALK_EVENT_TOKEN', meaning: 'Event subscription over HTTP (事件与回调 → 签名 token), to save an event URL pointing at `/webhooks/dingtalk`; optional.', secret: true },
  { name: 'DINGTALK_EVENT_AES_KEY', meaning: 'The 43-character 加密 aes_key of the same page; required with `DINGTALK_EVENT_TOKEN`.', secret: true },
  { name: 'DINGTALK_DING', meaning: 'DING levels the robot may use to escalate alerts, comma-separated: `app` (应用内), `sms` (短信), `phone` (电话). Needs 钉钉专业版/专属版 and the permission 企业机器人发送撤回DING消息; SMS and phone use the paid DING quota. Unset: no DING.' },
  { name: 'DINGTALK_API_BASE', default: 'https://api.dingtalk.com', meaning: 'OpenAPI and Stream gateway base, or a local test server.' },
  { name: 'DINGTALK_OAPI_BASE', default: 'https://oapi.dingtalk.com', meaning: 'The only origin a `sessionWebhook` may point to (replies are refused elsewhere), or a local test server.' },
];

const APP_VARS = ['DINGTALK_MODE', 'DINGTALK_CLIENT_ID', 'DINGTALK_CLIENT_SECRET', 'DINGTALK_ROBOT_CODE', 'DINGTALK_CARD_TEMPLATE_ID', 'DINGTALK_CARD_CALLBACK_URL', 'DINGTALK_EVENT_TOKEN', 'DINGTALK_EVENT_AES_KEY', 'DINGTALK_DING'];
const DING_LEVELS = ['app', 'sms', 'phone'] as const;

/** DingTalk's app variables are all-or-nothing; the bases alone do not turn it on. */
export function readDingtalkConfig(v: EnvVars): DingtalkConfig | undefined {
  if (!APP_VARS.some((n) => v.get(n))) return undefined;
  const mode = v.get('DINGTALK_MODE') ?? 'stream';
  if (mode !== 'stream' && mode !== 'http') v.problem(`DINGTALK_MODE: must be stream or http (got "${shorten(mode)}")`);
  const clientId = v.get('DINGTALK_CLIENT_ID');
  const clientSecret = v.secret('DINGTALK_CLIENT_SECRET');
  if (!clientId) v.problem('DINGTALK_CLIENT_ID: required when any DINGTALK_ variable is set (开发者后台 → 凭证与基础信息 → Client ID)');
  if (!clientSecret) v.problem('DINGTALK_CLIENT_SECRET: required when DINGTALK_CLIENT_ID is set (开发者后台 → 凭证与基础信息 → Client Secret)');
  const cardTemplateId = v.get('DINGTALK_CARD_TEMPLATE_ID');
  if (cardTemplateId && !/^[A-Za-z0-9._-]{4,100}$/.test(cardTemplateId)) v.problem(`DINGTALK_CARD_TEMPLATE_ID: not a template id (got "${shorten(cardTemplateId)}"; it ends in .schema)`);
  const cardCallbackUrl = v.get('DINGTALK_CARD_CALLBACK_URL');
  if (cardCallbackUrl && !httpUrl.safeParse(cardCallbackUrl).success) v.problem('DINGTALK_CARD_CALLBACK_URL: must be an http(s) URL');
  if (mode === 'http' && cardTemplateId && !cardCallbackUrl) {
    v.problem('DINGTALK_CARD_CALLBACK_URL: required with DINGTALK_MODE=http and a card template (the public URL of /webhooks/dingtalk, where button clicks arrive)');
  }
  if (mode === 'stream' && cardCallbackUrl) v.note('dingtalk: DINGTALK_CARD_CALLBACK_URL is ignored in Stream mode (clicks arrive on the connection)');
  const eventToken = v.secret('DINGTALK_EVENT_TOKEN');
  const eventAesKey = v.secret('DINGTALK_EVENT_AES_KEY');
  if (Boolean(eventToken) !== Boolean(eventAesKey)) v.problem('DINGTALK_EVENT_TOKEN and DINGTALK_EVENT_AES_KEY: set both or neither (事件与回调 → 加密 aes_key / 签名 token)');
  if (eventAesKey && !/^[A-Za-z0-9+/]{43}$/.test(eventAesKey.reveal())) v.problem('DINGTALK_EVENT_AES_KEY: must be the 43-character aes_key from 事件与回调');
  const ding = (v.get('DINGTALK_DING') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const badDing = ding.filter((x) => !(DING_LEVELS as readonly string[]).includes(x));
  if (badDing.length) v.problem(`DINGTALK_DING: unknown level "${shorten(badDing[0] as string)}" (use app, sms, phone)`);
  const apiBase = v.baseUrl('DINGTALK_API_BASE', 'https://api.dingtalk.com');
  const oapiBase = v.baseUrl('DINGTALK_OAPI_BASE', 'https://oapi.dingtalk.com');
  if (!clientId || !clientSecret || (mode !== 'stream' && mode !== 'http')) return undefined;
  return {
    mode,
    clientId,
    clientSecret,
    robotCode: v.get('DINGTALK_ROBOT_CODE') ?? clientId,
    ...(cardTemplateId ? { cardTemplateId } : {}),
    ...(cardCallbackUrl ? { cardCallbackUrl } : {}),
    ...(eventToken ? { eventToken } : {}),
    ...(eventAesKey ? { eventAesKey } : {}),
    ding: [...new Set(ding.filter((x): x is (typeof DING_LEVELS)[number] => (DING_LEVELS as readonly string[]).includes(x)))],
    apiBase,
    oapiBase,
  };
}
