import type { Card } from '../../cards/model.js';
import type { PlatformId } from '../config/policy.js';

/**
 * What a platform adapter does (design.md §2). Transports receive bytes; an adapter turns *verified*
 * bytes into events and cards into platform JSON. The core never knows which platform it talks to.
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
  /** Where a reply goes (Feishu: the message id). */
  replyTo?: string;
  receivedAt: number;
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
  receivedAt: number;
}

export type InboundEvent = IncomingMessage | CardActionEvent;

export interface RawRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  receivedAt: number;
}

export interface HttpReply {
  status: number;
  body: unknown;
}

export type Receipt =
  /** A platform handshake (Feishu url_verification): answered, nothing passed on. */
  | { kind: 'handshake'; reply: HttpReply }
  /** Events to dispatch after a 200 (or nothing: ignored event types). */
  | { kind: 'events'; events: IncomingMessage[] }
  /** A card click, answered synchronously with the result. */
  | { kind: 'action'; action: CardActionEvent };

/** The synchronous answer to a click: a toast and, where the card changed, the new card. */
export interface ActionAnswer {
  toast: { type: 'success' | 'info' | 'warning' | 'error'; text: string };
  card?: Card;
}

export interface PlatformAdapter {
  readonly id: PlatformId;
  /** HTTP mode: verify (and decrypt) the raw bytes, then parse. Throws VerificationError (→ 401). */
  receive?(req: RawRequest): Promise<Receipt>;
  /** The platform's body for an ActionAnswer (HTTP response or long-connection ack). */
  answerAction?(answer: ActionAnswer): unknown;
  /** Posts a card; returns the reference to update it later. */
  send(chat: { chatId: string; replyTo?: string }, card: Card, o?: { idempotencyKey?: string }): Promise<string>;
  /** Replaces a card already shown. */
  update(ref: string, card: Card): Promise<void>;
  /**
   * Holds updates of a card while its click is being answered (Feishu: an update sent before the
   * callback's answer fails or is reverted); `release` sends the newest held one.
   */
  holdUpdates?(ref: string): void;
  releaseUpdates?(ref: string): Promise<void>;
  close?(): Promise<void>;
}

/** Thrown by receive() for input that is malformed but not a signature problem (→ 400). */
export class BadRequestError extends Error {}
