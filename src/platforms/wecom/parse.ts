import { z } from 'zod';
import type { CardActionEvent, IncomingMessage } from '../../core/adapter.js';

/** A 1:1 chat with the bot or the app: the person's userid. Group chats are the bot's `chatid`. */
export function directChat(userid: string): string {
  return `user:${userid}`;
}

// The intelligent bot's callbacks (API mode JSON or long-connection `body`), platforms.md §3.3.
const botCallback = z.object({
  msgid: z.string().min(1).max(200),
  aibotid: z.string().max(100).optional(),
  chatid: z.string().max(200).optional(),
  chattype: z.enum(['single', 'group']),
  from: z.object({ userid: z.string().min(1).max(100) }).passthrough(),
  response_url: z.string().max(2000).optional(),
  msgtype: z.string(),
  text: z.object({ content: z.string().max(20_000) }).optional(),
  event: z
    .object({
      eventtype: z.string(),
      template_card_event: z.object({ card_type: z.string().optional(), event_key: z.string().max(1024), task_id: z.string().max(128) }).passthrough().optional(),
    })
    .passthrough()
    .optional(),
});

export type Parsed =
  | { kind: 'message'; message: IncomingMessage; responseUrl?: string }
  | { kind: 'action'; action: CardActionEvent; taskId: string; responseUrl?: string; responseCode?: string }
  | { kind: 'ignored'; reason: string };

export interface ParseContext {
  platform: string;
  receivedAt: number;
}

/** "@opsbot /pods" → "/pods": WeCom keeps the bot's @name in the text (platforms.md §3.3). */
function stripMention(text: string): string {
  return text.replace(/^\s*@\S+\s*/, '');
}

export function parseBotCallback(data: unknown, ctx: ParseContext): Parsed {
  const r = botCallback.safeParse(data);
  if (!r.success) return { kind: 'ignored', reason: `malformed callback (${r.error.issues[0]?.path.join('.') ?? '?'})` };
  const m = r.data;
  const group = m.chattype === 'group';
  if (group && !m.chatid) return { kind: 'ignored', reason: 'group callback without chatid' };
  const chatId = group ? (m.chatid as string) : directChat(m.from.userid);
  if (m.msgtype === 'text') {
    const text = stripMention(m.text?.content ?? '').replace(/\s+/g, ' ').trim();
    return {
      kind: 'message',
      message: { kind: 'message', eventId: m.msgid, platform: ctx.platform, chatId, chatKind: group ? 'group' : 'direct', userId: m.from.userid, text, receivedAt: ctx.receivedAt },
      ...(m.response_url ? { responseUrl: m.response_url } : {}),
    };
  }
  if (m.msgtype === 'event' && m.event?.eventtype === 'template_card_event' && m.event.template_card_event) {
    const e = m.event.template_card_event;
    return {
      kind: 'action',
      taskId: e.task_id,
      action: { kind: 'card-action', eventId: m.msgid, platform: ctx.platform, chatId, userId: m.from.userid, payload: e.event_key, cardRef: e.task_id, receivedAt: ctx.receivedAt },
      ...(m.response_url ? { responseUrl: m.response_url } : {}),
    };
  }
  return { kind: 'ignored', reason: `msgtype ${m.msgtype}${m.event ? ` ${m.event.eventtype}` : ''}` };
}

/** A self-built app's decrypted callback XML (already read flat). Only 1:1 text and card clicks are used. */
export function parseAppCallback(x: Record<string, string>, ctx: ParseContext): Parsed {
  const from = x['FromUserName'];
  if (!from || from.length > 100) return { kind: 'ignored', reason: 'callback without FromUserName' };
  const chatId = directChat(from);
  if (x['MsgType'] === 'text') {
    const id = x['MsgId'];
    if (!id) return { kind: 'ignored', reason: 'text without MsgId' };
    return { kind: 'message', message: { kind: 'message', eventId: id, platform: ctx.platform, chatId, chatKind: 'direct', userId: from, text: (x['Content'] ?? '').replace(/\s+/g, ' ').trim().slice(0, 20_000), receivedAt: ctx.receivedAt } };
  }
  if (x['MsgType'] === 'event' && x['Event'] === 'template_card_event') {
    const key = x['EventKey'] ?? '';
    const task = x['TaskId'] ?? '';
    if (!key || !task) return { kind: 'ignored', reason: 'card event without EventKey or TaskId' };
    // Events have no MsgId: FromUserName + CreateTime (+ the task) identifies a delivery.
    const eventId = `${from}:${x['CreateTime'] ?? ''}:${task}`;
    return {
      kind: 'action',
      taskId: task,
      action: { kind: 'card-action', eventId, platform: ctx.platform, chatId, userId: from, payload: key, cardRef: task, receivedAt: ctx.receivedAt },
      ...(x['ResponseCode'] ? { responseCode: x['ResponseCode'] } : {}),
    };
  }
  return { kind: 'ignored', reason: `MsgType ${x['MsgType'] ?? '?'}${x['Event'] ? ` ${x['Event']}` : ''}` };
}
