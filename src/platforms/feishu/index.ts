import { createHash } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import type { FeishuConfig } from '../../config/env.js';
import type { Dispatcher } from '../../core/dispatch.js';
import type { Logger } from '../../log.js';
import type { ActionAnswer, PlatformAdapter, RawRequest, Receipt } from '../../core/adapter.js';
import { Outbound } from '../outbound.js';
import { FeishuClient } from './client.js';
import { secretsEqual } from '../../core/secure-compare.js';
import { parseFeishuEnvelope } from './parse.js';
import { renderFeishuCard } from './render.js';
import { FeishuStream } from './stream.js';
import { verifyFeishu } from './verify.js';

export interface FeishuAdapterOptions {
  config: FeishuConfig;
  log: Logger;
  now?: () => number;
  /** Backoff of the outbound path and the long connection (tests shorten it). */
  minBackoffMs?: number;
}

/**
 * Feishu / Lark (飞书): verified events and card callbacks over HTTP or the long connection, cards
 * rendered to JSON 2.0, replies and in-place updates through the Open API (platforms.md §1).
 */
export class FeishuAdapter implements PlatformAdapter {
  readonly id = 'feishu' as const;
  /** Feishu waits 3 s for an answer; leave room for the network. */
  readonly ackDeadlineMs = 2500;
  readonly client: FeishuClient;
  readonly #o: FeishuAdapterOptions & { now: () => number };
  readonly #outbound: Outbound;
  #botOpenId?: string;
  /** Cards whose click is being answered: the newest update waits here (null: none yet). */
  readonly #held = new Map<string, Card | null>();
  #stream?: FeishuStream;

  constructor(o: FeishuAdapterOptions) {
    this.#o = { now: Date.now, ...o };
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 5, intervalMs: 1000 }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}) });
    this.client = new FeishuClient({ apiBase: o.config.apiBase, appId: o.config.appId, appSecret: o.config.appSecret, log: o.log, outbound: this.#outbound, now: this.#o.now });
  }

  /** Learns the bot's open_id (to recognise @bot). Without it, any @mention in a group counts. */
  async init(): Promise<void> {
    try {
      const bot = await this.client.botInfo();
      this.#botOpenId = bot.openId;
      this.#o.log.info({ bot: bot.name, mode: this.#o.config.mode }, 'feishu ready');
    } catch (err) {
      this.#o.log.warn({ reason: (err as { userMessage?: string }).userMessage ?? (err as Error).message }, 'feishu: cannot read bot info; any @mention in a group will count');
    }
  }

  async receive(req: RawRequest): Promise<Receipt> {
    const c = this.#o.config;
    const v = verifyFeishu(req.headers, req.body, { verificationToken: (c.verificationToken as NonNullable<typeof c.verificationToken>).reveal(), ...(c.encryptKey ? { encryptKey: c.encryptKey.reveal() } : {}) }, req.receivedAt);
    if (v.kind === 'challenge') return { kind: 'handshake', reply: { status: 200, body: { challenge: v.challenge } } };
    const p = parseFeishuEnvelope(v.envelope, { receivedAt: req.receivedAt, ...(this.#botOpenId ? { botOpenId: this.#botOpenId } : {}) });
    if (p.kind === 'message') return { kind: 'events', events: [p.message] };
    if (p.kind === 'action') return { kind: 'action', action: p.action };
    this.#o.log.debug({ reason: p.reason }, 'feishu event ignored');
    return { kind: 'events', events: [] };
  }

  /** The callback answer Feishu expects: a toast and, when the card changed, the card (platforms.md §1.4). */
  answerAction(a: ActionAnswer): unknown {
    return { toast: { type: a.toast.type, content: a.toast.text.slice(0, 200) }, ...(a.card ? { card: { type: 'raw', data: renderFeishuCard(a.card) } } : {}) };
  }

  async send(chat: { chatId: string; replyTo?: string }, card: Card, o: { idempotencyKey?: string } = {}): Promise<string> {
    const uuid = o.idempotencyKey ? createHash('sha256').update(`opsbot:${o.idempotencyKey}`).digest('hex').slice(0, 32) : undefined;
    return this.client.sendCard(chat.chatId, renderFeishuCard(card), { ...(chat.replyTo ? { replyTo: chat.replyTo } : {}), ...(uuid ? { uuid } : {}) });
  }

  async update(ref: string, card: Card): Promise<void> {
    if (this.#held.has(ref)) {
      this.#held.set(ref, card);
      return;
    }
    await this.client.patchCard(ref, renderFeishuCard(card));
  }

  holdUpdates(ref: string): void {
    if (!this.#held.has(ref)) this.#held.set(ref, null);
  }

  async releaseUpdates(ref: string): Promise<void> {
    const card = this.#held.get(ref);
    this.#held.delete(ref);
    if (card) await this.client.patchCard(ref, renderFeishuCard(card));
  }

  /** Starts the long connection; its events go through the same dispatcher as HTTP. */
  startStream(dispatcher: Dispatcher): FeishuStream {
    const token = this.#o.config.verificationToken?.reveal();
    this.#stream = new FeishuStream({
      apiBase: this.#o.config.apiBase,
      appId: this.#o.config.appId,
      appSecret: this.#o.config.appSecret,
      log: this.#o.log,
      ...(this.#o.minBackoffMs ? { minBackoffMs: this.#o.minBackoffMs } : {}),
      onPayload: async (env) => {
        // The connection is authenticated; the token is checked too when one is configured.
        const t = (env['header'] as { token?: unknown } | undefined)?.token;
        if (token && (typeof t !== 'string' || !secretsEqual(t, token))) {
          this.#o.log.warn('feishu long connection: payload with a wrong verification token dropped');
          return undefined;
        }
        const p = parseFeishuEnvelope(env, { receivedAt: this.#o.now(), ...(this.#botOpenId ? { botOpenId: this.#botOpenId } : {}) });
        if (p.kind === 'message') {
          await dispatcher.message(this, p.message);
          return undefined;
        }
        if (p.kind === 'action') {
          const answer = await dispatcher.action(this, p.action, this.ackDeadlineMs);
          const ref = p.action.cardRef;
          return { answer: this.answerAction(answer), ...(ref ? { afterAck: () => void this.releaseUpdates(ref).catch((err: unknown) => this.#o.log.warn({ err }, 'held card update failed')) } : {}) };
        }
        return undefined;
      },
    });
    this.#stream.start();
    return this.#stream;
  }

  async close(): Promise<void> {
    await this.#stream?.stop();
    await this.#outbound.idle();
  }
}
