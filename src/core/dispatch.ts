import pLimit, { type LimitFunction } from 'p-limit';
import type { Card } from '../../cards/model.js';
import { withoutButtons } from '../../cards/fallback.js';
import { lazyChild, type Logger } from '../log.js';
import type { ActionAnswer, CardActionEvent, EventSink, IncomingMessage, PlatformAdapter, ReplyHandle, SendTarget } from './adapter.js';
import type { CardUpdater } from './live-cards.js';
import type { Core } from './core.js';
import type { ClickOutcome } from './router.js';
import { type Lang, t } from './i18n.js';
import { PlatformStats } from './health.js';
import { KeyedSerial } from './serial.js';
import type { Store } from './store/store.js';

const thinking = (lang: Lang): Card => ({ title: t(lang, 'dispatch.thinking'), tone: 'info', blocks: [{ type: 'markdown', text: t(lang, 'dispatch.thinking.body') }], lang });
/** Bound of each per-card memory below (handles, lineages, posted states). */
const MAX_REMEMBERED = 5000;

export interface DispatcherOptions {
  core: Core;
  store: Store;
  log: Logger;
  now?: () => number;
  /**
   * How long an event id is remembered. Must outlive the longest platform redelivery window: Feishu
   * retries for about 7.1 h (15 s, 5 min, 1 h, 6 h) even after a 200 (platforms.md §1.1).
   */
  dedupeTtlMs?: number;
  /** Most events accepted at once (running and waiting); beyond it new ones get a short "busy" reply. */
  maxInFlight?: number;
  /**
   * Most events whose work runs at once; the others wait their turn in arrival order. Acknowledgements
   * never wait: they are answered before the work starts, and bounded work leaves the event loop free
   * to answer them (issue: acks queued behind 30 concurrent /pods).
   */
  concurrency?: number;
  /** Each inbound event by platform and how it was taken (/metrics: opsbot_events_total). */
  onEvent?: (platform: string, kind: 'message' | 'click', outcome: 'accepted' | 'duplicate' | 'busy') => void;
}

/** The dedupe claim of one inbound event. */
function eventKey(platform: string, eventId: string): string {
  return `event:${platform}:${eventId}`;
}

/** How long a message's claim holds while its work runs (past the LLM's deadline and the send retries). */
const PROCESSING_CLAIM_MS = 5 * 60_000;

/**
 * Between the transports and the core: remembers event ids (in the store, so restarts and replicas
 * share it), runs the slow work after the platform has its acknowledgement, answers clicks within the
 * platform's deadline, and delivers cards — binding approval cards so they update in place. What it
 * does differently per platform comes from the adapter's declared `caps`, never from its id.
 */
export class Dispatcher {
  readonly #o: Required<DispatcherOptions>;
  readonly #inflight = new Set<Promise<unknown>>();
  /** The events' work: `concurrency` at a time, the rest queued (/metrics: opsbot_work_running, opsbot_work_queued). */
  readonly #work: LimitFunction;
  #shed = 0;
  /** Per card (keyed by its first handle): the newest handle, and the chain that keeps its updates in order. */
  readonly #successor = new Map<string, string>();
  /** Each later handle → the card's first handle. */
  readonly #roots = new Map<string, string>();
  readonly #chains = new KeyedSerial();
  /** Where cards cannot be updated: what was last posted per handle, so an unchanged state is not posted twice. */
  readonly #posted = new Map<string, string>();
  /** Events in and cards out per platform, for the console's status page. */
  readonly stats: PlatformStats;

  constructor(o: DispatcherOptions) {
    this.#o = { now: Date.now, dedupeTtlMs: 8 * 3_600_000, maxInFlight: 200, concurrency: 16, onEvent: () => undefined, ...o };
    this.#work = pLimit(this.#o.concurrency);
    this.stats = new PlatformStats(this.#o.now);
  }

  /** What a transport of this adapter (HTTP route or long connection) hands its events to. */
  sink(adapter: PlatformAdapter): EventSink {
    return {
      message: async (ev) => void (await this.message(adapter, ev)),
      action: (ev) => this.action(adapter, ev),
    };
  }

  /** Registers the adapter for in-place updates of live cards (approvals now; alerts later). */
  register(adapter: PlatformAdapter): void {
    const updater: CardUpdater = { update: (ref, card, chatId) => this.update(adapter, ref, card, chatId) };
    this.#o.core.updaters.set(adapter.id, updater);
    this.#o.core.notifier.register(adapter.id, (chatId, card, key) => this.deliver(adapter, { chatId }, [card], key));
    if (adapter.remind && adapter.caps.urgent?.length) this.#o.core.notifier.registerReminder(adapter.id, adapter.caps.urgent, (r) => (adapter.remind as NonNullable<typeof adapter.remind>).call(adapter, r));
  }

  /** Claims the event id; true the first time it is seen. */
  async #first(platform: string, eventId: string, ttlMs = this.#o.dedupeTtlMs): Promise<boolean> {
    return this.#o.store.claim(eventKey(platform, eventId), ttlMs, this.#o.now());
  }

  /**
   * A message: deduplicated, then handled in the background. Resolves before the work is done;
   * `done` resolves with the handles of the cards posted (the console waits for it; platforms do not).
   */
  async message(adapter: PlatformAdapter, ev: IncomingMessage): Promise<{ status: 'accepted' | 'duplicate' | 'busy'; done: Promise<string[]> }> {
    const log = lazyChild(this.#o.log, { platform: adapter.id, eventId: ev.eventId, chatId: ev.chatId });
    this.stats.event(adapter.id);
    // Delivery semantics (at least once, answered once): the event is claimed for the time its work may
    // take; done, the claim is kept for the dedupe window; failed (the reply could not be sent), it is
    // released, so the platform's redelivery is handled instead of ignored; and after a crash mid-work
    // the short claim lapses, so a later redelivery gets its answer. A change is never run twice either
    // way: a repeated request is a second approval card, and executions are guarded by the approval's CAS.
    const claimKey = eventKey(adapter.id, ev.eventId);
    if (!(await this.#first(adapter.id, ev.eventId, Math.min(PROCESSING_CLAIM_MS, this.#o.dedupeTtlMs)))) {
      log.info('duplicate event ignored');
      this.#o.onEvent(adapter.id, 'message', 'duplicate');
      return { status: 'duplicate', done: Promise.resolve([]) };
    }
    const to = new Reply(ev.chatId, ev.replyTo, adapter.caps.replyOnce, this.#o.now);
    const router = this.#o.core.router;
    if (this.#inflight.size >= this.#o.maxInFlight) {
      this.#shed++;
      this.#o.onEvent(adapter.id, 'message', 'busy');
      log.warn({ inFlight: this.#inflight.size, running: this.#work.activeCount, queued: this.#work.pendingCount }, 'overloaded: event answered with a busy reply');
      const lang = router.langOf(adapter.id, ev.userId, ev.text);
      return { status: 'busy', done: this.#track(this.deliver(adapter, to, [{ title: t(lang, 'dispatch.busy'), tone: 'warning', blocks: [], lang }], ev.eventId), log) };
    }
    const work = async (): Promise<string[]> => {
      // An LLM answer takes seconds: show within a second that the bot is on it, then replace that
      // card — only where a card can be replaced later, and the reply handle can be used twice.
      const waiting = !postsNewCards(adapter) && !adapter.caps.replyOnce && router.wantsAssistant(ev.text) ? await this.stats.send(adapter.id, () => adapter.send(to.next(), thinking(router.langOf(adapter.id, ev.userId, ev.text)), { idempotencyKey: `${ev.eventId}:thinking` })) : undefined;
      const cards = await router.message({ platform: adapter.id, userId: ev.userId, chatId: ev.chatId, text: ev.text });
      if (!waiting || !cards[0]) return this.deliver(adapter, to, cards, ev.eventId);
      const [first, ...rest] = cards;
      const ref = await this.update(adapter, waiting, first, ev.chatId);
      if (first.binding) await this.#o.core.live.attach(first.binding, { platform: adapter.id, ref, chatId: ev.chatId });
      return [ref, ...(await this.deliver(adapter, to, rest, ev.eventId))];
    };
    const settled = this.#work(work).then(
      async (refs) => {
        await this.#o.store.extendClaim(claimKey, this.#o.dedupeTtlMs, this.#o.now());
        return refs;
      },
      async (err: unknown) => {
        await this.#o.store.releaseClaim(claimKey).catch(() => undefined);
        log.warn({ reason: (err as Error)?.message ?? String(err) }, 'the reply could not be delivered; the event is released so a redelivery is answered');
        throw err;
      },
    );
    this.#o.onEvent(adapter.id, 'message', 'accepted');
    return { status: 'accepted', done: this.#track(settled, log) };
  }

  /**
   * A click, answered within the platform's ack deadline: an approval decision updates the clicked
   * card in the answer; a drill-down's result follows as a new message; a refusal is a toast, or a
   * message where the platform has no toast. `delivered` resolves with the handles of the cards
   * posted because of the click (the console waits for it).
   */
  async action(adapter: PlatformAdapter, ev: CardActionEvent): Promise<ActionAnswer & { delivered: Promise<string[]> }> {
    const log = lazyChild(this.#o.log, { platform: adapter.id, eventId: ev.eventId, chatId: ev.chatId, kind: 'click' });
    const none = Promise.resolve([]);
    const lang = this.#o.core.router.langOf(adapter.id, ev.userId);
    this.stats.event(adapter.id);
    if (!(await this.#first(adapter.id, ev.eventId))) {
      this.#o.onEvent(adapter.id, 'click', 'duplicate');
      return { toast: { type: 'info', text: t(lang, 'dispatch.handled') }, delivered: none };
    }
    this.#o.onEvent(adapter.id, 'click', 'accepted');
    const work = this.#o.core.router.act({ platform: adapter.id, userId: ev.userId, chatId: ev.chatId, payload: ev.payload });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), adapter.caps.ackDeadlineMs)));
    const outcome = await Promise.race([work, late]);
    clearTimeout(timer);
    const to = this.#clickTarget(adapter, ev);
    if (!outcome) {
      return { toast: { type: 'info', text: t(lang, 'dispatch.working') }, delivered: this.#track(work.then((o) => this.#afterDeadline(adapter, ev, o)), log) };
    }
    if (outcome.refused) {
      return { toast: { type: 'error', text: outcome.refused }, delivered: adapter.caps.toast ? none : this.#track(this.deliver(adapter, to, outcome.cards, ev.eventId), log) };
    }
    const [card, ...rest] = outcome.cards;
    // The clicked card's next state answers in place; a card a click brings (an approval requested from
    // an alert card, a drill-down's result) is posted as a new one.
    if (card?.binding && !outcome.fresh && adapter.caps.cardUpdate !== 'never') {
      const delivered = rest.length ? this.#track(this.deliver(adapter, to, rest, ev.eventId), log) : none;
      return { toast: { type: card.tone === 'danger' ? 'error' : 'success', text: card.title }, card: await this.#fit(adapter, card), delivered };
    }
    return { toast: { type: 'info', text: t(lang, 'dispatch.follows') }, delivered: this.#track(this.deliver(adapter, to, outcome.cards, ev.eventId), log) };
  }

  async #afterDeadline(adapter: PlatformAdapter, ev: CardActionEvent, o: ClickOutcome): Promise<string[]> {
    const [card] = o.cards;
    if (card?.binding && ev.cardRef && !o.refused && !o.fresh) return [await this.update(adapter, ev.cardRef, card, ev.chatId)];
    return this.deliver(adapter, this.#clickTarget(adapter, ev), o.cards, ev.eventId);
  }

  /** Results of a click go to its chat: with the click's own reply handle, else as a reply to the clicked card. */
  #clickTarget(adapter: PlatformAdapter, ev: CardActionEvent): Reply {
    const handle = ev.replyTo ?? (ev.cardRef ? { ref: ev.cardRef } : undefined);
    return new Reply(ev.chatId, handle, adapter.caps.replyOnce, this.#o.now);
  }

  /** Sends cards; an approval card is bound to its approval so every later transition updates it. */
  async deliver(adapter: PlatformAdapter, dest: SendTarget | Reply, cards: Card[], key: string): Promise<string[]> {
    const refs: string[] = [];
    for (const [i, card] of cards.entries()) {
      const fitted = await this.#fit(adapter, card);
      const to = dest instanceof Reply ? dest.next() : dest;
      const ref = await this.stats.send(adapter.id, () => adapter.send(to, fitted, { idempotencyKey: `${key}:${i}` }));
      if (postsNewCards(adapter)) {
        const text = JSON.stringify(fitted);
        this.#remember(this.#posted, this.#rootOf(adapter, ref), text);
        this.#remember(this.#posted, `${adapter.id}\u0000${to.chatId}\u0000${text}`, '');
      }
      refs.push(ref);
      if (card.binding) await this.#o.core.live.attach(card.binding, { platform: adapter.id, ref, chatId: to.chatId });
    }
    return refs;
  }

  /**
   * Brings a card already shown up to date and returns its newest handle. Updates of one card run in
   * order and always use the newest handle (single-use handles are consumed by each update); where
   * the platform cannot update, the new state is posted as a new card.
   */
  async update(adapter: PlatformAdapter, ref: string, card: Card, chatId: string): Promise<string> {
    // Every handle of one card's lineage maps to the first: one chain, one newest handle.
    const key = this.#rootOf(adapter, ref);
    const run = async (): Promise<string> => {
      const current = this.#successor.get(key) ?? ref;
      if (postsNewCards(adapter)) {
        const fitted = await this.#fit(adapter, card);
        const text = JSON.stringify(fitted);
        // Two copies of one card in a chat (the request's and an /approve reply's) post a state once.
        const inChat = `${adapter.id}\u0000${chatId}\u0000${text}`;
        if (this.#posted.get(key) === text || this.#posted.has(inChat)) return current;
        this.#remember(this.#posted, inChat, text);
        const posted = await this.stats.send(adapter.id, () => adapter.send({ chatId }, fitted));
        this.#remember(this.#posted, key, text);
        this.#link(adapter, key, posted);
        return posted;
      }
      const fitted = await this.#fit(adapter, card);
      const next = (await this.stats.send(adapter.id, () => adapter.update(current, fitted))) || current;
      if (next !== current) this.#link(adapter, key, next);
      return next;
    };
    return this.#chains.run(key, run);
  }

  /** The key of the card a handle belongs to: its first handle. */
  #rootOf(adapter: PlatformAdapter, ref: string): string {
    const k = `${adapter.id}\u0000${ref}`;
    return this.#roots.get(k) ?? k;
  }

  /** Records `handle` as the newest of the lineage that starts at `root`. */
  #link(adapter: PlatformAdapter, root: string, handle: string): void {
    this.#remember(this.#successor, root, handle);
    this.#remember(this.#roots, `${adapter.id}\u0000${handle}`, root);
  }

  #remember(m: Map<string, string>, k: string, v: string): void {
    m.delete(k);
    m.set(k, v);
    if (m.size > MAX_REMEMBERED) m.delete(m.keys().next().value as string);
  }

  /**
   * The card as this platform gets it: buttons carry short ids (their signed payloads stay in the
   * store), or, where clicks cannot arrive, no buttons and the commands to type instead.
   */
  #fit(adapter: PlatformAdapter, card: Card): Promise<Card> {
    return adapter.caps.buttons ? this.#o.core.actions.shorten(card) : Promise.resolve(withoutButtons(card));
  }

  /** Resolves when all background work started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
      await this.#o.core.approvals.idle();
      await this.#o.core.live.idle();
      await this.#o.core.alerts.idle();
      await this.#o.core.reports.idle();
      await this.#o.core.notifier.idle();
      await this.#chains.idle();
      if (!this.#inflight.size) return;
    }
  }

  get inFlight(): number {
    return this.#inflight.size;
  }

  /** Events whose work runs now, waits its turn, and was refused with a busy reply since the start. */
  workStats(): { running: number; queued: number; shed: number } {
    return { running: this.#work.activeCount, queued: this.#work.pendingCount, shed: this.#shed };
  }

  /** Tracks background work; the returned promise never rejects (a failure is logged, and yields no cards). */
  #track(p: Promise<string[]>, log: Logger): Promise<string[]> {
    const q: Promise<string[]> = p
      .catch((err: unknown) => {
        log.error({ err }, 'event handling failed');
        return [];
      })
      .finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
    return q;
  }
}

/** Where a shown card cannot be changed later, each new state is posted as a new card. */
function postsNewCards(adapter: PlatformAdapter): boolean {
  return adapter.caps.cardUpdate === 'never' || adapter.caps.cardUpdate === 'in-callback';
}

/** Handles this close to their expiry are not used: the request would arrive too late. */
const REPLY_MARGIN_MS = 5000;

/**
 * The answers to one event: each card goes out with the event's reply handle while it is usable (not
 * expired; not yet used where handles are single-use), then to the chat itself.
 */
export class Reply {
  #used = false;
  constructor(
    readonly chatId: string,
    readonly handle: ReplyHandle | undefined,
    readonly once: boolean,
    readonly now: () => number,
  ) {}

  next(): SendTarget {
    const h = this.handle;
    const usable = h && !(this.once && this.#used) && (h.expiresAt === undefined || this.now() < h.expiresAt - REPLY_MARGIN_MS);
    if (!usable) return { chatId: this.chatId };
    this.#used = true;
    return { chatId: this.chatId, replyTo: h.ref };
  }
}
