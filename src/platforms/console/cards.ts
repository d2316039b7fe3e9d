import { randomBytes } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import { renderText } from '../../../cards/text.js';

/** A card as the console API returns it (contract.md: id, title, severity, text, buttons). */
export interface ConsoleCard {
  id: string;
  title: string;
  severity: Card['tone'];
  text: string;
  buttons: { label: string; action: string; style: string }[];
  /** The structured card, for the page's HTML rendering. */
  card: Omit<Card, 'buttons'>;
  user: string;
  createdAt: number;
}

interface Stored {
  view: ConsoleCard;
  /** action → signed button value; the value never leaves the server. */
  actions: Map<string, string>;
}

const MAX_CARDS = 2000;

/** The console's cards, newest last; the oldest are dropped past MAX_CARDS. */
export class ConsoleCardStore {
  readonly #cards = new Map<string, Stored>();

  add(card: Card, user: string, now: number): ConsoleCard {
    const id = `c_${randomBytes(6).toString('base64url')}`;
    const actions = new Map<string, string>();
    const buttons = (card.buttons ?? []).map((b) => {
      const action = uniqueSlug(b.label, actions);
      actions.set(action, b.value);
      return { label: b.label, action, style: b.style };
    });
    const { buttons: _, ...rest } = card;
    const view: ConsoleCard = { id, title: card.title, severity: card.tone, text: renderText({ ...card, buttons: [] }), buttons, card: rest, user, createdAt: now };
    this.#cards.set(id, { view, actions });
    if (this.#cards.size > MAX_CARDS) this.#cards.delete(this.#cards.keys().next().value as string);
    return view;
  }

  get(id: string): ConsoleCard | undefined {
    return this.#cards.get(id)?.view;
  }

  action(id: string, action: string): string | undefined {
    return this.#cards.get(id)?.actions.get(action);
  }

  recent(n: number): ConsoleCard[] {
    return [...this.#cards.values()].slice(-n).map((s) => s.view);
  }
}

/** `Logs order-service` → `logs`; a second `logs` on the same card → `logs-2`. */
function uniqueSlug(label: string, taken: Map<string, string>): string {
  const base = (label.toLowerCase().match(/[a-z0-9]+/)?.[0] ?? 'action').slice(0, 20);
  let slug = base;
  for (let i = 2; taken.has(slug); i++) slug = `${base}-${i}`;
  return slug;
}
