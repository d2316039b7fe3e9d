import type { Secret } from '../../config/secret.js';
import type { EnvVars, VarDoc } from '../../config/vars.js';
import { httpUrl, shorten } from '../../config/vars.js';

export type WecomMode = 'aibot-ws' | 'aibot-http' | 'app';

export interface WecomConfig {
  /**
   * `aibot-ws`: the intelligent bot (智能机器人) over its long connection (default, no public URL).
   * `aibot-http`: the intelligent bot in API mode, callbacks on /webhooks/wecom (JSON, receiveid "").
   * `app`: a self-built app (自建应用), callbacks on /webhooks/wecom (XML, receiveid = CorpID).
   */
  mode: WecomMode;
  botId?: string;
  botSecret?: Secret;
  token?: Secret;
  aesKey?: Secret;
  corpId?: string;
  agentId?: number;
  appSecret?: Secret;
  /** 紧急通知 voice calls through the app (bound to the 紧急通知 application in the admin console). */
  call: boolean;
  apiBase: string;
  wsUrl: string;
}

export const WECOM_VARS: VarDoc[] = [
  { name: 'WECOM_MODE', default: 'aibot-ws', meaning: '`aibot-ws`: intelligent bot (智能机器人) over the long connection, no public URL; `aibot-http`: intelligent bot in API mode, callbacks at `/webhooks/wecom`; `app`: self-built app (自建应用) callbacks at `/webhooks/wecom`.' },
  { name: 'WECOM_BOT_ID', meaning: 'The intelligent bot\'s Bot ID (智能机器人 → API 配置 / 长连接). Required for `aibot-ws`; setting any `WECOM_` app variable turns WeCom on.' },
  { name: 'WECOM_BOT_SECRET', meaning: 'The bot\'s Secret for the long connection (`aibot-ws`).', secret: true },
  { name: 'WECOM_TOKEN', meaning: 'Token of 接收消息 API 设置 (`aibot-http` and `app`).', secret: true },
  { name: 'WECOM_ENCODING_AES_KEY', meaning: 'EncodingAESKey (43 characters) of the same page (`aibot-http` and `app`).', secret: true },
  { name: 'WECOM_CORP_ID', meaning: 'CorpID (我的企业 → 企业信息 → 企业ID). Required for `app` (the callbacks\' receiveid) and for 紧急通知.' },
  { name: 'WECOM_AGENT_ID', meaning: 'The self-built app\'s AgentId (应用管理 → 自建 → the app).' },
  { name: 'WECOM_SECRET', meaning: 'The self-built app\'s Secret (same page): access token for message/send, update_template_card and 紧急通知.', secret: true },
  { name: 'WECOM_CALL', default: 'off', meaning: '`on`: the app may place 紧急通知 voice calls for alert escalation (the app must be bound to 紧急通知 in the admin console; calls use the paid quota).' },
  { name: 'WECOM_API_BASE', default: 'https://qyapi.weixin.qq.com', meaning: 'Server API base (private deployments, or a local test server).' },
  { name: 'WECOM_WS_URL', default: 'wss://openws.work.weixin.qq.com', meaning: 'The intelligent bot\'s long-connection address (private deployments: see the admin console), or a test server.' },
];

const APP_VARS = ['WECOM_MODE', 'WECOM_BOT_ID', 'WECOM_BOT_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_CALL'];
const MODES: readonly WecomMode[] = ['aibot-ws', 'aibot-http', 'app'];

export function readWecomConfig(v: EnvVars): WecomConfig | undefined {
  if (!APP_VARS.some((n) => v.get(n))) return undefined;
  const before = v.problems.length;
  const raw = v.get('WECOM_MODE') ?? 'aibot-ws';
  if (!(MODES as readonly string[]).includes(raw)) v.problem(`WECOM_MODE: must be aibot-ws, aibot-http or app (got "${shorten(raw)}")`);
  const mode = raw as WecomMode;
  const botId = v.get('WECOM_BOT_ID');
  const botSecret = v.secret('WECOM_BOT_SECRET');
  const token = v.secret('WECOM_TOKEN');
  const aesKey = v.secret('WECOM_ENCODING_AES_KEY');
  const corpId = v.get('WECOM_CORP_ID');
  const agentRaw = v.get('WECOM_AGENT_ID');
  const appSecret = v.secret('WECOM_SECRET');
  const call = (v.get('WECOM_CALL') ?? 'off') === 'on';
  if (mode === 'aibot-ws' && (!botId || !botSecret)) v.problem('WECOM_BOT_ID and WECOM_BOT_SECRET: required with WECOM_MODE=aibot-ws (管理后台 → 智能机器人 → the bot → 长连接)');
  if ((mode === 'aibot-http' || mode === 'app') && (!token || !aesKey)) v.problem(`WECOM_TOKEN and WECOM_ENCODING_AES_KEY: required with WECOM_MODE=${mode} (接收消息 API 设置 → Token / EncodingAESKey)`);
  if (aesKey && !/^[A-Za-z0-9+/]{43}$/.test(aesKey.reveal())) v.problem('WECOM_ENCODING_AES_KEY: must be the 43-character EncodingAESKey');
  if (mode === 'app' && (!corpId || !agentRaw || !appSecret)) v.problem('WECOM_CORP_ID, WECOM_AGENT_ID and WECOM_SECRET: required with WECOM_MODE=app (我的企业 → 企业ID; 应用管理 → the app → AgentId / Secret)');
  if (call && (!corpId || !appSecret)) v.problem('WECOM_CALL=on: needs WECOM_CORP_ID and WECOM_SECRET (the app bound to 紧急通知)');
  const agentId = agentRaw === undefined ? undefined : Number(agentRaw);
  if (agentRaw !== undefined && !(Number.isInteger(agentId) && (agentId as number) > 0)) v.problem(`WECOM_AGENT_ID: must be a number (got "${shorten(agentRaw)}")`);
  const apiBase = v.baseUrl('WECOM_API_BASE', 'https://qyapi.weixin.qq.com');
  const wsUrl = v.get('WECOM_WS_URL') ?? 'wss://openws.work.weixin.qq.com';
  if (!/^wss?:\/\//.test(wsUrl) || !httpUrl.safeParse(wsUrl.replace(/^ws/, 'http')).success) v.problem(`WECOM_WS_URL: must be a ws(s) URL (got "${shorten(wsUrl)}")`);
  if (v.problems.length > before) return undefined;
  return {
    mode,
    ...(botId ? { botId } : {}),
    ...(botSecret ? { botSecret } : {}),
    ...(token ? { token } : {}),
    ...(aesKey ? { aesKey } : {}),
    ...(corpId ? { corpId } : {}),
    ...(agentId ? { agentId } : {}),
    ...(appSecret ? { appSecret } : {}),
    call,
    apiBase,
    wsUrl,
  };
}
