import { dingtalkSign } from '../../src/platforms/dingtalk/crypto.js';

/** The app of shared/vectors/dingtalk-*.json. */
export const DINGTALK = {
  clientId: 'dingopsbotclientid01',
  clientSecret: 'opsbotDingTalkAppSecretA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U',
  group: 'cidQy6J3fLxOK8yJ0WkOpsbotA==',
};

/** Headers of a robot HTTP callback, signed as DingTalk signs them. */
export function robotHeaders(ts = Date.now(), secret = DINGTALK.clientSecret): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', timestamp: String(ts), sign: dingtalkSign(secret, String(ts)) };
}

let seq = 0;
/** A robot message as DingTalk delivers it (platforms.md §2.2), over HTTP or as Stream `data`. */
export function robotMessage(o: { text: string; staffId?: string; session?: { url: string; expiresAt: number }; direct?: boolean; msgId?: string; msgtype?: string }): Record<string, unknown> {
  const now = Date.now();
  return {
    conversationId: o.direct ? `cid-direct-${o.staffId ?? 'sre_alice'}` : DINGTALK.group,
    atUsers: [{ dingtalkId: '$:LWCP_v1:$opsbotBotDingtalkId' }],
    chatbotUserId: '$:LWCP_v1:$opsbotBotDingtalkId',
    msgId: o.msgId ?? `msg${++seq}${now}==`,
    senderNick: 'Someone',
    isAdmin: false,
    senderStaffId: o.staffId ?? 'sre_alice',
    ...(o.session ? { sessionWebhook: o.session.url, sessionWebhookExpiredTime: o.session.expiresAt } : {}),
    createAt: now,
    conversationType: o.direct ? '1' : '2',
    senderId: '$:LWCP_v1:$someone',
    conversationTitle: 'SRE on-call',
    isInAtList: true,
    robotCode: DINGTALK.clientId,
    ...(o.msgtype === 'richText' ? { msgtype: 'richText', content: { richText: [{ text: o.text.slice(0, 5) }, { pictureDownloadCode: 'x' }, { text: o.text.slice(5) }] } } : { text: { content: ` ${o.text}` }, msgtype: 'text' }),
  };
}

/** A card button callback (topic /v1.0/card/instances/callback) for the slot or action of a card. */
export function cardClick(o: { outTrackId: string; userId: string; action?: string; slot?: string; spaceId?: string }): Record<string, unknown> {
  const priv = JSON.stringify({ cardPrivateData: { actionIds: [o.slot ?? 'btn1'], params: o.action ? { action: o.action } : {} } });
  return { extension: '{}', corpId: 'dinge8a565e3b1c2d3e4', spaceType: 'IM_GROUP', userIdType: 1, type: 'actionCallback', userId: o.userId, content: priv, spaceId: o.spaceId ?? DINGTALK.group, outTrackId: o.outTrackId, value: priv };
}

/** The environment of an opsbot talking to a local fake DingTalk, with the vectors' people. */
export function dingtalkEnv(base: string, mode: 'stream' | 'http', extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPSBOT_CONFIG: new URL('../fixtures/policy-dingtalk.yaml', import.meta.url).pathname,
    DINGTALK_MODE: mode,
    DINGTALK_CLIENT_ID: DINGTALK.clientId,
    DINGTALK_CLIENT_SECRET: DINGTALK.clientSecret,
    DINGTALK_API_BASE: base,
    DINGTALK_OAPI_BASE: base,
    ...extra,
  };
}
