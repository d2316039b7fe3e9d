import { z } from 'zod';
import type { CardActionEvent, IncomingMessage } from '../../core/adapter.js';

// Schemas of the parts we read; everything else in the envelope is ignored (Feishu adds fields).
const header = z.object({ event_id: z.string().min(1).max(128), event_type: z.string(), create_time: z.string().optional() });

const mention = z.object({ key: z.string(), id: z.object({ open_id: z.string().optional() }).partial(), name: z.string().optional() });

const messageEvent = z.object({
  sender: z.object({ sender_id: z.object({ open_id: z.string().min(1) }).passthrough(), sender_type: z.string() }),
  message: z.object({
    message_id: z.string().min(1),
    chat_id: z.string().min(1),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string().max(200_000),
    mentions: z.array(mention).optional(),
  }),
});

const cardAction = z.object({
  operator: z.object({ open_id: z.string().min(1) }).passthrough(),
  action: z.object({ value: z.unknown().optional(), tag: z.string().optional() }).passthrough(),
  context: z.object({ open_message_id: z.string().optional(), open_chat_id: z.string().min(1) }).passthrough(),
});

export type Parsed =
  | { kind: 'message'; message: IncomingMessage }
  | { kind: 'action'; action: CardActionEvent }
  | { kind: 'ignored'; reason: string };

export interface ParseContext {
  /** The bot's own open_id (from /open-apis/bot/v3/info), to recognise @bot and the bot's messages. */
  botOpenId?: string;
  receivedAt: number;
}

/**
 * A verified schema 2.0 envelope → what the core understands. Group messages count only when they
 * @mention the bot; the bot's own messages are ignored; unknown event types are ignored (200).
 * Over HTTP and over the long connection alike.
 */
export function parseFeishuEnvelope(env: Record<string, unknown>, ctx: ParseContext): Parsed {
  const h = header.safeParse(env['header']);
  if (!h.success) return { kind: 'ignored', reason: 'envelope without a header' };
  const { event_id: eventId, event_type: type } = h.data;
  if (type === 'im.message.receive_v1') {
    const e = messageEvent.safeParse(env['event']);
    if (!e.success) return { kind: 'ignored', reason: `malformed ${type}` };
    const { sender, message: m } = e.data;
    if (sender.sender_type !== 'user' || (ctx.botOpenId && sender.sender_id.open_id === ctx.botOpenId)) return { kind: 'ignored', reason: 'not from a user' };
    const direct = m.chat_type === 'p2p';
    const mentions = m.mentions ?? [];
    const botKeys = mentions.filter((x) => (ctx.botOpenId ? x.id.open_id === ctx.botOpenId : true)).map((x) => x.key);
    if (!direct && !botKeys.length) return { kind: 'ignored', reason: 'group message without @bot' };
    const raw = messageText(m.message_type, m.content);
    if (raw === undefined) return { kind: 'ignored', reason: `message type ${m.message_type}` };
    let text = raw;
    for (const x of mentions) {
      // The bot's placeholder goes; other people's become @Name so the text still reads right.
      text = text.split(x.key).join(botKeys.includes(x.key) ? ' ' : `@${x.name ?? ''}`);
    }
    return {
      kind: 'message',
      message: { kind: 'message', eventId, platform: 'feishu', chatId: m.chat_id, chatKind: direct ? 'direct' : 'group', userId: sender.sender_id.open_id, text: text.replace(/\s+/g, ' ').trim(), replyTo: { ref: m.message_id }, receivedAt: ctx.receivedAt },
    };
  }
  if (type === 'card.action.trigger') {
    const e = cardAction.safeParse(env['event']);
    if (!e.success) return { kind: 'ignored', reason: `malformed ${type}` };
    const value = e.data.action.value;
    const payload = value && typeof value === 'object' && typeof (value as { p?: unknown }).p === 'string' ? (value as { p: string }).p : '';
    return {
      kind: 'action',
      action: {
        kind: 'card-action',
        eventId,
        platform: 'feishu',
        chatId: e.data.context.open_chat_id,
        userId: e.data.operator.open_id,
        payload,
        ...(e.data.context.open_message_id ? { cardRef: e.data.context.open_message_id } : {}),
        receivedAt: ctx.receivedAt,
      },
    };
  }
  return { kind: 'ignored', reason: `event type ${type}` };
}

/** Text of a `text` or `post` message; undefined for other types (images, files…). */
function messageText(type: string, content: string): string | undefined {
  let c: unknown;
  try {
    c = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (type === 'text') return typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : undefined;
  if (type === 'post') {
    // Received posts are {title, content: [[{tag, text | user_id}…]…]} (a locale wrapper is tolerated).
    const post = (c as Record<string, unknown>)['content'] ? c : Object.values(c as Record<string, unknown>)[0];
    const p = post as { title?: string; content?: { tag: string; text?: string; user_id?: string; user_name?: string }[][] };
    const lines = (p.content ?? []).map((line) => line.map((el) => (el.tag === 'text' || el.tag === 'a' ? (el.text ?? '') : el.tag === 'at' ? (el.user_id ?? '') : '')).join(''));
    return [p.title ?? '', ...lines].filter(Boolean).join('\n');
  }
  return undefined;
}
