import type { Card } from '../../cards/model.js';
import type { PlatformId } from '../config/policy.js';
import type { Logger } from '../log.js';
import { KeyedSerial } from './serial.js';
import type { Store } from './store/store.js';

/**
 * Updates a card already shown on a platform (in place, or as a new card where the platform cannot
 * update). Returns the successor handle when the old one was consumed (single-use handles).
 */
export interface CardUpdater {
  update(ref: string, card: Card, chatId: string): Promise<string | void>;
}

/** One copy of a live card: where it is shown, and the newest handle to update it. */
export interface CardCopy {
  platform: PlatformId;
  ref: string;
  chatId: string;
}

/** What a live card shows: the subject kind ('approval' now; 'alert', 'report' later) and its id. */
export type Binding = NonNullable<Card['binding']>;

/**
 * Renders a subject as it is now, or undefined when it is gone. The card's `binding.rev` is its version.
 * Given the copy, it renders that copy (a subject shown in several chats binds each copy's buttons to its
 * own chat: alerts); without, the one card every copy shows (approvals live in one chat).
 */
export type SubjectRenderer = (id: string, copy?: CardCopy) => Promise<Card | undefined>;

/** Most copies of one subject's card kept (a card shown in a few chats, replies to /approve …). */
const MAX_COPIES = 20;
/** How long the copies of a subject are remembered: past any approval, alert or report's life. */
const COPIES_TTL_MS = 30 * 86_400_000;

/**
 * Live cards: a card bound to a subject is updated in place, on every platform that shows it, each
 * time the subject changes (design.md §2, "CardBindings"). Taken out of the approval service so that
 * alerts and reports use the same path. Per subject, attaches and refreshes run one at a time (in this
 * process; with several replicas the store's CAS port takes over: issue 14), and the newest handle of
 * every copy is kept.
 */
export class LiveCards {
  readonly #renderers = new Map<string, SubjectRenderer>();
  readonly #chains = new KeyedSerial();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #perCopy = new Set<string>();

  constructor(
    private readonly d: { store: Store; log: Logger; now: () => number; updaters: Map<PlatformId, CardUpdater> },
  ) {}

  /** Declares how to render a subject kind; `perCopy`: each copy is rendered for its own chat. */
  subject(kind: string, render: SubjectRenderer, o: { perCopy?: boolean } = {}): void {
    this.#renderers.set(kind, render);
    if (o.perCopy) this.#perCopy.add(kind);
  }

  /**
   * Remembers a copy of a bound card just posted, and brings it up to date at once if the subject
   * moved on between rendering and posting (an auto-approved change that finished meanwhile).
   */
  attach(binding: Binding, copy: CardCopy): Promise<void> {
    return this.#serial(binding, async () => {
      // Atomic in the store: two replicas attaching copies of one card at once keep both.
      let known = false;
      await this.d.store.updateKv<CardCopy[]>(
        key(binding.subject, binding.id),
        (cur) => {
          const copies = cur ?? [];
          known = copies.some((c) => c.platform === copy.platform && c.ref === copy.ref);
          return known ? copies : [...copies, copy].slice(-MAX_COPIES);
        },
        COPIES_TTL_MS,
        this.d.now(),
      );
      if (known) return;
      const now = await this.#render(binding, copy);
      if (now && now.binding?.rev !== binding.rev) await this.#updateAll(binding, now, [copy]);
    });
  }

  /** Brings every copy of the subject's card up to date (after each transition). Errors are logged. */
  refresh(subject: Binding['subject'], id: string): Promise<void> {
    const binding: Binding = { subject, id, rev: 0 };
    const p = this.#serial(binding, async () => {
      const card = await this.#render(binding);
      if (card) await this.#updateAll(binding, card, await this.copies(subject, id));
      else if (this.#perCopy.has(subject)) await this.#updateAll(binding, undefined, await this.copies(subject, id));
    });
    this.#track(p);
    return p;
  }

  async copies(subject: string, id: string): Promise<CardCopy[]> {
    return (await this.d.store.getKv<CardCopy[]>(key(subject, id), this.d.now())) ?? [];
  }

  /** Resolves when every refresh started so far has finished. */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  async #render(b: Binding, copy?: CardCopy): Promise<Card | undefined> {
    const render = this.#renderers.get(b.subject);
    if (!render) throw new Error(`no renderer for live cards of kind "${b.subject}"`);
    // A per-copy subject is rendered for a copy only (refresh renders each copy in #updateAll).
    if (this.#perCopy.has(b.subject) && !copy) return undefined;
    return render(b.id, copy);
  }

  /** Updates the given copies (rendering each one, for per-copy subjects); a consumed handle's successor replaces it. */
  async #updateAll(b: Binding, shared: Card | undefined, which: CardCopy[]): Promise<void> {
    const moved = new Map<string, string>();
    await Promise.all(
      which.map(async (c) => {
        try {
          const card = shared ?? (await this.#render(b, c));
          if (!card) return;
          const next = await this.d.updaters.get(c.platform)?.update(c.ref, card, c.chatId);
          if (next && next !== c.ref) moved.set(`${c.platform}\u0000${c.ref}`, next);
        } catch (err) {
          this.d.log.warn({ err, subject: b.subject, id: b.id, platform: c.platform }, 'card update failed');
        }
      }),
    );
    if (!moved.size) return;
    await this.d.store.updateKv<CardCopy[]>(key(b.subject, b.id), (all) => (all ?? []).map((c) => ({ ...c, ref: moved.get(`${c.platform}\u0000${c.ref}`) ?? c.ref })), COPIES_TTL_MS, this.d.now());
  }

  #serial<T>(b: Binding, fn: () => Promise<T>): Promise<T> {
    return this.#chains.run(key(b.subject, b.id), fn);
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.d.log.warn({ err }, 'live card refresh failed')).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }
}

function key(subject: string, id: string): string {
  return `live:${subject}:${id}`;
}
