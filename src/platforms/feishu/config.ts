import type { Secret } from '../../config/secret.js';
import type { EnvVars, VarDoc } from '../../config/vars.js';
import { shorten } from '../../config/vars.js';

export interface FeishuConfig {
  /** `ws`: long connection, no public URL (default). `http`: event and callback subscription URL. */
  mode: 'ws' | 'http';
  appId: string;
  appSecret: Secret;
  verificationToken?: Secret;
  encryptKey?: Secret;
  /** https://open.feishu.cn (Feishu), https://open.larksuite.com (Lark), or a test server. */
  apiBase: string;
  /** 加急 levels the app may use for alert escalation (scopes im:message.urgent[:sms|:phone]). */
  urgent: ('app' | 'sms' | 'phone')[];
}

export const FEISHU_VARS: VarDoc[] = [
  { name: 'FEISHU_MODE', default: 'ws', meaning: '`ws`: long connection (长连接, no public URL); `http`: request URL (将事件发送至开发者服务器) at `/webhooks/feishu`.' },
  { name: 'FEISHU_APP_ID', meaning: 'App ID (开发者后台 → 凭证与基础信息). Setting any `FEISHU_` variable turns Feishu on.' },
  { name: 'FEISHU_APP_SECRET', meaning: 'App Secret (same page).', secret: true },
  { name: 'FEISHU_VERIFICATION_TOKEN', meaning: 'Verification Token (事件与回调 → 加密策略); required with `FEISHU_MODE=http`, checked in ws mode when set.', secret: true },
  { name: 'FEISHU_ENCRYPT_KEY', meaning: 'Encrypt Key (same page): every HTTP request is then signed and encrypted. Strongly recommended in http mode.', secret: true },
  { name: 'FEISHU_URGENT', meaning: '加急 levels for alert escalation, comma-separated: `app`, `sms`, `phone` (scopes `im:message.urgent`, `im:message.urgent:sms`, `im:message.urgent:phone`; SMS and phone use the tenant\'s paid quota). Unset: none.' },
  { name: 'FEISHU_API_BASE', default: 'https://open.feishu.cn', meaning: 'Open API base: `https://open.larksuite.com` for Lark, or a local test server.' },
];

/** Feishu's variables are all-or-nothing: any of them set means the app must be fully configured. */
export function readFeishuConfig(v: EnvVars): FeishuConfig | undefined {
  // The API base alone (a Lark default in a shared env file) does not turn Feishu on.
  if (!FEISHU_VARS.some((d) => d.name !== 'FEISHU_API_BASE' && v.get(d.name))) return undefined;
  const appId = v.get('FEISHU_APP_ID');
  const appSecret = v.secret('FEISHU_APP_SECRET');
  const mode = v.get('FEISHU_MODE') ?? 'ws';
  if (mode !== 'ws' && mode !== 'http') v.problem(`FEISHU_MODE: must be ws (long connection) or http (got "${shorten(mode)}")`);
  if (!appId) v.problem('FEISHU_APP_ID: required when any FEISHU_ variable is set (开发者后台 → 凭证与基础信息 → App ID)');
  if (!appSecret) v.problem('FEISHU_APP_SECRET: required when FEISHU_APP_ID is set (开发者后台 → 凭证与基础信息 → App Secret)');
  const verificationToken = v.secret('FEISHU_VERIFICATION_TOKEN');
  const encryptKey = v.secret('FEISHU_ENCRYPT_KEY');
  if (mode === 'http' && !verificationToken) v.problem('FEISHU_VERIFICATION_TOKEN: required with FEISHU_MODE=http (事件与回调 → 加密策略 → Verification Token)');
  if (mode === 'http' && !encryptKey) v.note('feishu: FEISHU_ENCRYPT_KEY is not set — requests are authenticated only by the verification token; set an Encrypt Key to have every request signed');
  const apiBase = v.baseUrl('FEISHU_API_BASE', 'https://open.feishu.cn');
  const urgent = (v.get('FEISHU_URGENT') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const badUrgent = urgent.find((x) => !['app', 'sms', 'phone'].includes(x));
  if (badUrgent) v.problem(`FEISHU_URGENT: unknown level "${shorten(badUrgent)}" (use app, sms, phone)`);
  if (!appId || !appSecret || (mode !== 'ws' && mode !== 'http')) return undefined;
  return { mode, appId, appSecret, ...(verificationToken ? { verificationToken } : {}), ...(encryptKey ? { encryptKey } : {}), apiBase, urgent: [...new Set(urgent)] as ('app' | 'sms' | 'phone')[] };
}
