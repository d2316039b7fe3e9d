import type { ConnectionStatus } from '../../core/long-connection.js';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { withoutButtons } from '../../../cards/fallback.js';
import type { Card } from '../../../cards/model.js';
import type { ActionAnswer, CardActionEvent, EventSink, HttpReply, InboundEvent, PlatformAdapter, PlatformCaps, RawRequest, Receipt, SendTarget, UrgentRequest } from '../../core/adapter.js';
import { OpsError, VerificationError } from '../../core/errors.js';
import { t } from '../../core/i18n.js';
import { settle } from '../../core/ingress.js';
import { Outbound, type SharedRate } from '../../core/outbound.js';
import { definePlatform } from '../../core/platform.js';
import { secretsEqual } from '../../core/secure-compare.js';
import type { Images } from '../../core/images.js';
import type { Store } from '../../core/store/store.js';
import type { Logger } from '../../log.js';
import { type CardSpace, DingtalkClient, SessionGone } from './client.js';
import { DINGTALK_VARS, type DingtalkConfig, readDingtalkConfig } from './config.js';
import { successReply } from './crypto.js';
import { type Parsed, parseCardCallback, parseRobotMessage } from './parse.js';
import { MAX_MARKDOWN_BYTES, renderMarkdown, renderParams, slotActions } from './render.js';
import { DingtalkStream, TOPIC_CARD, TOPIC_ROBOT } from './stream.js';
import { parseObject, verifyCallback, verifyRobot } from './verify.js';

/** What we remember of a card we sent: its chat (clicks do not say it reliably) and its buttons by slot. */
interface CardRecord {
  chatId: string;
  actions: string[];
  /** The card went out as markdown (no template, or delivery failed): an update is a new message. */
  markdown?: boolean;
}

const CARD_TTL_MS = 30 * 24 * 3600_000;
/** A (timestamp, sign) pair is good for 1 h either way: remember it a little longer. */
const SIGN_TTL_MS = 2 * 3600_000 + 60_000;
const ROUTE_KEY = 'opsbot';

export interface DingtalkAdapterOptions {
  config: DingtalkConfig;
  log: Logger;
  store: Store;
  now?: () => number;
  minBackoffMs?: number;
  /** The send limits shared with other replicas (PlatformDeps.rate). */
  rate?: SharedRate;
  /** Cards' images, as signed links DingTalk fetches (OPSBOT_PUBLIC_URL; PlatformDeps.images). */
  images?: Images;
}

/**
 * DingTalk (钉钉): robot messages over Stream mode or signed HTTP; interactive cards from the
 * 卡片平台 template with server-side buttons (clicks over the Stream connection, or the registered HTTP
 * card callback); replies through the message's sessionWebhook while it is valid, else the robot
 * OpenAPI (platforms.md §2). Without a template every card is a markdown message and approvals are typed.
 */
export class DingtalkAdapter implements PlatformAdapter {
  readonly id = 'dingtalk';
  readonly caps: PlatformCaps;
  readonly client: DingtalkClient;
  readonly #o: DingtalkAdapterOptions & { now: () => number };
  readonly #outbound: Outbound;
  readonly #cardToken: string;
  /** The only origin a sessionWebhook may have, parsed once. */
  readonly #oapiOrigin: string;
  #stream?: DingtalkStream;

  constructor(o: DingtalkAdapterOptions) {
    this.#o = { now: Date.now, ...o };
    this.#oapiOrigin = new URL(o.config.oapiBase).origin;
    const cards = Boolean(o.config.cardTemplateId);
    this.caps = {
      // A card callback is answered on the socket or in the HTTP response; DingTalk's wait is not
      // documented (3 s as Feishu is the working assumption).
      ackDeadlineMs: 2500,
      toast: false,
      cardUpdate: cards ? 'any' : 'never',
      buttons: cards,
      maxCardBytes: MAX_MARKDOWN_BYTES,
      singleConnection: false,
      replyOnce: false,
      urgent: o.config.ding,
    };
    // 20 messages a minute per robot is the custom-robot limit; the app robot's is not published: one
    // per second per chat with bounded retries on throttling keeps well inside what teams report.
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 1, intervalMs: 1000 }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}), ...(o.rate ? { shared: o.rate } : {}) });
    this.client = new DingtalkClient({ apiBase: o.config.apiBase, clientId: o.config.clientId, clientSecret: o.config.clientSecret, robotCode: o.config.robotCode, log: o.log, outbound: this.#outbound, now: this.#o.now });
    // The HTTP card callback URL carries this token (DingTalk documents no signature for it): derived
    // from the app secret, so every replica agrees and nobody else can post clicks.
    this.#cardToken = createHmac('sha256', o.config.clientSecret.reveal()).update('opsbot dingtalk card callback v1').digest('base64url').slice(0, 32);
  }

  /** HTTP mode with cards: tells DingTalk where button clicks go. */
  async init(): Promise<void> {
    const c = this.#o.config;
    if (c.mode !== 'http' || !c.cardTemplateId || !c.cardCallbackUrl) return;
    const url = new URL(c.cardCallbackUrl);
    url.searchParams.set('ct', this.#cardToken);
    try {
      await this.client.registerCardCallback(ROUTE_KEY, url.href, this.#cardToken);
      this.#o.log.info({ url: c.cardCallbackUrl }, 'dingtalk: card callback route registered');
    } catch (err) {
      this.#o.log.error({ reason: (err as Error).message }, 'dingtalk: cannot register the card callback route; button clicks will not arrive');
    }
  }

  async receive(req: RawRequest): Promise<Receipt> {
    const c = this.#o.config;
    const ok: HttpReply = { status: 200, body: {} };
    // Event subscription callbacks (DingCallbackCrypto): the check_url handshake and events.
    if (req.query.has('msg_signature') || req.query.has('signature')) {
      if (!c.eventToken || !c.eventAesKey) throw new VerificationError('event callbacks are not configured (set DINGTALK_EVENT_TOKEN and DINGTALK_EVENT_AES_KEY)');
      const s = { token: c.eventToken.reveal(), aesKey: c.eventAesKey.reveal(), ownerKey: c.clientId };
      const ev = verifyCallback(req.query, req.body, s);
      this.#o.log.debug({ eventType: ev['EventType'] }, 'dingtalk event callback answered');
      return { reply: { status: 200, body: successReply(s.token, s.aesKey, s.ownerKey) }, events: [] };
    }
    // Card button callbacks registered for HTTP: authenticated by the token in their URL.
    if (req.query.has('ct')) {
      if (!secretsEqual(req.query.get('ct') ?? '', this.#cardToken)) throw new VerificationError('bad card callback token');
      const body = parseObject(req.body.toString('utf8'));
      const eventId = `card:${createHash('sha256').update(req.body).digest('hex').slice(0, 32)}`;
      const p = await this.#resolveClick(parseCardCallback(body, { platform: this.id, receivedAt: req.receivedAt, eventId }));
      if (p.kind === 'action') return { reply: ok, events: [p.action] };
      this.#o.log.warn({ reason: p.kind === 'ignored' ? p.reason : 'not a click' }, 'dingtalk card callback ignored');
      return { reply: ok, events: [] };
    }
    // Robot messages (HTTP mode): only the timestamp is signed, so each signature is accepted once.
    const { timestamp, sign } = verifyRobot(req.headers, c.clientSecret.reveal(), req.receivedAt);
    if (!(await this.#o.store.claim(`dingtalk:sign:${timestamp}:${sign}`, SIGN_TTL_MS, req.receivedAt))) throw new VerificationError('this signature was already used (replayed request)');
    const p = parseRobotMessage(parseObject(req.body.toString('utf8')), { platform: this.id, receivedAt: req.receivedAt, oapiOrigin: this.#oapiOrigin });
    if (p.kind === 'ignored') {
      this.#o.log.debug({ reason: p.reason }, 'dingtalk message ignored');
      return { reply: ok, events: [] };
    }
    if (p.kind !== 'message') {
      return { reply: ok, events: [] };
    }
    return { reply: ok, events: [p.message] };
  }

  /** The card update a click is answered with (on the socket or in the HTTP response); no toast on DingTalk. */
  answerAction(a: ActionAnswer, ev: CardActionEvent): HttpReply {
    if (!a.card) return { status: 200, body: {} };
    const card = this.#linked(a.card);
    if (ev.cardRef) void this.#remember(ev.cardRef, { chatId: ev.chatId, actions: slotActions(card) });
    return { status: 200, body: { cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true }, cardData: { cardParamMap: renderParams(card) } } };
  }

  /** DingTalk shows an image by URL only: each image block gets its signed link, when OPSBOT_PUBLIC_URL is set. */
  #linked(card: Card): Card {
    return this.#o.images?.withLinks(card) ?? card;
  }

  async send(to: SendTarget, given: Card, o: { idempotencyKey?: string } = {}): Promise<string> {
    const card = this.#linked(given);
    const c = this.#o.config;
    const outTrackId = o.idempotencyKey ? `ob${createHash('sha256').update(`opsbot:${o.idempotencyKey}`).digest('hex').slice(0, 30)}` : `ob${randomUUID().replace(/-/g, '')}`;
    if (c.cardTemplateId) {
      try {
        await this.client.createAndDeliver({
          templateId: c.cardTemplateId,
          outTrackId,
          params: renderParams(card),
          space: space(to.chatId),
          callback: c.mode === 'http' ? { type: 'HTTP', routeKey: ROUTE_KEY } : { type: 'STREAM' },
        });
        await this.#remember(outTrackId, { chatId: to.chatId, actions: slotActions(card) });
        return outTrackId;
      } catch (err) {
        // The card did not arrive (template missing, not published, no permission): the same content as
        // markdown, the buttons replaced by what to type, and a line saying why.
        const reason = (err as Error).message.slice(0, 160);
        this.#o.log.warn({ reason }, 'dingtalk: interactive card not delivered; sent as markdown');
        const lang = card.lang ?? 'en';
        const fallback = withoutButtons(card);
        await this.#markdown(to, { ...fallback, blocks: [...fallback.blocks, { type: 'markdown', text: t(lang, 'card.undeliverable', { reason }) }] });
        await this.#remember(outTrackId, { chatId: to.chatId, actions: [], markdown: true });
        return outTrackId;
      }
    }
    await this.#markdown(to, card);
    return outTrackId;
  }

  async update(ref: string, given: Card): Promise<void> {
    const card = this.#linked(given);
    const rec = await this.#o.store.getKv<CardRecord>(`dingtalk:card:${ref}`, this.#o.now());
    if (rec?.markdown) {
      await this.#markdown({ chatId: rec.chatId }, withoutButtons(card));
      return;
    }
    await this.client.updateCard(ref, renderParams(card));
    if (rec) await this.#remember(ref, { ...rec, actions: slotActions(card) });
  }

  /** A robot DING to people by staffId (the policy's ids), at a level the admin enabled (DINGTALK_DING). */
  async remind(r: UrgentRequest): Promise<{ failed: string[] }> {
    if (!this.#o.config.ding.includes(r.level)) throw new OpsError('unsupported', `DING ${r.level} is not enabled (DINGTALK_DING=${this.#o.config.ding.join(',') || 'unset'})`);
    const max = r.level === 'app' ? 200 : 20;
    const failed: string[] = [];
    for (let i = 0; i < r.userIds.length; i += max) {
      const batch = r.userIds.slice(i, i + max);
      const out = await this.client.ding(r.level === 'app' ? 1 : r.level === 'sms' ? 2 : 3, batch, r.text.slice(0, 500));
      failed.push(...out.failed);
    }
    return { failed };
  }

  /** Starts the Stream connection; its callbacks go through the same ingress as HTTP. */
  startStream(sink: EventSink): DingtalkStream {
    const c = this.#o.config;
    this.#stream = new DingtalkStream({
      apiBase: c.apiBase,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      log: this.#o.log,
      ...(this.#o.minBackoffMs ? { minBackoffMs: this.#o.minBackoffMs } : {}),
      onCallback: async (topic, data, headers) => {
        const receivedAt = this.#o.now();
        let p: Parsed;
        if (topic === TOPIC_ROBOT) p = parseRobotMessage(data, { platform: this.id, receivedAt, oapiOrigin: this.#oapiOrigin });
        else if (topic === TOPIC_CARD) p = await this.#resolveClick(parseCardCallback(data, { platform: this.id, receivedAt, eventId: `card:${headers['messageId'] ?? randomUUID()}` }));
        else p = { kind: 'ignored', reason: `topic ${topic}` };
        if (p.kind === 'ignored') {
          this.#o.log.debug({ reason: p.reason }, 'dingtalk stream callback ignored');
          return {};
        }
        const ev: InboundEvent = p.kind === 'message' ? p.message : p.action;
        const { reply, afterAck } = await settle(sink, this, { reply: { status: 200, body: {} }, events: [ev] });
        const body = reply.body as Record<string, unknown>;
        return { ...(p.kind === 'action' && Object.keys(body).length ? { response: body } : {}), ...(afterAck ? { afterAck } : {}) };
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

  /** Fills in a click's chat and, where the template sent only the button's slot, its action id. */
  async #resolveClick(p: Parsed): Promise<Parsed> {
    if (p.kind !== 'action') return p;
    const rec = await this.#o.store.getKv<CardRecord>(`dingtalk:card:${p.outTrackId}`, this.#o.now());
    if (!rec) return { kind: 'ignored', reason: `click on a card this bot does not know (${p.outTrackId.slice(0, 40)})` };
    let payload = p.action.payload;
    if (!payload && p.slot) payload = rec.actions[Number(/^btn([1-9])$/.exec(p.slot)?.[1] ?? 0) - 1] ?? '';
    if (!payload) return { kind: 'ignored', reason: `card callback names no known button (${p.slot ?? '?'})` };
    return { ...p, action: { ...p.action, chatId: rec.chatId, payload } };
  }

  async #remember(outTrackId: string, rec: CardRecord): Promise<void> {
    try {
      await this.#o.store.putKv(`dingtalk:card:${outTrackId}`, rec, CARD_TTL_MS, this.#o.now());
    } catch (err) {
      this.#o.log.warn({ err }, 'dingtalk: cannot record a card; clicks on it will be refused');
    }
  }

  /** A markdown message: the sessionWebhook while it is valid, else the robot OpenAPI. */
  async #markdown(to: SendTarget, card: Card): Promise<void> {
    const md = renderMarkdown(card);
    if (to.replyTo) {
      try {
        return await this.client.sendBySession(to.replyTo, md, card.mentions?.userIds?.length ? { atUserIds: card.mentions.userIds } : card.mentions?.all ? { isAtAll: true } : {});
      } catch (err) {
        if (!(err instanceof SessionGone)) throw err;
        this.#o.log.info('dingtalk: sessionWebhook expired; sending through the robot API');
      }
    }
    const s = space(to.chatId);
    if (s.kind === 'group') await this.client.sendToGroup(s.conversationId, md);
    else await this.client.sendToUsers([s.staffId], md);
  }
}

function space(chatId: string): CardSpace {
  return chatId.startsWith('user:') ? { kind: 'direct', staffId: chatId.slice(5) } : { kind: 'group', conversationId: chatId };
}

/** DingTalk (钉钉), as the platform registry sees it. */
export const dingtalk = definePlatform<DingtalkConfig>({
  id: 'dingtalk',
  title: 'DingTalk (钉钉)',
  vars: DINGTALK_VARS,
  howToEnable: 'dingtalk is not configured (set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET)',
  readConfig: readDingtalkConfig,
  async start(config, deps) {
    const adapter = new DingtalkAdapter({ config, log: deps.log, store: deps.store, now: deps.now, ...(deps.images ? { images: deps.images } : {}), ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}), ...(deps.rate ? { rate: deps.rate } : {}) });
    await adapter.init();
    const http = config.mode === 'http';
    return {
      adapter,
      http,
      ...(http ? {} : { routeOff: 'dingtalk runs over Stream mode (DINGTALK_MODE=stream); the HTTP callback route is off', connect: (sink: EventSink) => void adapter.startStream(sink) }),
      summary: { mode: config.mode, cards: config.cardTemplateId ? 'interactive' : 'markdown', ding: config.ding.join(',') || 'off', apiBase: config.apiBase },
      connection: () => adapter.connection,
      close: () => adapter.close(),
    };
  },
});


