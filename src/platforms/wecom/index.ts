import type { ConnectionStatus } from '../../core/long-connection.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { withoutButtons } from '../../../cards/fallback.js';
import type { Card } from '../../../cards/model.js';
import type { ActionAnswer, CardActionEvent, EventSink, HttpReply, IncomingMessage, InboundEvent, PlatformAdapter, PlatformCaps, RawRequest, Receipt, SendTarget, UrgentRequest } from '../../core/adapter.js';
import { OpsError } from '../../core/errors.js';
import { settle } from '../../core/ingress.js';
import { Outbound, type SharedRate, RetryableError } from '../../core/outbound.js';
import { definePlatform } from '../../core/platform.js';
import type { Store } from '../../core/store/store.js';
import type { Bus } from '../../core/bus.js';
import type { Logger } from '../../log.js';
import { checkWecom, WecomClient } from './client.js';
import { readWecomConfig, WECOM_VARS, type WecomConfig } from './config.js';
import { botReply } from './crypto.js';
import { readFlatXml } from './frames.js';
import { type Parsed, parseAppCallback, parseBotCallback } from './parse.js';
import { MARKDOWN_BYTES, NOOP_KEY, renderMarkdown, renderTemplateCard } from './render.js';
import { BotStream } from './stream.js';
import { verifyCallback, verifyUrl } from './verify.js';

/** A passive reply (API mode) waits this long for the first card: WeCom drops a callback unanswered after 5 s. */
const PASSIVE_WAIT_MS = 3500;
/** A bot reply handle (the inbound req_id) is used within this long; after it, pushes go to the chat. */
const REPLY_WINDOW_MS = 5 * 60_000;
const LEASE_TTL_MS = 60_000;

export interface WecomAdapterOptions {
  config: WecomConfig;
  log: Logger;
  store: Store;
  now?: () => number;
  minBackoffMs?: number;
  /** The send limits shared with other replicas (PlatformDeps.rate). */
  rate?: SharedRate;
  /** With several replicas: sends from a replica without the connection go to the one that holds it. */
  bus?: Bus;
}

/** How long a replica waits for the connection holder to make a send for it. */
const RELAY_TIMEOUT_MS = 10_000;

function taskId(): string {
  return `ob${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

function chatOf(chatId: string): { group: boolean; id: string } {
  return chatId.startsWith('user:') ? { group: false, id: chatId.slice(5) } : { group: true, id: chatId };
}

/**
 * WeCom (企业微信): the intelligent bot (智能机器人) over its long connection or in API mode, or a
 * self-built app (自建应用) — platforms.md §3. Cards with buttons are `button_interaction` template
 * cards; a click is answered within 5 s with the updated card (the event is sent once and dropped
 * after 5 s), later states are new messages (a card can only change inside a click's answer).
 */
export class WecomAdapter implements PlatformAdapter {
  readonly id = 'wecom';
  readonly caps: PlatformCaps;
  readonly #o: WecomAdapterOptions & { now: () => number };
  readonly #outbound: Outbound;
  readonly client?: WecomClient;
  #stream?: BotStream;
  #lease?: { timer: NodeJS.Timeout; owner: string };
  /** Serving the other replicas' sends (while this one holds the connection). */
  #relay?: Promise<() => Promise<void>>;
  /** API mode: messages whose callback is waiting for the first card, by event id. */
  readonly #passive = new Map<string, { resolve: (card: Card) => void; card: Promise<Card>; taken: boolean }>();
  /** API mode: unused response_urls per chat (single use, 1 h), newest last — how later states reach the chat. */
  readonly #urls = new Map<string, { url: string; expiresAt: number }[]>();
  /** Click-to-answer times (ms) of the last clicks, for tests and the bench. */
  readonly clickTimes: number[] = [];

  constructor(o: WecomAdapterOptions) {
    this.#o = { now: Date.now, ...o };
    const bot = o.config.mode !== 'app';
    this.caps = {
      // The 5 s deadline, with room for the network and the encryption.
      ackDeadlineMs: 3500,
      toast: false,
      cardUpdate: 'in-callback',
      buttons: true,
      maxCardBytes: bot ? MARKDOWN_BYTES.bot : MARKDOWN_BYTES.app,
      singleConnection: o.config.mode === 'aibot-ws',
      replyOnce: false,
      urgent: o.config.call ? ['phone'] : [],
    };
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 5, intervalMs: 1000 }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}), ...(o.rate ? { shared: o.rate } : {}) });
    const c = o.config;
    if (c.corpId && c.appSecret) this.client = new WecomClient({ apiBase: c.apiBase, corpId: c.corpId, secret: c.appSecret, ...(c.agentId ? { agentId: c.agentId } : {}), log: o.log, outbound: this.#outbound, now: this.#o.now });
  }

  #secrets() {
    const c = this.#o.config;
    return { token: c.token?.reveal() ?? '', aesKey: c.aesKey?.reveal() ?? '', receiveId: c.mode === 'app' ? (c.corpId ?? '') : '' };
  }

  // ---- HTTP: API mode and app callbacks ------------------------------------------------------------

  async receive(req: RawRequest): Promise<Receipt> {
    const s = this.#secrets();
    if (req.method === 'GET') {
      // URL verification: the bare plaintext, nothing else (no quotes, BOM or newline).
      return { reply: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: verifyUrl(req.query, s) }, events: [] };
    }
    const app = this.#o.config.mode === 'app';
    const v = verifyCallback(req.query, req.body, s, app ? 'xml' : 'json');
    const ctx = { platform: this.id, receivedAt: req.receivedAt };
    let p: Parsed;
    if (app) p = parseAppCallback(readFlatXml(v.plaintext), ctx);
    else {
      let data: unknown;
      try {
        data = JSON.parse(v.plaintext);
      } catch {
        return { reply: { status: 200, body: '' }, events: [] };
      }
      p = parseBotCallback(data, ctx);
    }
    const empty: HttpReply = { status: 200, headers: { 'content-type': 'text/plain' }, body: '' };
    if (p.kind === 'ignored') {
      this.#o.log.debug({ reason: p.reason }, 'wecom callback ignored');
      return { reply: empty, events: [] };
    }
    const meta = { timestamp: v.timestamp, nonce: v.nonce, ...(p.kind === 'action' && p.responseCode ? { responseCode: p.responseCode } : {}) };
    const chat = p.kind === 'action' ? p.action.chatId : p.message.chatId;
    if (!app && p.responseUrl) this.#keepUrl(chat, p.responseUrl, req.receivedAt);
    if (p.kind === 'action') {
      if (p.action.payload === NOOP_KEY) return { reply: empty, events: [] };
      return { reply: empty, events: [{ ...p.action, meta }] };
    }
    // The bot answers in the callback itself (answerMessage); the app replies through message/send.
    // The slot for that answer exists before the message is dispatched, so a fast reply cannot miss it.
    if (app) return { reply: empty, events: [{ ...p.message, meta }] };
    const slot = randomUUID();
    let resolve!: (c: Card) => void;
    const card = new Promise<Card>((r) => (resolve = r));
    this.#passive.set(slot, { resolve, card, taken: false });
    return { reply: empty, events: [{ ...p.message, meta: { ...meta, slot }, replyTo: { ref: `api:${slot}` } }] };
  }

  #keepUrl(chat: string, url: string, at: number): void {
    const list = (this.#urls.get(chat) ?? []).filter((u) => u.expiresAt > at);
    list.push({ url, expiresAt: at + 3600_000 - 60_000 });
    this.#urls.delete(chat);
    this.#urls.set(chat, list.slice(-20));
    if (this.#urls.size > 5000) this.#urls.delete(this.#urls.keys().next().value as string);
  }

  #takeUrl(chat: string): string | undefined {
    const list = (this.#urls.get(chat) ?? []).filter((u) => u.expiresAt > this.#o.now());
    const u = list.pop();
    this.#urls.set(chat, list);
    return u?.url;
  }

  /** API mode: the callback's answer carries the first card when it is ready in time. */
  async answerMessage(ev: IncomingMessage, reply: HttpReply): Promise<HttpReply> {
    if (this.#o.config.mode !== 'aibot-http' || !ev.meta) return reply;
    const id = ev.meta['slot'] ?? '';
    const slot = this.#passive.get(id);
    if (!slot) return reply;
    let timer: NodeJS.Timeout | undefined;
    const card = await Promise.race([slot.card, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), PASSIVE_WAIT_MS)))]);
    clearTimeout(timer);
    this.#passive.delete(id);
    if (!card) return reply;
    const s = this.#secrets();
    const body = JSON.stringify(this.#botMessage(card));
    return { status: 200, body: botReply(s.token, s.aesKey, body, { timestamp: ev.meta['timestamp'] ?? String(Math.floor(this.#o.now() / 1000)), nonce: ev.meta['nonce'] ?? '' }) };
  }

  /** A click's answer: the updated card, within the 5 s the event lives. */
  answerAction(a: ActionAnswer, ev: CardActionEvent): HttpReply {
    const took = this.#o.now() - ev.receivedAt;
    this.clickTimes.push(took);
    if (this.clickTimes.length > 1000) this.clickTimes.shift();
    const empty: HttpReply = { status: 200, headers: { 'content-type': 'text/plain' }, body: '' };
    if (!a.card || !ev.cardRef) return empty;
    const card = renderTemplateCard(a.card, ev.cardRef);
    const mode = this.#o.config.mode;
    if (mode === 'app') {
      const rc = ev.meta?.['responseCode'];
      if (rc && this.client) void this.client.updateTemplateCard([ev.userId], rc, card).catch((err: Error) => this.#o.log.warn({ reason: err.message }, 'wecom: card update after a click failed'));
      return empty;
    }
    const update = { response_type: 'update_template_card', template_card: card };
    if (mode === 'aibot-ws') {
      const id = ev.meta?.['reqId'];
      if (id) void this.#stream?.request('aibot_respond_update_msg', id, update).catch((err: Error) => this.#o.log.warn({ reason: err.message }, 'wecom bot: card update after a click failed'));
      return empty;
    }
    const s = this.#secrets();
    return { status: 200, body: botReply(s.token, s.aesKey, JSON.stringify(update), { timestamp: ev.meta?.['timestamp'] ?? String(Math.floor(this.#o.now() / 1000)), nonce: ev.meta?.['nonce'] ?? '' }) };
  }

  // ---- sending -------------------------------------------------------------------------------------

  /** What the bot sends for a card: a template card with buttons, else markdown in a finished stream. */
  #botMessage(card: Card, tid = taskId()): Record<string, unknown> {
    if (card.buttons?.length) return { msgtype: 'template_card', template_card: renderTemplateCard(card, tid) };
    return { msgtype: 'stream', stream: { id: `s${randomUUID().replace(/-/g, '')}`, finish: true, content: renderMarkdown(card, MARKDOWN_BYTES.bot) } };
  }

  async send(to: SendTarget, card: Card): Promise<string> {
    const mode = this.#o.config.mode;
    const tid = taskId();
    const ref = card.buttons?.length ? tid : `m${tid}`;
    if (mode === 'app') {
      const chat = chatOf(to.chatId);
      if (chat.group || !this.client) throw new OpsError('unsupported', `a WeCom self-built app sends to people, not to group ${to.chatId} (use the intelligent bot for groups)`);
      const msg = card.buttons?.length ? { msgtype: 'template_card', template_card: renderTemplateCard(card, tid) } : { msgtype: 'markdown', markdown: { content: renderMarkdown(card, MARKDOWN_BYTES.app) } };
      await this.client.sendToUser(chat.id, msg);
      return ref;
    }
    const handle = to.replyTo;
    const passive = handle?.startsWith('api:') ? this.#passive.get(handle.slice(4)) : undefined;
    if (passive && !passive.taken) {
      // The first card rides in the callback's answer (answerMessage sends it).
      passive.taken = true;
      passive.resolve(card);
      return ref;
    }
    const chat = chatOf(to.chatId);
    if (mode === 'aibot-ws') {
      if (handle?.startsWith('req:')) {
        await this.#bot().request('aibot_respond_msg', handle.slice(4), this.#botMessage(card, tid));
        return ref;
      }
      const body = card.buttons?.length ? { chatid: chat.id, msgtype: 'template_card', template_card: renderTemplateCard(card, tid) } : { chatid: chat.id, msgtype: 'markdown', markdown: { content: renderMarkdown(card, MARKDOWN_BYTES.bot) } };
      await this.#proactive({ cmd: 'aibot_send_msg', reqId: `aibot_send_msg_${Date.now()}_${randomBytes(4).toString('hex')}`, body });
      return ref;
    }
    // API mode after the passive reply: an unused response_url of the chat (single use, 1 h; template
    // cards only in a single chat, so a group gets the commands to type).
    const url = this.#takeUrl(to.chatId);
    if (!url) throw new OpsError('unsupported', 'the WeCom intelligent bot in API mode can only answer a recent message or click in a chat; use WECOM_MODE=aibot-ws to post on its own');
    const msg = card.buttons?.length && !chat.group ? { msgtype: 'template_card', template_card: renderTemplateCard(card, tid) } : { msgtype: 'markdown', markdown: { content: renderMarkdown(card.buttons?.length ? withoutButtons(card) : card, MARKDOWN_BYTES.bot) } };
    await this.#outbound.run(`wecom:url:${url.slice(-16)}`, 'wecom response_url', async (signal) => {
      await checkWecom(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg), signal }), 'response_url');
    });
    return ref;
  }

  async update(): Promise<void> {
    // caps.cardUpdate is in-callback: the dispatcher posts later states as new cards.
    throw new Error('a WeCom card changes only inside a click\'s answer');
  }

  async remind(r: UrgentRequest): Promise<{ failed: string[] }> {
    if (r.level !== 'phone' || !this.#o.config.call || !this.client) throw new OpsError('unsupported', 'WeCom urgent reminders are 紧急通知 phone calls (WECOM_CALL=on)');
    return this.client.call(r.userIds);
  }

  /**
   * A message the bot posts on its own (not a reply): over this replica's connection, or, when another
   * replica holds the one connection WeCom allows, handed to it over the bus.
   */
  async #proactive(m: { cmd: string; reqId: string; body: Record<string, unknown> }): Promise<void> {
    if (this.#stream || !this.#o.bus) return this.#bot().request(m.cmd, m.reqId, m.body);
    await this.#o.bus.request(this.#relayChannel, m, RELAY_TIMEOUT_MS);
  }

  get #relayChannel(): string {
    return `wecom:send:${this.#o.config.botId}`;
  }

  #bot(): BotStream {
    if (!this.#stream) throw new RetryableError('the WeCom bot long connection is not up yet');
    return this.#stream;
  }

  // ---- the long connection (aibot-ws) --------------------------------------------------------------

  /**
   * One live connection per bot (a new one kicks the old): connect only while holding the lease in the
   * store, renew it while connected, give it back on shutdown. With one process this always succeeds;
   * with several replicas on a shared store the others stand by.
   */
  startStream(sink: EventSink): void {
    const c = this.#o.config;
    const name = `wecom:connection:${c.botId}`;
    const owner = randomUUID();
    const loop = async () => {
      // One atomic acquire-or-renew in the store (a Lua script on Redis): two replicas never both hold it.
      const held = await this.#o.store.acquireLease(name, owner, LEASE_TTL_MS, this.#o.now()).catch(() => undefined);
      if (held && !this.#stream) {
        this.#stream = new BotStream({
          wsUrl: c.wsUrl,
          botId: c.botId as string,
          botSecret: c.botSecret as NonNullable<typeof c.botSecret>,
          log: this.#o.log,
          ...(this.#o.minBackoffMs ? { minBackoffMs: this.#o.minBackoffMs } : {}),
          onCallback: (cmd, body, reqId) => this.#onBotCallback(sink, body, reqId),
        });
        this.#stream.start();
        // The other replicas' proactive sends come here while this one holds the connection.
        if (this.#o.bus) this.#relay = this.#o.bus.serve<{ cmd: string; reqId: string; body: Record<string, unknown> }, void>(this.#relayChannel, (m) => this.#bot().request(m.cmd, m.reqId, m.body));
      } else if (!held && this.#stream) {
        // Another replica took the lease (ours lapsed unrenewed): its connection replaces ours.
        this.#o.log.warn('wecom bot: the connection lease moved to another replica; closing this connection');
        const stream = this.#stream;
        this.#stream = undefined;
        await this.#endRelay();
        await stream.stop();
      } else if (!held) this.#o.log.info('wecom bot: another replica holds the connection lease; standing by');
      if (this.#lease) this.#lease.timer = setTimeout(() => void loop(), LEASE_TTL_MS / 3);
      this.#lease?.timer.unref();
    };
    this.#lease = { timer: setTimeout(() => undefined, 0), owner };
    void loop();
  }

  async #onBotCallback(sink: EventSink, body: Record<string, unknown>, reqId: string): Promise<void> {
    const receivedAt = this.#o.now();
    const p = parseBotCallback(body, { platform: this.id, receivedAt });
    if (p.kind === 'ignored') {
      this.#o.log.debug({ reason: p.reason }, 'wecom bot callback ignored');
      return;
    }
    let ev: InboundEvent;
    if (p.kind === 'message') ev = { ...p.message, meta: { reqId }, replyTo: { ref: `req:${reqId}`, expiresAt: receivedAt + REPLY_WINDOW_MS } };
    else {
      if (p.action.payload === NOOP_KEY) return;
      ev = { ...p.action, meta: { reqId } };
    }
    await settle(sink, this, { reply: { status: 200, body: {} }, events: [ev] });
  }

  /** The long connection's state, once it runs. */
  get connection(): ConnectionStatus | undefined {
    return this.#stream?.status;
  }

  async #endRelay(): Promise<void> {
    const r = this.#relay;
    this.#relay = undefined;
    await r?.then((end) => end()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#endRelay();
    if (this.#lease) {
      clearTimeout(this.#lease.timer);
      await this.#o.store.releaseLease(`wecom:connection:${this.#o.config.botId}`, this.#lease.owner).catch(() => undefined);
      this.#lease = undefined;
    }
    await this.#stream?.stop();
    await this.#outbound.idle();
  }
}

/** WeCom (企业微信), as the platform registry sees it. */
export const wecom = definePlatform<WecomConfig>({
  id: 'wecom',
  title: 'WeCom (企业微信)',
  vars: WECOM_VARS,
  howToEnable: 'wecom is not configured (set WECOM_BOT_ID and WECOM_BOT_SECRET, or WECOM_MODE with its variables)',
  readConfig: readWecomConfig,
  async start(config, deps) {
    const adapter = new WecomAdapter({ config, log: deps.log, store: deps.store, now: deps.now, ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}), ...(deps.rate ? { rate: deps.rate } : {}), ...(deps.bus ? { bus: deps.bus } : {}) });
    const ws = config.mode === 'aibot-ws';
    return {
      adapter,
      http: !ws,
      ...(ws ? { routeOff: 'wecom runs over the intelligent bot\'s long connection (WECOM_MODE=aibot-ws); the HTTP callback route is off', connect: (sink: EventSink) => adapter.startStream(sink) } : {}),
      summary: { mode: config.mode, apiBase: config.apiBase, ...(ws ? { ws: config.wsUrl } : {}), calls: config.call ? 'on' : 'off' },
      connection: () => adapter.connection,
      close: () => adapter.close(),
    };
  },
});
