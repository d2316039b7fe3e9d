import { randomBytes } from 'node:crypto';
import { encrypt, msgSignature } from '../../src/platforms/wecom/crypto.js';

/** The config of shared/vectors/wecom-msgcrypt.json. */
export const WECOM = {
  token: 'opsbotWeComToken',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  corpId: 'ww0a1b2c3d4e5f6a7b',
  group: 'wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw',
  botId: 'aibopsbot0001',
};

/** An encrypted callback as WeCom posts it: the query and the body (JSON for the bot, XML for the app). */
export function encryptedCallback(plaintext: string, o: { receiveId?: string; format?: 'json' | 'xml'; timestamp?: number; nonce?: string } = {}): { query: string; body: string } {
  const receiveId = o.receiveId ?? '';
  const enc = encrypt(WECOM.aesKey, receiveId, plaintext, randomBytes(16));
  const timestamp = String(Math.floor((o.timestamp ?? Date.now()) / 1000));
  const nonce = o.nonce ?? String(Math.floor(Math.random() * 1e9));
  const sig = msgSignature(WECOM.token, timestamp, nonce, enc);
  const body = (o.format ?? 'json') === 'json' ? JSON.stringify({ encrypt: enc }) : `<xml><ToUserName><![CDATA[${receiveId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
  return { query: `msg_signature=${sig}&timestamp=${timestamp}&nonce=${nonce}`, body };
}

let seq = 0;
/** The intelligent bot's text callback (API mode JSON or long-connection body). */
export function botText(text: string, o: { userid?: string; single?: boolean; msgid?: string; responseUrl?: string } = {}): Record<string, unknown> {
  return {
    msgid: o.msgid ?? `CAIQ${++seq}${Date.now()}=`,
    aibotid: WECOM.botId,
    ...(o.single ? {} : { chatid: WECOM.group }),
    chattype: o.single ? 'single' : 'group',
    from: { userid: o.userid ?? 'sre_alice' },
    ...(o.responseUrl ? { response_url: o.responseUrl } : {}),
    msgtype: 'text',
    text: { content: o.single ? text : `@opsbot ${text}` },
  };
}

/** A button click on a template card. */
export function botClick(o: { key: string; taskId: string; userid: string; responseUrl?: string }): Record<string, unknown> {
  return {
    msgid: `CAIQclick${++seq}${Date.now()}=`,
    create_time: Math.floor(Date.now() / 1000),
    aibotid: WECOM.botId,
    chatid: WECOM.group,
    chattype: 'group',
    from: { userid: o.userid },
    ...(o.responseUrl ? { response_url: o.responseUrl } : {}),
    msgtype: 'event',
    event: { eventtype: 'template_card_event', template_card_event: { card_type: 'button_interaction', event_key: o.key, task_id: o.taskId } },
  };
}

export function wecomEnv(api: string, mode: 'aibot-ws' | 'aibot-http' | 'app', extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPSBOT_CONFIG: new URL('../fixtures/policy-wecom.yaml', import.meta.url).pathname,
    WECOM_MODE: mode,
    WECOM_API_BASE: api,
    ...(mode === 'aibot-ws' ? { WECOM_BOT_ID: WECOM.botId, WECOM_BOT_SECRET: 'opsbot-wecom-bot-secret-0001' } : { WECOM_TOKEN: WECOM.token, WECOM_ENCODING_AES_KEY: WECOM.aesKey }),
    ...(mode === 'app' ? { WECOM_CORP_ID: WECOM.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'opsbotWeComAppSecret0123456789abcdefghijklmn' } : {}),
    ...extra,
  };
}
