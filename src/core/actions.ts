import { createHash } from 'node:crypto';
import type { Card } from '../../cards/model.js';
import { VerificationError } from './errors.js';
import { msg } from './i18n.js';
import type { Store } from './store/store.js';

/** What a button carries on the wire: a short id. DingTalk's `actionId`, WeCom's button `key` and `task_id` need it. */
export const ACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** How long a button's payload is kept: as long as a drill-down button stays valid. */
export const ACTION_TTL_MS = 7 * 24 * 3_600_000;

/**
 * Server-side button actions (generalised from the console's card store). Inside the core a button's
 * value is a signed payload (core/payload.ts); on its way to a platform each value is swapped for a
 * short id, and the signed payload stays in the store with a TTL. A click brings the id back; the id
 * is resolved here, and the payload's signature, age and chat binding are checked as before. An
 * unknown, expired or malformed id is refused (the router audits it).
 */
export class ButtonActions {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly ttlMs = ACTION_TTL_MS,
  ) {}

  /** The card with each button's signed value stored and replaced by its short id. */
  async shorten(card: Card): Promise<Card> {
    if (!card.buttons?.length) return card;
    const t = this.now();
    const buttons = await Promise.all(
      card.buttons.map(async (b) => {
        if (ACTION_ID.test(b.value)) return b; // already an id
        const id = actionId(b.value);
        await this.store.putKv(`action:${id}`, b.value, this.ttlMs, t);
        return { ...b, value: id };
      }),
    );
    return { ...card, buttons };
  }

  /**
   * The signed payload behind a clicked value. A full signed value (cards posted before ids existed,
   * or the console's scripts) is returned as it is: its signature is checked by the caller either way.
   */
  async resolve(value: string): Promise<string> {
    if (typeof value !== 'string' || !value) throw new VerificationError(msg('button.malformed'));
    if (!ACTION_ID.test(value)) return value;
    const signed = await this.store.getKv<string>(`action:${value}`, this.now());
    if (typeof signed !== 'string') throw new VerificationError(msg('button.unknown'));
    return signed;
  }
}

/**
 * The id of one signed value: derived from it (so re-rendering a card keeps its ids and a retried
 * send stores nothing new), 132 bits, unguessable because the value it hashes carries a MAC.
 */
export function actionId(signed: string): string {
  return `b${createHash('sha256').update(`opsbot-action:${signed}`).digest('base64url').slice(0, 22)}`;
}
