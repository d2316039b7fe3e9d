import type { ConnectionStatus } from '../../core/long-connection.js';
import { createHash } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import type { Logger } from '../../log.js';
import type { ActionAnswer, CardActionEvent, EventSink, HttpReply, PlatformAdapter, PlatformCaps, RawRequest, Receipt, UrgentRequest } from '../../core/adapter.js';
import { OpsError } from '../../core/errors.js';
import { definePlatform } from '../../core/platform.js';
import { FEISHU_VARS, type FeishuConfig, readFeishuConfig } from './config.js';
import { Outbound, type SharedRate } from '../../core/outbound.js';
import { FeishuClient } from './client.js';
import { secretsEqual } from '../../core/secure-compare.js';
import { parseFeishuEnvelope } from './parse.js';
import { renderFeishuCard } from './render.js';
import { FeishuStream } from './stream.js';
import { verifyFeishu } from './verify.js';
import { settle } from '../../core/ingress.js';
import { IMAGE_TTL_MS, type Images } from '../../core/images.js';
import type { Store } from '../../core/store/store.js';

export interface FeishuAdapterOptions {
  config: FeishuConfig;
  log: Logger;
  now?: () => number;
  /** Backoff of the outbound path and the long connection (tests shorten it). */
  minBackoffMs?: number;
  /** The send limits shared with other replicas (PlatformDeps.rate). */
  rate?: SharedRate;
  /** Where cards' images are (PlatformDeps.images) and where their image_keys are kept. */
  images?: Images;
  store?: Store;
}

/**
 * Feishu / Lark (飞书): verified events and card callbacks over HTTP or the long connection, cards
 * rendered to JSON 2.0, replies and in-place updates through the Open API (platforms.md §1).
 */
export class FeishuAdapter implements PlatformAdapter {
  readonly id = 'feishu';
  readonly caps: PlatformCaps;
  static readonly BASE_CAPS = {
    // Feishu waits 3 s for a callback's answer; leave room for the network.
    ackDeadlineMs: 2500,
    toast: true,
    cardUpdate: 'any',
    buttons: true,
    maxCardBytes: 30 * 1024,
    singleConnection: false,
    replyOnce: false,
  } as const;
  readonly client: FeishuClient;
  readonly #o: FeishuAdapterOptions & { now: () => number };
  readonly #outbound: Outbound;
  #botOpenId?: string;
  /** Cards whose click is being answered: the newest update waits here (null: none yet). */
  readonly #held = new Map<string, Card | null>();
  #stream?: FeishuStream;

  constructor(o: FeishuAdapterOptions) {
    this.#o = { now: Date.now, ...o };
    this.caps = { ...FeishuAdapter.BASE_CAPS, urgent: o.config.urgent ?? [] };
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 5, intervalMs: 1000 }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}), ...(o.rate ? { shared: o.rate } : {}) });
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
    if (v.kind === 'challenge') return { reply: { status: 200, body: { challenge: v.challenge } }, events: [] };
    const p = parseFeishuEnvelope(v.envelope, { receivedAt: req.receivedAt, ...(this.#botOpenId ? { botOpenId: this.#botOpenId } : {}) });
    const ok = { status: 200, body: {} };
    if (p.kind === 'message') return { reply: ok, events: [p.message] };
    if (p.kind === 'action') return { reply: ok, events: [p.action] };
    this.#o.log.debug({ reason: p.reason }, 'feishu event ignored');
    return { reply: ok, events: [] };
  }

  /** The callback answer Feishu expects: a toast and, when the card changed, the card (platforms.md §1.4). */
  answerAction(a: ActionAnswer, _ev?: CardActionEvent): HttpReply {
    return { status: 200, body: { toast: { type: a.toast.type, content: a.toast.text.slice(0, 200) }, ...(a.card ? { card: { type: 'raw', data: renderFeishuCard(a.card, this.#keys) } } : {}) } };
  }

  /** An update sent before the callback's answer fails or is reverted: hold them until it is out. */
  clickStarted(ev: CardActionEvent): void {
    if (ev.cardRef) this.holdUpdates(ev.cardRef);
  }

  clickAnswered(ev: CardActionEvent): void {
    const ref = ev.cardRef;
    if (ref) void this.releaseUpdates(ref).catch((err: unknown) => this.#o.log.warn({ err }, 'held card update failed'));
  }

  async send(chat: { chatId: string; replyTo?: string }, card: Card, o: { idempotencyKey?: string } = {}): Promise<string> {
    const uuid = o.idempotencyKey ? createHash('sha256').update(`opsbot:${o.idempotencyKey}`).digest('hex').slice(0, 32) : undefined;
    return this.client.sendCard(chat.chatId, renderFeishuCard(card, await this.#imageKeys(card)), { ...(chat.replyTo ? { replyTo: chat.replyTo } : {}), ...(uuid ? { uuid } : {}) });
  }

  /** Each image of the card uploaded once (its image_key kept in the store for every replica); a failed upload leaves it out. */
  readonly #keys = new Map<string, string>();
  async #imageKeys(card: Card): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const { images, store } = this.#o;
    for (const b of card.blocks) {
      if (b.type !== 'image' || !images || !store) continue;
      try {
        let key = this.#keys.get(b.ref) ?? (await store.getKv<string>(`feishu:image:${b.ref}`, this.#o.now()));
        if (typeof key !== 'string') {
          const png = await images.get(b.ref);
          if (!png) continue;
          key = await this.client.uploadImage(png);
          await store.putKv(`feishu:image:${b.ref}`, key, IMAGE_TTL_MS, this.#o.now());
        }
        if (this.#keys.size > 500) this.#keys.clear();
        this.#keys.set(b.ref, key);
        out.set(b.ref, key);
      } catch (err) {
        this.#o.log.warn({ reason: (err as Error).message, ref: b.ref }, 'feishu: could not upload a card image; the card goes without it');
      }
    }
    return out;
  }

  async update(ref: string, card: Card): Promise<void> {
    if (this.#held.has(ref)) {
      this.#held.set(ref, card);
      return;
    }
    await this.client.patchCard(ref, renderFeishuCard(card, await this.#imageKeys(card)));
  }

  holdUpdates(ref: string): void {
    if (!this.#held.has(ref)) this.#held.set(ref, null);
  }

  async releaseUpdates(ref: string): Promise<void> {
    const card = this.#held.get(ref);
    this.#held.delete(ref);
    if (card) await this.client.patchCard(ref, renderFeishuCard(card, await this.#imageKeys(card)));
  }

  /** 加急 on the bot's own card (the alert's), to open_ids, at a level the admin enabled (FEISHU_URGENT). */
  async remind(r: UrgentRequest): Promise<{ failed: string[] }> {
    if (!(this.#o.config.urgent ?? []).includes(r.level)) throw new OpsError('unsupported', `Feishu 加急 ${r.level} is not enabled (FEISHU_URGENT)`);
    if (!r.ref) throw new OpsError('unsupported', 'Feishu 加急 needs the message the bot sent');
    return { failed: await this.client.urgent(r.ref, r.level, r.userIds) };
  }

  /** Starts the long connection; its events go through the same ingress as HTTP. */
  startStream(sink: EventSink): FeishuStream {
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
        if (p.kind === 'ignored') return undefined;
        const { reply, afterAck } = await settle(sink, this, { reply: { status: 200, body: {} }, events: [p.kind === 'message' ? p.message : p.action] });
        // A message's ack carries nothing; a click's carries its answer.
        return { ...(p.kind === 'action' ? { answer: reply.body } : {}), ...(afterAck ? { afterAck } : {}) };
      },
    });
    this.#stream.start();
    return this.#stream;
  }

  /** The long connection's state, once it runs. */
  get connection(): ConnectionStatus | undefined {
    return this.#stream?.status;
  }

  async close(): Promise<void> {
    await this.#stream?.stop();
    await this.#outbound.idle();
  }
}

/** Feishu / Lark (飞书), as the platform registry sees it. */
export const feishu = definePlatform<FeishuConfig>({
  id: 'feishu',
  title: 'Feishu / Lark (飞书)',
  vars: FEISHU_VARS,
  howToEnable: 'feishu is not configured (set FEISHU_APP_ID and FEISHU_APP_SECRET)',
  readConfig: readFeishuConfig,
  async start(config, deps) {
    const adapter = new FeishuAdapter({ config, log: deps.log, now: deps.now, store: deps.store, ...(deps.images ? { images: deps.images } : {}), ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}), ...(deps.rate ? { rate: deps.rate } : {}) });
    await adapter.init();
    const http = config.mode === 'http';
    return {
      adapter,
      http,
      // One transport per app: the HTTP route is off while the long connection runs.
      ...(http ? {} : { routeOff: 'feishu runs over the long connection (FEISHU_MODE=ws); the HTTP callback route is off', connect: (sink: EventSink) => void adapter.startStream(sink) }),
      summary: { mode: config.mode, apiBase: config.apiBase },
      connection: () => adapter.connection,
      close: () => adapter.close(),
    };
  },
});
