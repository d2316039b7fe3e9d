import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandMetrics } from '../core/router.js';

/** Prometheus metrics of one app instance (no global registry, so tests can run two apps). */
export class Metrics implements CommandMetrics {
  readonly registry = new Registry();
  readonly #commands: Counter<'command' | 'outcome'>;
  readonly #duration: Histogram<'command'>;
  readonly http: Histogram<'route' | 'status'>;
  readonly #llmTokens: Counter<'direction'>;
  readonly #llmRequests: Counter<'outcome'>;
  readonly #llmDuration: Histogram<'outcome'>;
  readonly #llmRounds: Histogram;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'opsbot_' });
    this.#commands = new Counter({ name: 'opsbot_commands_total', help: 'Chat commands handled, by outcome', labelNames: ['command', 'outcome'], registers: [this.registry] });
    this.#duration = new Histogram({
      name: 'opsbot_command_duration_seconds',
      help: 'Time from a parsed command to its reply card',
      labelNames: ['command'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.#llmTokens = new Counter({ name: 'opsbot_llm_tokens_total', help: 'LLM tokens, as the model server reported them', labelNames: ['direction'], registers: [this.registry] });
    this.#llmRequests = new Counter({ name: 'opsbot_llm_requests_total', help: 'Plain-language requests, by how the loop ended (answer, approval, rounds, deadline, llm_error)', labelNames: ['outcome'], registers: [this.registry] });
    this.#llmDuration = new Histogram({ name: 'opsbot_llm_request_duration_seconds', help: 'Question to answer, all rounds and tools included', labelNames: ['outcome'], buckets: [0.5, 1, 2, 5, 10, 20, 40, 90], registers: [this.registry] });
    this.#llmRounds = new Histogram({ name: 'opsbot_llm_rounds', help: 'Tool rounds per question', buckets: [0, 1, 2, 3, 4, 6, 10], registers: [this.registry] });
    this.http = new Histogram({ name: 'opsbot_http_request_duration_seconds', help: 'HTTP requests by route', labelNames: ['route', 'status'], buckets: [0.005, 0.025, 0.1, 0.5, 1, 3, 10], registers: [this.registry] });
  }

  readonly #auditGaps = new Counter({ name: 'opsbot_audit_gaps_total', help: 'Audit lines that could not be written (the store refused them), by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly #storeWriteFailures = new Counter({ name: 'opsbot_store_write_failures_total', help: 'Writes the store refused (full disk, read-only, unreachable), by operation', labelNames: ['op'], registers: [this.registry] });

  readonly #audited = new Counter({ name: 'opsbot_audit_events_total', help: 'Audited events by kind and outcome: approvals by transition (request, approve, reject, expire, cancel, execute), refusals, dead letters', labelNames: ['kind', 'outcome'], registers: [this.registry] });
  readonly #events = new Counter({ name: 'opsbot_events_total', help: 'Inbound chat events by platform, kind and how they were taken (accepted, duplicate, busy)', labelNames: ['platform', 'kind', 'outcome'], registers: [this.registry] });
  readonly #rejected = new Counter({ name: 'opsbot_webhook_rejected_total', help: 'Webhook requests refused before any work: failed signature or verification, or malformed', labelNames: ['platform', 'reason'], registers: [this.registry] });
  readonly #kubeErrors = new Counter({ name: 'opsbot_kube_errors_total', help: 'Kubernetes API calls that failed (not counting "not found"), by error code', labelNames: ['code'], registers: [this.registry] });

  audited(kind: string, outcome: string): void {
    this.#audited.inc({ kind, outcome });
  }

  event(platform: string, kind: string, outcome: string): void {
    this.#events.inc({ platform, kind, outcome });
  }

  webhookRejected(platform: string, reason: string): void {
    this.#rejected.inc({ platform, reason });
  }

  kubeError(code: string): void {
    this.#kubeErrors.inc({ code });
  }

  /** opsbot_approvals_open{state} and opsbot_outbound_queued / _running, read at each scrape. */
  state(read: { openApprovals: () => Promise<{ state: string }[]>; outbound: () => { queued: number; running: number } }): void {
    new Gauge({
      name: 'opsbot_approvals_open',
      help: 'Approvals waiting for a decision (pending) or running (executing)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const open = await read.openApprovals().catch(() => undefined);
        if (!open) return;
        this.set({ state: 'pending' }, open.filter((a) => a.state === 'pending').length);
        this.set({ state: 'executing' }, open.filter((a) => a.state === 'executing').length);
      },
    });
    new Gauge({ name: 'opsbot_outbound_queued', help: 'Cards waiting in the outbound queue (alerts, reports, notifications)', registers: [this.registry], collect() { this.set(read.outbound().queued); } });
    new Gauge({ name: 'opsbot_outbound_running', help: 'Cards being sent now', registers: [this.registry], collect() { this.set(read.outbound().running); } });
  }

  auditGap(kind: string): void {
    this.#auditGaps.inc({ kind });
  }

  storeWriteFailure(op: string): void {
    this.#storeWriteFailures.inc({ op });
  }

  /** opsbot_store_writable: 1 or 0, read at each scrape. */
  storeHealth(writable: () => boolean): void {
    new Gauge({
      name: 'opsbot_store_writable',
      help: '1 while the store takes writes; 0 while it refuses them (changes are refused meanwhile)',
      registers: [this.registry],
      collect() {
        this.set(writable() ? 1 : 0);
      },
    });
  }

  /** opsbot_work_running / opsbot_work_queued / opsbot_work_shed_total: the dispatcher's bounded work, read at each scrape. */
  work(read: () => { running: number; queued: number; shed: number }): void {
    new Gauge({ name: 'opsbot_work_running', help: 'Events whose work (command, reply) runs now', registers: [this.registry], collect() { this.set(read().running); } });
    new Gauge({ name: 'opsbot_work_queued', help: 'Events acknowledged and waiting for a work slot', registers: [this.registry], collect() { this.set(read().queued); } });
    new Counter({ name: 'opsbot_work_shed_total', help: 'Events answered with a busy reply because too many were waiting', registers: [this.registry], collect() { this.reset(); this.inc(read().shed); } });
  }

  /** opsbot_store_bytes: the store's size on disk, read at each scrape. */
  storeSize(read: () => number | undefined): void {
    new Gauge({
      name: 'opsbot_store_bytes',
      help: 'Size of the store on disk (SQLite database and write-ahead log), bytes',
      registers: [this.registry],
      collect() {
        const b = read();
        if (b !== undefined) this.set(b);
      },
    });
  }

  observeLlm(o: { outcome: string; rounds: number; promptTokens: number; completionTokens: number; seconds: number }): void {
    this.#llmRequests.inc({ outcome: o.outcome });
    this.#llmTokens.inc({ direction: 'in' }, o.promptTokens);
    this.#llmTokens.inc({ direction: 'out' }, o.completionTokens);
    this.#llmDuration.observe({ outcome: o.outcome }, o.seconds);
    this.#llmRounds.observe(o.rounds);
  }

  observe(command: string, outcome: string, seconds: number): void {
    this.#commands.inc({ command, outcome });
    if (outcome === 'ok' || outcome === 'needs_approval') this.#duration.observe({ command }, seconds);
  }
}
