import { randomUUID } from 'node:crypto';
import { encryptFeishu, feishuSignature } from '../../src/platforms/feishu/crypto.js';

export const FEISHU = {
  appId: 'cli_a1b2c3d4e5f60001',
  appSecret: 'opsbot-test-app-secret-feishu',
  encryptKey: 'opsbot-test-encrypt-key-0001',
  verificationToken: 'opsbot-test-verification-token',
  botOpenId: 'ou_9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  alice: 'ou_84aad35d084aa403a838cf73ee18467',
  bob: 'ou_0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
  carol: 'ou_carol00000000000000000000000001',
  chat: 'oc_5ad11d72b830411d72b836c20a8c9ab2',
};

/** What Feishu sends: the body encrypted with the Encrypt Key and signed over the exact bytes. */
export function signedRequest(plain: unknown, o: { timestamp?: number; nonce?: string; encryptKey?: string; pretty?: boolean } = {}): { headers: Record<string, string>; body: string } {
  const key = o.encryptKey ?? FEISHU.encryptKey;
  const body = JSON.stringify({ encrypt: encryptFeishu(key, JSON.stringify(plain)) }, null, o.pretty ? 2 : undefined);
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomUUID();
  return {
    headers: { 'content-type': 'application/json', 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': nonce, 'x-lark-signature': feishuSignature(ts, nonce, key, Buffer.from(body)) },
    body,
  };
}

let seq = 0;
const eventId = () => `ev_${Date.now().toString(16)}_${++seq}_${randomUUID().slice(0, 8)}`;

/** An im.message.receive_v1 envelope, as in vectors/feishu-encrypt.json. */
export function messageEnvelope(from: string, text: string, o: { chatType?: 'group' | 'p2p'; mentionBot?: boolean; eventId?: string; messageId?: string; senderType?: string; messageType?: string; content?: string; chatId?: string } = {}) {
  const mention = o.mentionBot ?? o.chatType !== 'p2p';
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? eventId(), token: FEISHU.verificationToken, create_time: String(Date.now()), event_type: 'im.message.receive_v1', tenant_key: '2ca1d211f64f6438', app_id: FEISHU.appId },
    event: {
      sender: { sender_id: { union_id: 'on_x', user_id: '', open_id: from }, sender_type: o.senderType ?? 'user', tenant_key: '2ca1d211f64f6438' },
      message: {
        message_id: o.messageId ?? `om_${randomUUID().replace(/-/g, '')}`,
        root_id: '',
        parent_id: '',
        create_time: String(Date.now()),
        chat_id: o.chatId ?? FEISHU.chat,
        chat_type: o.chatType ?? 'group',
        message_type: o.messageType ?? 'text',
        content: o.content ?? JSON.stringify({ text: mention ? `@_user_1 ${text}` : text }),
        mentions: mention ? [{ key: '@_user_1', id: { union_id: 'on_bot', user_id: '', open_id: FEISHU.botOpenId }, name: 'opsbot', tenant_key: '2ca1d211f64f6438' }] : [],
      },
    },
  };
}

/** A card.action.trigger envelope for a click on `value` in message `messageId`. */
export function clickEnvelope(from: string, value: unknown, messageId: string, o: { eventId?: string; chatId?: string } = {}) {
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? eventId(), token: FEISHU.verificationToken, create_time: String(Date.now()), event_type: 'card.action.trigger', tenant_key: '2ca1d211f64f6438', app_id: FEISHU.appId },
    event: {
      operator: { tenant_key: '2ca1d211f64f6438', user_id: '', open_id: from, union_id: 'on_x' },
      token: 'c-delayed-update-token',
      action: { value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: messageId, open_chat_id: o.chatId ?? FEISHU.chat },
    },
  };
}

/** The environment of an opsbot talking to local fake Feishu servers, with the vectors' people. */
export function feishuEnv(apiBase: string, mode: 'http' | 'ws', extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPSBOT_CONFIG: new URL('../fixtures/policy-feishu.yaml', import.meta.url).pathname,
    FEISHU_MODE: mode,
    FEISHU_APP_ID: FEISHU.appId,
    FEISHU_APP_SECRET: FEISHU.appSecret,
    FEISHU_VERIFICATION_TOKEN: FEISHU.verificationToken,
    ...(mode === 'http' ? { FEISHU_ENCRYPT_KEY: FEISHU.encryptKey } : {}),
    FEISHU_API_BASE: apiBase,
    ...extra,
  };
}
