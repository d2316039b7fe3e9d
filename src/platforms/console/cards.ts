import { randomBytes } from 'node:crypto';
import type { Card } from '../../../cards/model.js';
import { renderText } from '../../../cards/text.js';
import { KeyedSerial } from '../../core/serial.js';
import type { Store } from '../../core/store/store.js';

/** One line of a console chat's history: something a person typed or clicked, or a card the bot posted. */
export type HistoryEntry = { kind: 'said'; user: string; text: string; at: number; click?: boolean } | { kind: 'card'; id: string; at: number };
/** A history entry as the page shows it: cards resolved to their current content. */
export type Shown = Extract<HistoryEntry, { kind: 'said' }> | { kind: 'card'; card: ConsoleCard; at: number };
/** What a reload shows: the newest entries of the room. */
const HISTORY_MAX = 150;
const HISTORY_TTL_MS = 30 * 86_400_000;

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
  readonly #serial = new KeyedSerial();
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Entries waiting for their room's next history write, by room. */
  readonly #pending = new Map<string, { entries: HistoryEntry[]; written: Promise<void> }>();

  /**
   * Appends to a room's history (kept in the store: a reload or a restart shows the conversation).
   * Entries that arrive while a write is running go together in the next one: a busy room costs one
   * read-modify-write per batch, not one per line (1,000 clicks at once were queued behind 2,000
   * one-line rewrites of the same list). Resolves when the entry is written.
   */
  note(chat: string, e: HistoryEntry): Promise<void> {
    const key = `console-history:${chat}`;
    const waiting = this.#pending.get(key);
    if (waiting) {
      waiting.entries.push(e);
      return waiting.written;
    }
    const batch = { entries: [e], written: Promise.resolve() };
    this.#pending.set(key, batch);
    batch.written = this.#serial.run(key, async () => {
      // From here on, new entries start the next batch.
      if (this.#pending.get(key) === batch) this.#pending.delete(key);
      await this.store.updateKv<HistoryEntry[]>(key, (list) => [...(list ?? []), ...batch.entries].slice(-HISTORY_MAX), HISTORY_TTL_MS, this.now());
    });
    return batch.written;
  }

  /** The room's history, oldest first, with each card as it is now (updated cards show their last state). */
  async history(chat: string): Promise<Shown[]> {
    const list = (await this.store.getKv<HistoryEntry[]>(`console-history:${chat}`, this.now())) ?? [];
    const out: Shown[] = [];
    for (const e of list) {
      if (e.kind === 'said') out.push(e);
      else {
        const card = await this.get(e.id);
        if (card) out.push({ kind: 'card', card, at: e.at });
      }
    }
    return out;
  }

  async add(card: Card, user: string, chat: string): Promise<ConsoleCard> {
    const id = `c_${randomBytes(6).toString('base64url')}`;
    const t = this.now();
    const stored = toStored(id, card, { user, chat, createdAt: t, updatedAt: t });
    await this.store.putCard(`console:${id}`, stored, t);
    await this.note(chat, { kind: 'card', id, at: t });
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
