import type { Card } from '../../cards/model.js';
import type { PlatformId } from '../config/policy.js';

/**
 * What a platform adapter does (design.md §2). Transports receive bytes; an adapter turns *verified*
 * bytes into events and cards into platform JSON. The core never knows which platform it talks to:
 * what differs between platforms is declared in `caps`, and the dispatcher picks fallbacks from it.
 */

/** A message someone sent: mention removed, full-width characters left for the parser to normalise. */
export interface IncomingMessage {
  kind: 'message';
  eventId: string;
  platform: PlatformId;
  chatId: string;
  chatKind: 'group' | 'direct';
  userId: string;
  text: string;
  /** How to answer this message in place (Feishu: the message id; DingTalk: the sessionWebhook). */
  replyTo?: ReplyHandle;
  receivedAt: number;
  /** Anything the adapter needs to answer this event (a nonce, a frame id): opaque to core. */
  meta?: Readonly<Record<string, string>>;
}

/** A click on a card button. */
export interface CardActionEvent {
  kind: 'card-action';
  eventId: string;
  platform: PlatformId;
  chatId: string;
  userId: string;
  /** The signed button value (core/payload.ts). */
  payload: string;
  /** The card that was clicked (Feishu: its message id). */
  cardRef?: string;
  /** Where the click brings its own reply handle (WeCom's response_url); else replies go to `cardRef`. */
  replyTo?: ReplyHandle;
  receivedAt: number;
  meta?: Readonly<Record<string, string>>;
}

export type InboundEvent = IncomingMessage | CardActionEvent;

/**
 * A handle for answering one event. `ref` is opaque to core; where it expires (DingTalk's
 * sessionWebhook, WeCom's response_url) the adapter says when, and where it is single-use
 * (`caps.replyOnce`) core uses it for the first card only. Past either, cards go to the chat itself.
 */
export interface ReplyHandle {
  ref: string;
  /** Epoch ms after which the platform refuses it. */
  expiresAt?: number;
}

export interface RawRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  receivedAt: number;
}

/** The whole HTTP answer: WeCom answers URL verification with bare text, DingTalk with encrypted JSON. */
export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as text/plain unless `headers` say otherwise. */
  body: string | Buffer | object;
}

/**
 * What `receive()` makes of one request: the reply to send when nothing in it is a click (a
 * handshake, an ack), the events to dispatch, and what to do once the reply is on the wire.
 */
export interface Receipt {
  reply: HttpReply;
  events: InboundEvent[];
  afterAck?: () => void;
}

/** The synchronous answer to a click: a toast and, where the card changed, the new card. */
export interface ActionAnswer {
  toast: { type: 'success' | 'info' | 'warning' | 'error'; text: string };
  card?: Card;
}

/**
 * How a platform behaves, declared once (design.md §2 PlatformCaps). The dispatcher reads these; no
 * code in core asks which platform it is.
 */
export interface PlatformCaps {
  /** How long the platform waits for the answer to a click (or an event ack). */
  ackDeadlineMs: number;
  /** Can a click be answered with a toast? Without one, a refusal is posted as a message. */
  toast: boolean;
  /**
   * How a card already shown can change: `any` time through an API; only `in-callback` (in the
   * click's answer); `once-per-handle` (each update consumes the handle and may return a successor);
   * or `never` (send-only robots: a change is posted as a new card).
   */
  cardUpdate: 'any' | 'in-callback' | 'once-per-handle' | 'never';
  /** Can clicks reach us? Without buttons, an approval card shows the commands to type instead. */
  buttons: boolean;
  /** Largest card the platform accepts, in bytes of its rendered JSON or markdown. */
  maxCardBytes: number;
  /** One long connection per bot (a second kicks the first): run it on one replica only. */
  singleConnection: boolean;
  /** A reply handle answers one card only (WeCom response_url); later cards go to the chat. */
  replyOnce: boolean;
  /**
   * How this platform can ring a person urgently (Feishu 加急, DingTalk DING, WeCom 紧急通知), as
   * configured by the admin; absent or empty: it cannot. Alerts escalate with these.
   */
  urgent?: readonly UrgentLevel[];
}

/** In-app ring, SMS, or a phone call. */
export type UrgentLevel = 'app' | 'sms' | 'phone';

/** One urgent reminder: to people by their platform user ids (from the policy, never from chat input). */
export interface UrgentRequest {
  level: UrgentLevel;
  userIds: string[];
  text: string;
  /** The card it is about, where the platform rings for a message the bot sent (Feishu). */
  ref?: string;
}

/** Where a card goes: a chat, and the opaque reply handle when answering a message. */
export interface SendTarget {
  chatId: string;
  replyTo?: string;
}

export interface PlatformAdapter {
  readonly id: PlatformId;
  readonly caps: PlatformCaps;
  /** HTTP mode: verify (and decrypt) the raw bytes, then parse. Throws VerificationError (→ 401). */
  receive?(req: RawRequest): Promise<Receipt>;
  /**
   * The platform's body for an ActionAnswer (HTTP response or long-connection ack), built with the
   * event in hand (WeCom's passive reply needs its nonce, DingTalk's Stream ack its messageId).
   */
  answerAction?(answer: ActionAnswer, ev: CardActionEvent): HttpReply;
  /**
   * Where a message's acknowledgement can carry the reply (WeCom's intelligent bot in API mode answers
   * the callback with the card): called once the message is dispatched; may wait (briefly, within the
   * ack deadline) for the first card and return the reply to send instead of `reply`.
   */
  answerMessage?(ev: IncomingMessage, reply: HttpReply): Promise<HttpReply>;
  /**
   * Called before a click is handled and once its answer is on the wire (Feishu: an update sent before
   * the callback's answer fails or is reverted, so the adapter holds them until `after`).
   */
  clickStarted?(ev: CardActionEvent): void;
  clickAnswered?(ev: CardActionEvent): void;
  /** Posts a card; returns the handle to update it later. */
  send(to: SendTarget, card: Card, o?: { idempotencyKey?: string }): Promise<string>;
  /**
   * Replaces a card already shown. Returns the successor handle where the old one was consumed
   * (`once-per-handle`), or nothing. Not called when `caps.cardUpdate` is `never`.
   */
  update(ref: string, card: Card): Promise<string | void>;
  /** Rings people urgently; present when `caps.urgent` lists levels. Resolves with the ids it could not reach. */
  remind?(r: UrgentRequest): Promise<{ failed: string[] }>;
  close?(): Promise<void>;
}

/** What every transport, HTTP or long connection, hands its events to. */
export interface EventSink {
  /** Deduplicates and starts the work; resolves before the work is done. */
  message(ev: IncomingMessage): Promise<void>;
  /** Answers within `caps.ackDeadlineMs`, or with a "working on it" answer. */
  action(ev: CardActionEvent): Promise<ActionAnswer>;
}

/** Thrown by receive() for input that is malformed but not a signature problem (→ 400). */
export class BadRequestError extends Error {}
