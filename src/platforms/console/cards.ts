import { randomBytes } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import { renderText } from '../../../cards/text.js';
import type { Store } from '../../core/store/store.js';

/** A card as the console API returns it (contract.md: id, title, severity, text, buttons). */
export interface ConsoleCard {
  id: string;
  title: string;
  severity: Card['tone'];
  text: string;
  buttons: { label: string; action: string; style: string }[];
  /** The structured card, for the page's HTML rendering. */
  card: Omit<Card, 'buttons'>;
  /** The approval this card shows, if any. */
  approvalId?: string;
  chat: string;
  user: string;
  createdAt: number;
  updatedAt: number;
}

interface Stored {
  view: ConsoleCard;
  /** action → signed button value; the value never leaves the server. */
  actions: Record<string, string>;
}

/**
 * The console's cards, kept in the store so that a restart between a request and a click loses
 * nothing: the card, its buttons and its later updates all survive.
 */
export class ConsoleCardStore {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  async add(card: Card, user: string, chat: string): Promise<ConsoleCard> {
    const id = `c_${randomBytes(6).toString('base64url')}`;
    const t = this.now();
    const stored = toStored(id, card, { user, chat, createdAt: t, updatedAt: t });
    await this.store.putCard(`console:${id}`, stored, t);
    return stored.view;
  }

  /** Replaces the content of an existing card, keeping its id (an in-place update). */
  async replace(id: string, card: Card): Promise<ConsoleCard | undefined> {
    const cur = await this.store.getCard<Stored>(`console:${id}`);
    if (!cur) return undefined;
    const t = this.now();
    const stored = toStored(id, card, { user: cur.view.user, chat: cur.view.chat, createdAt: cur.view.createdAt, updatedAt: t });
    // A page that has not seen the update still shows the old buttons. Their signed values stay
    // clickable, so a late click reaches the core and is answered ("already approved by Bob at 14:03").
    stored.actions = { ...cur.actions, ...stored.actions };
    await this.store.putCard(`console:${id}`, stored, t);
    return stored.view;
  }

  async get(id: string): Promise<ConsoleCard | undefined> {
    return (await this.store.getCard<Stored>(`console:${id}`))?.view;
  }

  /** The card and the signed value behind one of its actions, in one read. */
  async withAction(id: string, action: string): Promise<{ view: ConsoleCard; value?: string } | undefined> {
    const s = await this.store.getCard<Stored>(`console:${id}`);
    if (!s) return undefined;
    return Object.hasOwn(s.actions, action) ? { view: s.view, value: s.actions[action] as string } : { view: s.view };
  }
}

function toStored(id: string, card: Card, meta: Pick<ConsoleCard, 'user' | 'chat' | 'createdAt' | 'updatedAt'>): Stored {
  const actions: Record<string, string> = {};
  const buttons = (card.buttons ?? []).map((b) => {
    const action = uniqueSlug(b.id ?? b.label, actions);
    actions[action] = b.value;
    return { label: b.label, action, style: b.style };
  });
  const { buttons: _, binding, ...rest } = card;
  return {
    view: {
      id,
      title: card.title,
      severity: card.tone,
      text: renderText({ ...card, buttons: [] }),
      buttons,
      card: rest,
      ...(binding?.subject === 'approval' ? { approvalId: binding.id } : {}),
      ...meta,
    },
    actions,
  };
}

/** `Logs order-service` → `logs`; a second `logs` on the same card → `logs-2`. */
function uniqueSlug(label: string, taken: Record<string, string>): string {
  const base = (label.toLowerCase().match(/[a-z0-9]+/)?.[0] ?? 'action').slice(0, 20);
  let slug = base;
  for (let i = 2; Object.hasOwn(taken, slug); i++) slug = `${base}-${i}`;
  return slug;
}
