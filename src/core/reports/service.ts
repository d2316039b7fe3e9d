import { Cron } from 'croner';
import type { Card } from '../../../cards/model.js';
import { reportCard } from '../../../cards/report.js';
import type { Policy } from '../../config/policy.js';
import type { Clusters } from '../../kube/clusters.js';
import type { Logger } from '../../log.js';
import type { AlertmanagerClient } from '../alerts/alertmanager.js';
import type { AlertGroup } from '../alerts/types.js';
import { type Lang, msg } from '../i18n.js';
import { NotFoundError } from '../errors.js';
import { clockTime, spansZones } from '../time.js';
import { postmortemCard, timeline } from './postmortem.js';
import type { Notifier } from '../notifier.js';
import type { AuditEntry, Store } from '../store/store.js';
import { collectReport, type ReportData, type ReportSources } from './collect.js';

export type ReportKind = 'daily' | 'weekly';

export interface ReportDeps {
  policy: Policy;
  store: Store;
  notifier: Notifier;
  clusters: Clusters;
  log: Logger;
  now: () => number;
  alertGroups: () => Promise<AlertGroup[]>;
  alert: (id: string) => Promise<AlertGroup | undefined>;
  alertmanager?: AlertmanagerClient;
  /** How an audit line's command reads (`/scale api-gateway 5 -n production`). */
  format: (e: AuditEntry) => string;
  /** The LLM's draft summary of an incident, when a model is configured. */
  summarize?: (subject: string, timeline: readonly string[], lang: Lang, where: { platform: string; chatId: string }) => Promise<{ ok: true; text: string } | { ok: false; reason: string }>;
}

/** How long a slot's claim is kept (longer than a week, so a weekly slot is never posted twice). */
const SLOT_CLAIM_MS = 9 * 86_400_000;
/** The longest single wait of the timer: it re-reads the clock at least this often (sleep, clock changes). */
const MAX_WAIT_MS = 3_600_000;

/**
 * The daily and weekly reports on their schedules (policy `reports`, cron read by croner in the report's
 * time zone, daylight saving included). Each scheduled time is a slot claimed in the store before it is
 * posted: with several replicas, or a restart in the same minute, a slot is posted once. A slot missed
 * while opsbot was down is posted on start when it was due at most `reports.catchUp` ago — once.
 */
export class ReportService {
  readonly #d: ReportDeps;
  readonly #crons: Record<ReportKind, Cron>;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  readonly #running = new Set<Promise<unknown>>();

  constructor(d: ReportDeps) {
    this.#d = d;
    const timezone = this.timeZone;
    this.#crons = {
      daily: new Cron(d.policy.reports.daily.cron, { timezone, paused: true }),
      weekly: new Cron(d.policy.reports.weekly.cron, { timezone, paused: true }),
    };
  }

  get timeZone(): string {
    return this.#d.policy.reports.timezone ?? this.#d.policy.timezone;
  }

  /** The report's figures now (read-only; `/report` and the scheduled posts). */
  collect(kind: ReportKind, sources?: Partial<ReportSources>): Promise<ReportData> {
    const d = this.#d;
    return collectReport(kind, d.now(), {
      policy: d.policy,
      alertGroups: d.alertGroups,
      audit: (w, limit) => d.store.queryAudit({ since: w.from, before: w.to, limit }),
      clusters: d.clusters.list,
      ...(d.alertmanager ? { alertmanager: d.alertmanager } : {}),
      ...sources,
    });
  }

  async card(kind: ReportKind, lang: Lang = this.#d.policy.language, sources?: Partial<ReportSources>): Promise<Card> {
    return reportCard(await this.collect(kind, sources), lang, this.timeZone);
  }

  /** The scheduled time of `kind` at or before `at` (undefined: none in the last 8 days). */
  lastSlot(kind: ReportKind, at: number): number | undefined {
    let t = this.#crons[kind].nextRun(new Date(at - 8 * 86_400_000));
    let last: number | undefined;
    for (let i = 0; t && t.getTime() <= at && i < 10_000; i++) {
      last = t.getTime();
      t = this.#crons[kind].nextRun(t);
    }
    return last;
  }

  nextSlot(kind: ReportKind, after: number): number | undefined {
    return this.#crons[kind].nextRun(new Date(after))?.getTime();
  }

  /**
   * Posts every report whose latest slot is due and not yet posted (claimed) — at most `catchUp` late.
   * The timer calls it at each slot; tests call it with a fake clock. Returns the slots it posted.
   */
  async tick(): Promise<{ kind: ReportKind; slot: number }[]> {
    const now = this.#d.now();
    const done: { kind: ReportKind; slot: number }[] = [];
    for (const kind of ['daily', 'weekly'] as const) {
      const cfg = this.#d.policy.reports[kind];
      if (!cfg.targets.length) continue;
      const slot = this.lastSlot(kind, now);
      if (slot === undefined || now - slot > this.#d.policy.reports.catchUp) continue;
      // The claim is the lock: one replica, one post per slot, whatever restarts.
      if (!(await this.#d.store.claim(`report:${kind}:${slot}`, SLOT_CLAIM_MS, now))) continue;
      const late = now - slot > 60_000;
      this.#d.log.info({ kind, slot: new Date(slot).toISOString(), late }, late ? 'posting a report missed while stopped' : 'posting the scheduled report');
      const card = await this.card(kind);
      await Promise.all(cfg.targets.map((target) => this.#d.notifier.post(target, card, { key: `report:${kind}:${slot}:${target}` })));
      done.push({ kind, slot });
    }
    return done;
  }

  /**
   * The postmortem of an alert group (by id, or the group): its timeline from the group and the audit
   * log of the chats it was posted to, and a draft summary when an LLM is configured.
   */
  async postmortem(which: string | AlertGroup, lang: Lang = this.#d.policy.language): Promise<Card> {
    const d = this.#d;
    const g = typeof which === 'string' ? await d.alert(which.toUpperCase()) : which;
    if (!g) throw new NotFoundError(msg('pm.notFound', { id: typeof which === 'string' ? which : '' }));
    const chats = g.targets.flatMap((name) => {
      const target = d.policy.notify.targets[name];
      return target ? [{ platform: target.platform, chatId: target.chat }] : [];
    });
    const end = g.resolvedAt ?? d.now();
    const audit = await d.store.queryAudit({ since: g.firstAt, before: end + 1, limit: 5000, oldestFirst: true });
    const name = (id: string) => d.policy.people[id]?.name ?? id;
    const lines = timeline(g, audit, chats, { lang, name, format: d.format, targets: g.targets.join(', ') });
    const label = spansZones(d.policy);
    const subject = `${g.level} ${g.labels['alertname'] ?? g.id}`;
    const draft = d.summarize ? await d.summarize(subject, lines.map((l) => `${clockTime(l.at, this.timeZone)} ${l.text}`), lang, chats[0] ?? { platform: '-', chatId: '-' }) : undefined;
    return postmortemCard(g, lines, { lang, timeZone: this.timeZone, label, llm: Boolean(d.summarize), ...(draft ? { draft } : {}) });
  }

  /**
   * A P0/P1 group (policy `reports.postmortem`) that fired at least `after` has resolved: its postmortem
   * goes to the chats the alert went to, once per incident (claimed in the store).
   */
  async onResolved(g: AlertGroup): Promise<void> {
    const pm = this.#d.policy.reports.postmortem;
    if (!pm.levels.includes(g.level) || g.resolvedAt === undefined || g.resolvedAt - g.firstAt < pm.after) return;
    if (!(await this.#d.store.claim(`postmortem:${g.id}:${g.firstAt}`, 30 * 86_400_000, this.#d.now()))) return;
    const run = (async () => {
      const card = await this.postmortem(g);
      await Promise.all(g.targets.map((target) => this.#d.notifier.post(target, card, { key: `postmortem:${g.id}:${g.firstAt}:${target}` })));
    })().catch((err: unknown) => this.#d.log.error({ err, alert: g.id }, 'postmortem failed'));
    this.#running.add(run);
    await run;
    this.#running.delete(run);
  }

  /** Resolves when reports and postmortems being posted are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  /** Starts the timer: a check at start (a missed slot), then one at each next slot. */
  start(): void {
    // One tick at a time, tracked for stop(); the next one is armed when it is done.
    const run = (what: string) => {
      const p = this.tick()
        .catch((err: unknown) => this.#d.log.error({ err }, `${what} failed`))
        .finally(() => {
          this.#running.delete(p);
          arm();
        });
      this.#running.add(p);
    };
    const arm = () => {
      if (this.#stopped) return;
      const now = this.#d.now();
      const next = Math.min(...(['daily', 'weekly'] as const).filter((k) => this.#d.policy.reports[k].targets.length).map((k) => this.nextSlot(k, now) ?? Infinity));
      if (!Number.isFinite(next)) return;
      this.#timer = setTimeout(() => run('scheduled report'), Math.min(MAX_WAIT_MS, Math.max(0, next - now) + 50));
      this.#timer.unref();
    };
    run('report catch-up');
  }

  /** Stops the timer and waits for a report being posted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.idle();
  }
}
