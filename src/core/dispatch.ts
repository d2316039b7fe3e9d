import type { Card } from '../../cards/model.js';
import type { Logger } from '../log.js';
import type { ActionAnswer, CardActionEvent, IncomingMessage, PlatformAdapter } from './adapter.js';
import type { Core } from './core.js';
import type { ClickOutcome } from './router.js';
import type { Store } from './store/store.js';

const THINKING: Card = { title: '🤔 Looking into it… · 正在查询…', tone: 'info', blocks: [{ type: 'markdown', text: 'The answer replaces this card.' }] };

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
  /** Most events being handled at once; beyond it new ones get a short "busy" reply. */
  maxInFlight?: number;
}

/**
 * Between the transports and the core: remembers event ids (in the store, so restarts and replicas
 * share it), runs the slow work after the platform has its acknowledgement, answers clicks within the
 * platform's deadline, and delivers cards — binding approval cards so they update in place.
 */
export class Dispatcher {
  readonly #o: Required<DispatcherOptions>;
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(o: DispatcherOptions) {
    this.#o = { now: Date.now, dedupeTtlMs: 8 * 3_600_000, maxInFlight: 200, ...o };
  }

  /** Claims the event id; true the first time it is seen. */
  async #first(platform: string, eventId: string): Promise<boolean> {
    return this.#o.store.claim(`event:${platform}:${eventId}`, this.#o.dedupeTtlMs, this.#o.now());
  }

  /** A message: deduplicated, then handled in the background. Resolves before the work is done. */
  async message(adapter: PlatformAdapter, ev: IncomingMessage): Promise<'accepted' | 'duplicate' | 'busy'> {
    const log = this.#lazyLog({ platform: adapter.id, eventId: ev.eventId, chatId: ev.chatId });
    if (!(await this.#first(adapter.id, ev.eventId))) {
      log().info('duplicate event ignored');
      return 'duplicate';
    }
    if (this.#inflight.size >= this.#o.maxInFlight) {
      log().warn({ inFlight: this.#inflight.size }, 'overloaded: event answered with a busy reply');
      this.#track(this.deliver(adapter, ev, [{ title: 'opsbot is busy — please try again in a minute', tone: 'warning', blocks: [] }], ev.eventId), log);
      return 'busy';
    }
    this.#track(
      (async () => {
        // An LLM answer takes seconds: show within a second that the bot is on it, then replace that card.
        const thinking = this.#o.core.router.wantsAssistant(ev.text)
          ? await adapter.send({ chatId: ev.chatId, ...(ev.replyTo ? { replyTo: ev.replyTo } : {}) }, THINKING, { idempotencyKey: `${ev.eventId}:thinking` })
          : undefined;
        const cards = await this.#o.core.router.message({ platform: adapter.id, userId: ev.userId, chatId: ev.chatId, text: ev.text });
        if (thinking && cards[0]) {
          const [first, ...rest] = cards;
          await adapter.update(thinking, first);
          if (first.binding) await this.#o.core.approvals.attachCard(first.binding.approvalId, { platform: adapter.id, ref: thinking });
          await this.deliver(adapter, ev, rest, ev.eventId);
        } else await this.deliver(adapter, ev, cards, ev.eventId);
      })(),
      log,
    );
    return 'accepted';
  }

  /**
   * A click, answered within `deadlineMs`: an approval decision updates the clicked card in the
   * answer; a drill-down's result follows as a new message; a refusal is a toast.
   */
  async action(adapter: PlatformAdapter, ev: CardActionEvent, deadlineMs: number): Promise<ActionAnswer> {
    const log = this.#lazyLog({ platform: adapter.id, eventId: ev.eventId, chatId: ev.chatId, kind: 'click' });
    if (!(await this.#first(adapter.id, ev.eventId))) return { toast: { type: 'info', text: 'Already handled' } };
    if (ev.cardRef) adapter.holdUpdates?.(ev.cardRef);
    const work = this.#o.core.router.act({ platform: adapter.id, userId: ev.userId, chatId: ev.chatId, payload: ev.payload });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), deadlineMs)));
    const outcome = await Promise.race([work, late]);
    clearTimeout(timer);
    if (!outcome) {
      this.#track(work.then((o) => this.#afterDeadline(adapter, ev, o)), log);
      return { toast: { type: 'info', text: 'Working on it — the result follows in this chat' } };
    }
    if (outcome.refused) return { toast: { type: 'error', text: outcome.refused } };
    const [card, ...rest] = outcome.cards;
    if (card?.binding) {
      if (rest.length) this.#track(this.deliver(adapter, { chatId: ev.chatId, ...(ev.cardRef ? { replyTo: ev.cardRef } : {}) }, rest, ev.eventId), log);
      return { toast: { type: card.tone === 'danger' ? 'error' : 'success', text: card.title }, card };
    }
    this.#track(this.deliver(adapter, { chatId: ev.chatId, ...(ev.cardRef ? { replyTo: ev.cardRef } : {}) }, outcome.cards, ev.eventId), log);
    return { toast: { type: 'info', text: 'The answer follows in this chat' } };
  }

  async #afterDeadline(adapter: PlatformAdapter, ev: CardActionEvent, o: ClickOutcome): Promise<void> {
    const [card] = o.cards;
    if (card?.binding && ev.cardRef && !o.refused) await adapter.update(ev.cardRef, card);
    else await this.deliver(adapter, { chatId: ev.chatId, ...(ev.cardRef ? { replyTo: ev.cardRef } : {}) }, o.cards, ev.eventId);
    if (ev.cardRef) await adapter.releaseUpdates?.(ev.cardRef);
  }

  /** Sends cards; an approval card is bound to its approval so every later transition updates it. */
  async deliver(adapter: PlatformAdapter, chat: { chatId: string; replyTo?: string }, cards: Card[], key: string): Promise<string[]> {
    const refs: string[] = [];
    for (const [i, card] of cards.entries()) {
      const ref = await adapter.send({ chatId: chat.chatId, ...(chat.replyTo ? { replyTo: chat.replyTo } : {}) }, card, { idempotencyKey: `${key}:${i}` });
      refs.push(ref);
      if (card.binding) await this.#o.core.approvals.attachCard(card.binding.approvalId, { platform: adapter.id, ref });
    }
    return refs;
  }

  /** Resolves when all background work started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
    await this.#o.core.approvals.idle();
  }

  get inFlight(): number {
    return this.#inflight.size;
  }

  /**
   * A child logger made only when something is logged: building one per event (bindings serialised and
   * redacted) was ~6% of the webhook path's CPU.
   */
  #lazyLog(bindings: Record<string, string>): () => Logger {
    let child: Logger | undefined;
    return () => (child ??= this.#o.log.child(bindings));
  }

  #track(p: Promise<unknown>, log: () => Logger): void {
    const q = p.catch((err: unknown) => log().error({ err }, 'event handling failed')).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }
}
