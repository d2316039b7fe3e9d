import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';
import { VerificationError } from './errors.js';
import { msg } from './i18n.js';

/**
 * Button payloads: what a button carries is data, bound to the chat it was sent to and signed with
 * the server key (HMAC-SHA256), so a forged or altered click is refused. A button never carries
 * command text to execute blindly: a `run` payload names a read-only command and its arguments, which
 * are validated and authorised again for the person who clicks (design.md §1.12).
 */
export type ButtonPayload =
  /** Run a read-only command as the person who clicks. */
  | { k: 'run'; c: string; a: Record<string, unknown>; ch: string; t: number }
  /** Decide an approval. */
  | { k: 'approval'; id: string; d: 'approve' | 'reject'; ch: string; t: number }
  /** Request a mutating command as the person who clicks: an approval card, exactly as if typed ("Silence 1h"). */
  | { k: 'request'; c: string; a: Record<string, unknown>; ch: string; t: number }
  /** Room for more kinds (alert Ack): a handler registered with `router.onAction(kind, …)` reads the rest. */
  | { k: `x-${string}`; ch: string; t: number; [field: string]: unknown };

const VERSION = 'v1';

/**
 * The chat a button is bound to: platform and chat id together, so a console room can never be
 * confused with a chat of the same id on another platform.
 */
export function chatKey(platform: string, chatId: string): string {
  return `${platform}:${chatId}`;
}
const MAC_BYTES = 16;

export class PayloadSigner {
  readonly #key: Secret;
  constructor(key: Secret) {
    this.#key = key;
  }

  sign(p: ButtonPayload): string {
    const body = Buffer.from(JSON.stringify(p)).toString('base64url');
    return `${VERSION}.${body}.${this.#mac(body).toString('base64url')}`;
  }

  /** Checks the MAC in constant time, then parses. Throws VerificationError on anything off. */
  verify(value: string, maxAgeMs: number, now: number): ButtonPayload {
    if (typeof value !== 'string' || value.length > 2048) throw new VerificationError(msg('button.malformed'));
    const [v, body, mac] = value.split('.');
    if (v !== VERSION || !body || !mac || value.split('.').length !== 3) throw new VerificationError(msg('button.malformed'));
    const want = this.#mac(body);
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new VerificationError(msg('button.badSignature'));
    let p: ButtonPayload;
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ButtonPayload;
    } catch {
      throw new VerificationError(msg('button.malformed'));
    }
    if (typeof p?.t !== 'number' || now - p.t > maxAgeMs) throw new VerificationError(msg('button.expired'));
    return p;
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key.reveal()).update(`opsbot-button:${body}`).digest().subarray(0, MAC_BYTES);
  }
}
