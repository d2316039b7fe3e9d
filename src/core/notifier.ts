import { randomUUID } from 'node:crypto';
import type { Card } from '../../cards/model.js';
import type { PlatformId, Policy } from '../config/policy.js';
import type { UrgentLevel, UrgentRequest } from './adapter.js';
import type { Logger } from '../log.js';
import type { Audit } from './audit.js';
import { OpsError, UsageError } from './errors.js';
import { msg } from './i18n.js';
import { Outbound } from './outbound.js';
import { KeyedSerial } from './serial.js';
import type { Store } from './store/store.js';

/** Posts cards to one chat of one platform; registered by the dispatcher for every adapter. */
export type Poster = (chatId: string, card: Card, key: string) => Promise<string[]>;

export interface NotifyTarget {
  /** The policy's name for it, or `platform:chat` for an ad-hoc one. */
  name: string;
  platform: PlatformId;
  chatId: string;
}

export type NotifyResult = { ok: true; target: NotifyTarget; refs: string[]; ms: number } | { ok: false; target: NotifyTarget; reason: string; ms: number };

/** How long a post that could not be delivered is kept in the store, for a human to look at. */
const DEAD_LETTER_TTL_MS = 7 * 86_400_000;
/** Dead letters listed on the status page (the newest). */
const MAX_DEAD_LISTED = 100;

/** A notification that could not be delivered, as the status page lists it. */
export interface DeadLetter {
  key: string;
  at: number;
  target: string;
  platform: string;
  title: string;
  reason: string;
  /** The card was rendered and kept: Retry can post it again. */
  retryable: boolean;
}

/**
 * Posts a card without a triggering message (alerts, reports, /notify-test), as the system actor the
 * policy names (`notify.actor`). Every post goes through one outbound queue: one at a time per target
 * in order, at most 5 per second per target, bounded overall, each attempt with a timeout. Retries of
 * transient platform failures (429, 5xx, rate-limit codes, with their reset hints) happen in the
 * adapter's own client; what still fails is a dead letter: audited (`dead-letter`, with the reason)
 * and kept in the store with the card for 7 days. Nothing is dropped silently.
 */
export type Reminder = (r: UrgentRequest) => Promise<{ failed: string[] }>;

export class Notifier {
  readonly #posters = new Map<string, Poster>();
  readonly #reminders = new Map<string, { levels: readonly UrgentLevel[]; remind: Reminder }>();
  readonly #queue: Outbound;

  constructor(private readonly d: { policy: Policy; audit: Audit; store: Store; log: Logger; now: () => number }) {
    this.#queue = new Outbound({ log: d.log, perKey: { cap: 5, intervalMs: 1000 }, attempts: 1, timeoutMs: 60_000, concurrency: 8 });
  }

  register(platform: PlatformId, poster: Poster): void {
    this.#posters.set(platform, poster);
  }

  /** A platform that can ring people urgently (caps.urgent) registers how. */
  registerReminder(platform: PlatformId, levels: readonly UrgentLevel[], remind: Reminder): void {
    if (levels.length) this.#reminders.set(platform, { levels, remind });
  }

  /** The levels a platform can ring with (empty: none). */
  urgentLevels(platform: PlatformId): readonly UrgentLevel[] {
    return this.#reminders.get(platform)?.levels ?? [];
  }

  /** Rings people urgently on a platform; audited; never throws (the failure is returned). */
  async remind(platform: PlatformId, r: UrgentRequest, actor = this.d.policy.notify.actor): Promise<{ ok: boolean; failed: string[]; reason?: string }> {
    const rem = this.#reminders.get(platform);
    try {
      if (!rem || !rem.levels.includes(r.level)) throw new OpsError('unsupported', `${platform} cannot ring by ${r.level}`);
      const out = await rem.remind(r);
      await this.d.audit.record({ kind: 'urgent', actor, platform, chatId: '-', outcome: out.failed.length ? 'failed' : 'ok', reason: `${r.level} → ${r.userIds.join(', ')}${out.failed.length ? ` (not reached: ${out.failed.join(', ')})` : ''}`.slice(0, 300) });
      return { ok: !out.failed.length, failed: out.failed };
    } catch (err) {
      const reason = err instanceof OpsError ? err.userMessage : (err as Error).message;
      await this.d.audit.record({ kind: 'urgent', actor, platform, chatId: '-', outcome: 'failed', reason: `${r.level} → ${r.userIds.join(', ')}: ${reason}`.slice(0, 300) });
      return { ok: false, failed: r.userIds, reason };
    }
  }

  /** The policy's targets, by name. */
  get targets(): Record<string, { platform: string; chat: string; description?: string }> {
    return this.d.policy.notify.targets;
  }

  /** A policy target by name. Throws UsageError (listing the names) for an unknown one. */
  target(name: string): NotifyTarget {
    const t = this.targets[name];
    if (!t) {
      const names = Object.keys(this.targets);
      throw new UsageError(names.length ? msg('notify.unknown', { name, names: names.join(', ') }) : msg('notify.none', { name }), msg('notify.hint'));
    }
    return { name, platform: t.platform, chatId: t.chat };
  }

  /**
   * Posts `card` to the target; never throws: a failure is returned, audited and kept as a dead letter.
   * `card` may be a function rendering it when its turn in the target's queue comes: a storm queues
   * ids rather than thousands of rendered cards, and each card shows its subject as it is when sent.
   */
  async post(to: string | NotifyTarget, cardOrRender: Card | (() => Promise<Card>), o: { key?: string; actor?: string } = {}): Promise<NotifyResult> {
    const started = this.d.now();
    const target = typeof to === 'string' ? this.target(to) : to;
    const actor = o.actor ?? this.d.policy.notify.actor;
    const key = `notify:${o.key ?? randomUUID()}`;
    let card: Card | undefined = typeof cardOrRender === 'function' ? undefined : cardOrRender;
    try {
      const poster = this.#posters.get(target.platform);
      if (!poster) throw new OpsError('platform_off', msg('notify.off', { platform: target.platform }));
      const refs = await this.#queue.run(`${target.platform}\u0000${target.chatId}`, `notify ${target.name}`, async () => {
        card ??= await (cardOrRender as () => Promise<Card>)();
        return poster(target.chatId, card, key);
      });
      const ms = this.d.now() - started;
      await this.d.audit.record({ kind: 'notify', actor, platform: target.platform, chatId: target.chatId, outcome: 'ok', reason: `${target.name}: ${card?.title ?? ''}`.slice(0, 300), durationMs: ms });
      return { ok: true, target, refs, ms };
    } catch (err) {
      const reason = err instanceof OpsError ? err.userMessage : (err as Error)?.message?.slice(0, 300) || 'unknown error';
      const ms = this.d.now() - started;
      this.d.log.warn({ target: target.name, platform: target.platform, reason }, 'notification could not be delivered (dead letter)');
      await this.d.audit.record({ kind: 'dead-letter', actor, platform: target.platform, chatId: target.chatId, outcome: 'failed', reason: `${target.name}: ${card?.title ?? o.key ?? ''}: ${reason}`.slice(0, 500), durationMs: ms });
      try {
        await this.d.store.putKv(`dead-letter:${key}`, { target, ...(card ? { card } : {}), reason, at: this.d.now() }, DEAD_LETTER_TTL_MS, this.d.now());
        await this.#index((list) => [...list.filter((d) => d.key !== key), { key, at: this.d.now(), target: target.name, platform: target.platform, title: card?.title ?? '', reason: reason.slice(0, 300), retryable: Boolean(card) }].slice(-MAX_DEAD_LISTED));
      } catch (e) {
        this.d.log.error({ err: e }, 'dead letter could not be stored');
      }
      return { ok: false, target, reason, ms };
    }
  }

  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  readonly #deadSerial = new KeyedSerial();

  #index(f: (list: DeadLetter[]) => DeadLetter[]): Promise<void> {
    return this.#deadSerial.run('dead-letters', async () => {
      const now = this.d.now();
      // Atomic in the store (replicas share the index).
      await this.d.store.updateKv<DeadLetter[]>('dead-letters', (cur) => f((cur ?? []).filter((d) => d.at > now - DEAD_LETTER_TTL_MS)), DEAD_LETTER_TTL_MS, now);
    });
  }

  /** Notifications that could not be delivered (newest last), kept 7 days, for the status page. */
  async deadLetters(): Promise<DeadLetter[]> {
    const now = this.d.now();
    return ((await this.d.store.getKv<DeadLetter[]>('dead-letters', now)) ?? []).filter((d) => d.at > now - DEAD_LETTER_TTL_MS);
  }

  /**
   * Posts a dead letter again (an approver's "Retry" on the status page): through the same queue, audited;
   * delivered, it leaves the list; failed again, it stays with the new reason.
   */
  async retry(key: string, actor: string): Promise<NotifyResult> {
    const d = await this.d.store.getKv<{ target: NotifyTarget; card?: Card; reason: string }>(`dead-letter:${key}`, this.d.now());
    if (!d) throw new UsageError(msg('notify.deadGone', { key }));
    if (!d.card) throw new UsageError(msg('notify.deadNoCard', { key }));
    await this.d.audit.record({ kind: 'dead-letter-retry', actor, platform: d.target.platform, chatId: d.target.chatId, outcome: 'ok', reason: `${d.target.name}: ${d.card.title}`.slice(0, 300) });
    const r = await this.post(d.target, d.card, { key: key.replace(/^notify:/, ''), actor });
    if (r.ok) {
      await this.d.store.deleteKv(`dead-letter:${key}`);
      await this.#index((list) => list.filter((x) => x.key !== key));
    }
    return r;
  }

  /** The outbound queue of notifications (alerts, reports): waiting, being sent, chats. */
  queueStats(): { queued: number; running: number; keys: number } {
    return this.#queue.stats();
  }
}
