import { createHash } from 'node:crypto';
import { alertCard, workloadOf } from '../../../cards/alert.js';
import type { Button, Card } from '../../../cards/model.js';
import { paramsFromAlert, type Runbooks } from '../runbooks/runbook.js';
import type { Level, Policy } from '../../config/policy.js';
import type { Logger } from '../../log.js';
import type { Audit } from '../audit.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { type Lang, msg, t } from '../i18n.js';
import type { CardCopy, LiveCards } from '../live-cards.js';
import type { Notifier } from '../notifier.js';
import { chatKey, type PayloadSigner } from '../payload.js';
import type { Router } from '../router.js';
import { KeyedSerial } from '../serial.js';
import type { Store } from '../store/store.js';
import { dateTime, spansZones } from '../time.js';
import { type Matcher, matches, parseMatcher } from './matchers.js';
import { onCall } from './oncall.js';
import type { WebhookPayload } from './payload.js';
import type { AlertGroup, AlertState } from './types.js';

/** What each level does unless the policy says otherwise (the teams we serve: P0 5 min, P1 15 min to ack). */
export const DEFAULT_LEVELS: Record<Level, { mention: 'all' | 'oncall' | 'none'; post: boolean; escalateAfter?: number }> = {
  P0: { mention: 'all', post: true, escalateAfter: 5 * 60_000 },
  P1: { mention: 'oncall', post: true, escalateAfter: 15 * 60_000 },
  P2: { mention: 'none', post: true },
  P3: { mention: 'none', post: false },
};
const RANK: Record<Level, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
/** Alerts of a group kept by fingerprint (the count covers all of them). */
const MAX_ALERTS = 200;
const GROUP_TTL_MS = 30 * 86_400_000;

export interface AlertServiceDeps {
  store: Store;
  policy: Policy;
  live: LiveCards;
  notifier: Notifier;
  signer: PayloadSigner;
  audit: Audit;
  router: Router;
  log: Logger;
  now: () => number;
  /** Alertmanager's API is configured: cards offer "Silence 1h" (a /silence request, approved like any change). */
  silences?: boolean;
  /** The runbooks: an alert whose `runbook` annotation names one gets a "Run <runbook>" button. */
  runbooks?: Runbooks;
  /** A group that was firing has resolved (postmortems): called once per resolution, not awaited by the webhook. */
  onResolved?: (g: AlertGroup) => Promise<void>;
}

export interface IngestResult {
  id: string;
  status: AlertGroup['status'];
  level: Level;
  targets: string[];
  /** Posts queued (delivery follows, paced by each target's limit). */
  posted: number;
  updated: boolean;
}

/**
 * Alertmanager groups → one live card per group and target (platforms, console, send-only robots):
 * severity from the policy's label map, routes by matchers (first match unless `continue`), mentions by
 * level on the first post, the same card updated on every later notification and on resolve, an Ack
 * button that records who and stops re-notification. Deduplicated in the store by group (and a claim per
 * group and target), so a restart or a second replica never posts the same group twice.
 */
export class AlertService {
  readonly #d: AlertServiceDeps;
  readonly #routes: { matchers: Matcher[]; targets: string[]; continue: boolean; escalate: string[] }[];
  readonly #serial = new KeyedSerial();

  constructor(d: AlertServiceDeps) {
    this.#d = d;
    this.#routes = d.policy.alerts.routes.map((r) => ({ matchers: r.matchers.map(parseMatcher), targets: r.targets, continue: r.continue, escalate: r.escalate }));
    d.live.subject('alert', (id, copy) => this.#render(id, copy), { perCopy: true });
    d.router.onAction('x-alert-ack', async (p, at) => {
      const id = String((p as { id?: unknown }).id ?? '');
      const g = await this.ack(id, { personId: at.person.id, name: at.person.name }, { platform: at.at.platform, chatId: at.at.chatId });
      const copy = { platform: at.at.platform, chatId: at.at.chatId, ref: '' };
      return { command: 'alert-ack', cards: [this.card(g, at.ctx.lang, copy)] };
    });
  }

  level(labels: Readonly<Record<string, string>>): Level {
    const s = this.#d.policy.alerts.severity;
    return s.map[labels[s.label] ?? ''] ?? s.default;
  }

  levelRule(level: Level): { mention: 'all' | 'oncall' | 'none'; post: boolean; escalateAfter?: number } {
    return { ...DEFAULT_LEVELS[level], ...(this.#d.policy.alerts.levels[level] ?? {}) };
  }

  /** The notify targets an alert with these labels goes to, in route order. */
  route(labels: Readonly<Record<string, string>>): string[] {
    return this.#match(labels).targets;
  }

  #match(labels: Readonly<Record<string, string>>): { targets: string[]; escalate: string[] } {
    const out = { targets: [] as string[], escalate: [] as string[] };
    for (const r of this.#routes) {
      if (!matches(r.matchers, labels)) continue;
      for (const t of r.targets) if (!out.targets.includes(t)) out.targets.push(t);
      for (const p of r.escalate) if (!out.escalate.includes(p)) out.escalate.push(p);
      if (!r.continue) break;
    }
    return out;
  }

  async get(id: string): Promise<AlertGroup | undefined> {
    return this.#d.store.getKv<AlertGroup>(`alert:${id}`, this.#d.now());
  }

  /** One webhook notification: the group recorded, then posted to new targets or updated where shown. */
  async ingest(p: WebhookPayload): Promise<IngestResult> {
    const id = groupId(p.receiver, p.groupKey);
    const now = this.#d.now();
    let wasFiring = false;
    const g = await this.#serial.run(id, async () => {
      const prev = await this.get(id);
      wasFiring = prev?.status === 'firing';
      const labels = { ...p.groupLabels, ...p.commonLabels };
      const routed = this.#match(labels);
      const alerts: Record<string, AlertState> = {};
      let level: Level = this.level(labels);
      for (const a of p.alerts) {
        const l = this.level({ ...labels, ...a.labels });
        if (RANK[l] < RANK[level]) level = l;
        if (Object.keys(alerts).length >= MAX_ALERTS) continue;
        const own = Object.fromEntries(Object.entries(a.labels).filter(([k, v]) => labels[k] !== v).slice(0, 8));
        alerts[a.fingerprint] = { status: a.status, startsAt: time(a.startsAt) ?? now, ...(time(a.endsAt) ? { endsAt: time(a.endsAt) as number } : {}), labels: own, ...(a.annotations['summary'] ? { summary: a.annotations['summary'].slice(0, 200) } : {}) };
      }
      const firing = p.alerts.filter((a) => a.status === 'firing').length;
      const starts = p.alerts.map((a) => time(a.startsAt)).filter((x): x is number => x !== undefined);
      const next: AlertGroup = {
        id,
        groupKey: p.groupKey,
        receiver: p.receiver,
        status: p.status,
        level,
        labels,
        annotations: { ...(prev?.annotations ?? {}), ...p.commonAnnotations, ...(p.alerts[0]?.annotations ?? {}) },
        alerts,
        count: { firing, total: p.alerts.length + p.truncatedAlerts },
        ...(p.externalURL ? { externalURL: p.externalURL } : {}),
        firstAt: Math.min(prev?.firstAt ?? Infinity, ...starts, now),
        updatedAt: now,
        ...(p.status === 'resolved' ? { resolvedAt: prev?.resolvedAt ?? now } : {}),
        ...(prev?.ack && p.status === 'firing' ? { ack: prev.ack } : prev?.ack && p.status === 'resolved' ? { ack: prev.ack } : {}),
        targets: [...new Set([...(prev?.targets ?? []), ...routed.targets])],
        escalate: [...new Set([...(prev?.escalate ?? []), ...routed.escalate])],
        ...(prev?.notifiedAt ? { notifiedAt: prev.notifiedAt } : {}),
        escalations: prev?.escalations ?? [],
        rev: (prev?.rev ?? 0) + 1,
      };
      await this.#d.store.putKv(`alert:${id}`, next, GROUP_TTL_MS, now);
      if (!prev) await this.#index(id);
      return next;
    });
    if (g.status === 'resolved' && wasFiring && this.#d.onResolved) this.#track(this.#d.onResolved(g));
    if (!g.targets.length) {
      await this.#d.audit.record({ kind: 'alert', actor: 'alertmanager', platform: '-', chatId: '-', outcome: 'failed', reason: `${g.labels['alertname'] ?? id}: no alert route matches (policy alerts.routes)` });
      this.#d.log.warn({ alert: id, labels: g.labels }, 'alert group matches no route');
      return { id, status: g.status, level: g.level, targets: [], posted: 0, updated: false };
    }
    const rule = this.levelRule(g.level);
    let queued = 0;
    let updated = false;
    const posts: Promise<boolean>[] = [];
    for (const name of g.targets) {
      // One post per group and target, whatever restarts or replicas: the claim is the store's.
      if (!(await this.#d.store.claim(`alert-post:${id}:${name}`, GROUP_TTL_MS, now))) {
        updated = true;
        continue;
      }
      if (!rule.post) continue;
      const target = this.#d.notifier.target(name);
      // Queued, not awaited: a storm of groups to one chat is paced by the target's limit, and
      // Alertmanager is answered at once. The card is rendered when its turn comes (the group as it is
      // then: counts, resolved, acked; the queue holds ids, not cards). A failed post is a dead letter.
      const render = async (): Promise<Card> => {
        const cur = await this.get(id);
        if (!cur) throw new NotFoundError(msg('alert.err.gone', { id }));
        // Resolved before its turn: shown, but nobody is woken for it.
        const mentions = cur.status === 'firing' ? this.#mentions(rule.mention, target.platform) : undefined;
        return this.card(cur, this.#d.policy.language, { platform: target.platform, chatId: target.chatId, ref: '' }, mentions);
      };
      posts.push(this.#d.notifier.post(target, render, { key: `alert:${id}:${name}`, actor: 'alertmanager' }).then((r) => r.ok));
      queued++;
    }
    if (posts.length) {
      this.#track(
        Promise.all(posts).then(async (oks) => {
          if (oks.some(Boolean)) await this.#update(id, (cur) => (cur.notifiedAt ? undefined : { ...cur, notifiedAt: this.#d.now() }));
        }),
      );
    }
    if (updated) this.#track(this.#d.live.refresh('alert', id));
    await this.#d.audit.record({ kind: 'alert', actor: 'alertmanager', platform: '-', chatId: '-', outcome: 'ok', reason: `${g.level} ${g.labels['alertname'] ?? id} ${g.status} → ${g.targets.join(', ')}`.slice(0, 300) });
    return { id, status: g.status, level: g.level, targets: g.targets, posted: queued, updated };
  }

  readonly #inflight = new Set<Promise<unknown>>();

  #track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.#d.log.warn({ err }, 'alert delivery failed')).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }

  /** Resolves when the posts and card updates started so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
    // New groups not yet in the stored index go in now (a stop would otherwise drop the last second's).
    if (this.#flush) {
      clearTimeout(this.#flush);
      this.#flush = undefined;
      await this.#writeIndex();
    }
  }

  /** Ack: records who, updates every copy of the card, stops re-notification and escalation. */
  async ack(id: string, by: { personId: string; name: string }, where: { platform: string; chatId: string }): Promise<AlertGroup> {
    const now = this.#d.now();
    const g = await this.#serial.run(id, async () => {
      const cur = await this.get(id);
      if (!cur) throw new NotFoundError(msg('alert.err.gone', { id }));
      if (cur.status === 'resolved') throw new ConflictError(msg('alert.err.resolved', { id }));
      if (cur.ack) throw new ConflictError(msg('alert.err.acked', { id, name: cur.ack.name, at: dateTime(cur.ack.at, this.#d.policy.timezone, spansZones(this.#d.policy)) }));
      const next: AlertGroup = { ...cur, ack: { ...by, at: now }, rev: cur.rev + 1, updatedAt: now };
      await this.#d.store.putKv(`alert:${id}`, next, GROUP_TTL_MS, now);
      return next;
    });
    await this.#d.audit.record({ kind: 'alert-ack', actor: by.personId, platform: where.platform, chatId: where.chatId, outcome: 'ok', reason: `${g.level} ${g.labels['alertname'] ?? id}` });
    await this.#d.live.refresh('alert', id);
    return g;
  }

  /** Changes a stored group under its lock (rev moves on). */
  async #update(id: string, f: (g: AlertGroup) => AlertGroup | undefined): Promise<AlertGroup | undefined> {
    return this.#serial.run(id, async () => {
      const cur = await this.get(id);
      if (!cur) return undefined;
      const next = f(cur);
      if (!next) return cur;
      const done = { ...next, rev: cur.rev + 1, updatedAt: this.#d.now() };
      await this.#d.store.putKv(`alert:${id}`, done, GROUP_TTL_MS, this.#d.now());
      return done;
    });
  }

  /**
   * Escalation: a firing group nobody acked within its level's `escalateAfter` (P0 5 min, P1 15 min by
   * default) rings the next person of its routes' `escalate` list — the card re-posted to every target
   * with that person mentioned, and an urgent reminder where the platform can and the person has
   * `urgent` set — one step per interval. Every step is on the card and in the audit log; Ack stops it.
   */
  async sweep(): Promise<number> {
    const now = this.#d.now();
    const ids = [...(await this.#allIds())];
    let steps = 0;
    for (const id of ids) {
      const g = await this.get(id);
      if (!g || g.status !== 'firing' || g.ack || !g.notifiedAt) continue;
      const after = this.levelRule(g.level).escalateAfter;
      if (!after || g.escalations.length >= g.escalate.length) continue;
      if (now < g.notifiedAt + (g.escalations.length + 1) * after) continue;
      const personId = g.escalate[g.escalations.length] as string;
      const person = this.#d.policy.people[personId];
      const targets = g.targets.map((name) => ({ name, target: this.#d.notifier.target(name) }));
      // Ring first, so the re-posted card already says whether the reminder got through.
      const urgentRes: string[] = [];
      const copies = await this.#d.live.copies('alert', id);
      for (const { target } of targets) {
        const pid = person?.ids[target.platform];
        if (!pid || !person?.urgent || !this.#d.notifier.urgentLevels(target.platform).includes(person.urgent)) continue;
        // Feishu rings for a message the bot sent: the alert's card in that chat.
        const ref = copies.find((c) => c.platform === target.platform && c.chatId === target.chatId)?.ref;
        const r = await this.#d.notifier.remind(target.platform, { level: person.urgent, userIds: [pid], text: `${g.level} ${g.labels['alertname'] ?? id}: ${g.annotations['summary'] ?? ''}`.slice(0, 200), ...(ref ? { ref } : {}) }, 'alertmanager');
        urgentRes.push(`${target.platform} ${person.urgent}${r.ok ? '' : ' ✗'}`);
      }
      const step = { at: now, personId, name: person?.name ?? personId, ...(urgentRes.length ? { urgent: urgentRes.join(', ') } : {}) };
      const moved = await this.#update(id, (cur) => (cur.ack || cur.status !== 'firing' ? undefined : { ...cur, escalations: [...cur.escalations, step] }));
      // Acked or resolved meanwhile: nothing recorded, nothing re-posted.
      if (!moved || moved.escalations.length === g.escalations.length) continue;
      for (const { name, target } of targets) {
        const pid = person?.ids[target.platform];
        await this.#d.notifier.post(target, this.card(moved, this.#d.policy.language, { platform: target.platform, chatId: target.chatId, ref: '' }, pid ? { userIds: [pid] } : undefined), { key: `alert:${id}:${name}:esc${moved.escalations.length}`, actor: 'alertmanager' });
      }
      await this.#d.audit.record({ kind: 'alert-escalate', actor: 'alertmanager', platform: '-', chatId: '-', outcome: 'ok', reason: `${g.level} ${g.labels['alertname'] ?? id} → ${step.name}${step.urgent ? ` (${step.urgent})` : ''}` });
      await this.#d.live.refresh('alert', id);
      steps++;
    }
    return steps;
  }

  /** Firing groups, newest first (for /alerts). */
  async firing(limit = 50): Promise<AlertGroup[]> {
    const ids = await this.#allIds();
    const out: AlertGroup[] = [];
    for (const id of [...ids].reverse()) {
      const g = await this.get(id);
      if (g?.status === 'firing') out.push(g);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The card of a group as one copy shows it: its buttons bound to that copy's chat. */
  card(g: AlertGroup, lang: Lang, copy: CardCopy, mentions?: Card['mentions']): Card {
    const buttons: Button[] = [];
    if (g.status === 'firing' && !g.ack) {
      const value = this.#d.signer.sign({ k: 'x-alert-ack', id: g.id, ch: chatKey(copy.platform, copy.chatId), t: this.#d.now() });
      buttons.push({ id: 'ack', label: t(lang, 'alert.btn.ack'), style: 'primary', value });
    }
    // Where the alert names a workload, the read-only commands an on-call engineer runs first, as buttons
    // that run them for the person who clicks (validated, authorised and audited like typed commands).
    const w = workloadOf(g.labels);
    if (g.status === 'firing' && w.namespace) {
      const ch = chatKey(copy.platform, copy.chatId);
      const run = (label: string, c: string, a: Record<string, unknown>, bid: string): Button => ({ id: bid, label, style: 'default', value: this.#d.signer.sign({ k: 'run', c, a, ch, t: this.#d.now() }) });
      if (w.kind === 'deployment' || w.kind === 'pod') buttons.push(run(t(lang, 'alert.btn.investigate'), 'investigate', { workload: w.name, namespace: w.namespace }, 'investigate'));
      buttons.push(run(t(lang, 'out.btn.warnings', { ns: w.namespace }), 'events', { namespace: w.namespace, warnings: true }, 'events'));
    }
    // The rule's own runbook (annotation `runbook: <name>`): the click requests it, one approval for every
    // step, with the parameters the alert's labels give; without all of them, a button that shows it.
    const rb = g.status === 'firing' && g.annotations['runbook'] ? this.#d.runbooks?.get(g.annotations['runbook']) : undefined;
    if (rb) {
      const lone = Object.values(g.alerts);
      const labels = lone.length === 1 ? { ...g.labels, ...(lone[0] as { labels: Record<string, string> }).labels } : g.labels;
      const { params, missing } = paramsFromAlert(rb, labels, g.annotations['runbook_params']);
      const ch = chatKey(copy.platform, copy.chatId);
      const value = missing.length
        ? this.#d.signer.sign({ k: 'run', c: 'runbook', a: { action: 'show', name: rb.name }, ch, t: this.#d.now() })
        : this.#d.signer.sign({ k: 'request', c: 'runbook-run', a: { name: rb.name, ...(params ? { params } : {}) }, ch, t: this.#d.now() });
      buttons.push({ id: 'runbook', label: t(lang, missing.length ? 'alert.btn.runbookShow' : 'alert.btn.runbook', { name: rb.name }), style: missing.length ? 'default' : 'primary', value });
    }
    if (g.status === 'firing' && this.#d.silences) {
      // The matchers that identify this group; the click requests /silence, which needs an approval.
      const matchers = Object.entries(g.labels)
        .filter(([k]) => ['alertname', 'namespace', 'deployment', 'statefulset', 'daemonset', 'job_name', 'service'].includes(k))
        .map(([k, v]) => `${k}="${v.replace(/"/g, '\\"')}"`)
        .join(' ');
      const value = this.#d.signer.sign({ k: 'request', c: 'silence', a: { matchers, duration: '1h', comment: `from alert ${g.id}` }, ch: chatKey(copy.platform, copy.chatId), t: this.#d.now() });
      buttons.push({ id: 'silence', label: t(lang, 'alert.btn.silence'), style: 'default', value });
    }
    return alertCard(g, { timeZone: this.#d.policy.timezone, zoneLabel: spansZones(this.#d.policy), now: this.#d.now(), lang, buttons, ...(mentions ? { mentions } : {}) });
  }

  async #render(id: string, copy?: CardCopy): Promise<Card | undefined> {
    const g = await this.get(id);
    if (!g || !copy) return undefined;
    return this.card(g, this.#d.policy.language, copy);
  }

  /** Who a first post mentions on that platform: everyone, the on-call people's ids there, or nobody. */
  #mentions(rule: 'all' | 'oncall' | 'none', platform: string): Card['mentions'] | undefined {
    if (rule === 'all') return { all: true };
    if (rule !== 'oncall') return undefined;
    const ids = onCall(this.#d.policy, this.#d.now()).people.map((p) => this.#d.policy.people[p]?.ids[platform]).filter((x): x is string => Boolean(x));
    return ids.length ? { userIds: ids } : undefined;
  }

  /**
   * The ids of the groups, oldest first, for /alerts, the sweep and the reports. New ids are merged into
   * the stored list at most once a second, atomically (updateKv: another replica's new ids are kept), and
   * the list is re-read when a second old, so every replica sees the groups the others took in. (One
   * list rewritten per new group was most of a storm's cost.)
   */
  #ids?: { at: number; ids: string[] };
  #pending: string[] = [];
  #flush?: NodeJS.Timeout;

  async #allIds(): Promise<string[]> {
    if (!this.#ids || performance.now() - this.#ids.at > 1000) {
      const stored = (await this.#d.store.getKv<string[]>('alerts:index', this.#d.now())) ?? [];
      this.#ids = { at: performance.now(), ids: mergeIds(stored, this.#pending) };
    }
    return this.#ids.ids;
  }

  async #index(id: string): Promise<void> {
    await this.#allIds();
    this.#pending.push(id);
    this.#ids?.ids.push(id);
    this.#flush ??= setTimeout(() => {
      this.#flush = undefined;
      void this.#writeIndex();
    }, 1000);
    this.#flush.unref();
  }

  async #writeIndex(): Promise<void> {
    const batch = this.#pending.splice(0);
    if (!batch.length) return;
    await this.#d.store.updateKv<string[]>('alerts:index', (cur) => mergeIds(cur ?? [], batch), GROUP_TTL_MS, this.#d.now()).catch((err: unknown) => {
      this.#pending.unshift(...batch);
      this.#d.log.warn({ err }, 'alert index write failed');
    });
  }

  /** Every group still kept (30 days), oldest first: the reports read them. */
  async all(): Promise<AlertGroup[]> {
    const ids = await this.#allIds();
    const out = await Promise.all(ids.map((id) => this.get(id)));
    return out.filter((g): g is AlertGroup => g !== undefined);
  }
}

/** The stored ids with new ones appended (no repeats), bounded to the newest 1,000 once past 2,000. */
function mergeIds(stored: readonly string[], add: readonly string[]): string[] {
  const seen = new Set(stored);
  const out = [...stored, ...add.filter((id) => !seen.has(id) && (seen.add(id), true))];
  return out.length > 2000 ? out.slice(out.length - 1000) : out;
}

/** A short, stable id for a group: 6 characters of the hash of receiver and group key. */
export function groupId(receiver: string, groupKey: string): string {
  const h = createHash('sha256').update(`${receiver}\u0000${groupKey}`).digest();
  const A = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return Array.from(h.subarray(0, 6), (b) => A[b % A.length]).join('');
}

function time(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}
