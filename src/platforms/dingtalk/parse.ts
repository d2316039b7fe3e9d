import { z } from 'zod';
import type { CardActionEvent, IncomingMessage } from '../../core/adapter.js';

// The parts we read of a robot message (platforms.md §2.2); DingTalk adds fields freely.
const robotMessage = z.object({
  msgId: z.string().min(1).max(200),
  conversationId: z.string().min(1).max(200),
  conversationType: z.enum(['1', '2']),
  senderStaffId: z.string().max(100).optional(),
  senderNick: z.string().max(200).optional(),
  isInAtList: z.boolean().optional(),
  sessionWebhook: z.string().max(2000).optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  createAt: z.number().optional(),
  msgtype: z.string(),
  text: z.object({ content: z.string().max(20_000) }).optional(),
  content: z.object({ richText: z.array(z.object({ text: z.string().max(20_000).optional() }).passthrough()).max(200).optional() }).passthrough().optional(),
});

// A card button callback (topic /v1.0/card/instances/callback, or the HTTP card callback route).
const cardCallback = z.object({
  type: z.string().optional(),
  outTrackId: z.string().min(1).max(200),
  userId: z.string().min(1).max(100),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  content: z.string().max(20_000).optional(),
  value: z.string().max(20_000).optional(),
});
const privateData = z.object({ cardPrivateData: z.object({ actionIds: z.array(z.string().max(100)).max(10).optional(), params: z.record(z.string(), z.unknown()).optional() }) });

export type Parsed =
  | { kind: 'message'; message: IncomingMessage }
  | { kind: 'action'; action: CardActionEvent; outTrackId: string; slot?: string }
  | { kind: 'ignored'; reason: string };

export interface ParseContext {
  platform: string;
  receivedAt: number;
  /** The origin a sessionWebhook must have (https://oapi.dingtalk.com): anything else is dropped, never called. */
  oapiOrigin: string;
}

/** A chat: a group's conversationId, or `user:<staffId>` for a 1:1 with the robot (cards go to IM_ROBOT.<staffId>). */
export function directChat(staffId: string): string {
  return `user:${staffId}`;
}

/**
 * A verified robot message → a core message. Identity is `senderStaffId` (the org userId the policy
 * knows); a sender without one (an external contact) is ignored. Group messages reach a robot only when
 * it is @-ed; one that says otherwise is ignored. `text` and the text parts of `richText` are read.
 */
export function parseRobotMessage(data: unknown, ctx: ParseContext): Parsed {
  const r = robotMessage.safeParse(data);
  if (!r.success) return { kind: 'ignored', reason: `malformed robot message (${r.error.issues[0]?.path.join('.') ?? '?'})` };
  const m = r.data;
  if (!m.senderStaffId) return { kind: 'ignored', reason: 'sender has no staffId (external contact?)' };
  const group = m.conversationType === '2';
  if (group && m.isInAtList === false) return { kind: 'ignored', reason: 'group message without @bot' };
  let text: string | undefined;
  if (m.msgtype === 'text') text = m.text?.content;
  else if (m.msgtype === 'richText') text = (m.content?.richText ?? []).map((p) => p.text ?? '').join('');
  if (text === undefined) return { kind: 'ignored', reason: `message type ${m.msgtype}` };
  const replyTo = sessionHandle(m.sessionWebhook, m.sessionWebhookExpiredTime, ctx.oapiOrigin);
  return {
    kind: 'message',
    message: {
      kind: 'message',
      eventId: m.msgId,
      platform: ctx.platform,
      chatId: group ? m.conversationId : directChat(m.senderStaffId),
      chatKind: group ? 'group' : 'direct',
      userId: m.senderStaffId,
      text: text.replace(/\s+/g, ' ').trim(),
      ...(replyTo ? { replyTo } : {}),
      receivedAt: ctx.receivedAt,
    },
  };
}

/** A sessionWebhook is used only on DingTalk's own origin, and only with a known expiry. */
function sessionHandle(url: string | undefined, expiresAt: number | undefined, origin: string): { ref: string; expiresAt: number } | undefined {
  if (!url || !expiresAt) return undefined;
  try {
    const u = new URL(url);
    if (u.origin !== origin || !u.pathname.startsWith('/robot/sendBySession') || u.username || u.password) return undefined;
  } catch {
    return undefined;
  }
  return { ref: url, expiresAt };
}

/**
 * A card button callback → a click on the card `outTrackId`. Which button: `params.action` (the
 * template binds it to the button's short action id), or the button's `actionId` (`btn1`…) as a slot
 * the adapter resolves from what it rendered. The chat is filled in by the adapter from the card.
 */
export function parseCardCallback(data: unknown, ctx: Omit<ParseContext, 'oapiOrigin'> & { eventId: string }): Parsed {
  const r = cardCallback.safeParse(data);
  if (!r.success) return { kind: 'ignored', reason: `malformed card callback (${r.error.issues[0]?.path.join('.') ?? '?'})` };
  const c = r.data;
  let pd: z.infer<typeof privateData> | undefined;
  for (const raw of [c.content, c.value]) {
    if (!raw) continue;
    try {
      const p = privateData.safeParse(JSON.parse(raw));
      if (p.success) {
        pd = p.data;
        break;
      }
    } catch {
      // try the other field
    }
  }
  if (!pd) return { kind: 'ignored', reason: 'card callback without cardPrivateData' };
  const action = pd.cardPrivateData.params?.['action'];
  const slot = pd.cardPrivateData.actionIds?.[0];
  const payload = typeof action === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(action) ? action : '';
  if (!payload && !slot) return { kind: 'ignored', reason: 'card callback names no button' };
  return {
    kind: 'action',
    outTrackId: c.outTrackId,
    ...(slot ? { slot } : {}),
    action: { kind: 'card-action', eventId: ctx.eventId, platform: ctx.platform, chatId: '', userId: c.userId, payload, cardRef: c.outTrackId, receivedAt: ctx.receivedAt },
  };
}
