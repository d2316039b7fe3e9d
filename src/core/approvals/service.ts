import { randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { approvalCard } from '../../../cards/approval.js';
import type { Card } from '../../../cards/model.js';
import type { Person, Policy } from '../../config/policy.js';
import { lazyChild, type Logger } from '../../log.js';
import type { Audit } from '../audit.js';
import type { LiveCards } from '../live-cards.js';
import { refuseDecision } from '../authz.js';
import type { AnyCommandSpec, CommandContext } from '../command.js';
import { ConflictError, NotAllowedError, NotFoundError, NothingToDoError, OpsError, StoreUnavailableError } from '../errors.js';
import { chatKey, type PayloadSigner } from '../payload.js';
import type { Registry } from '../registry.js';
import type { StoreHealth } from '../store/guard.js';
import type { Store } from '../store/store.js';
import { clockTime, spansZones } from '../time.js';
import { type Lang, msg, pick, same, t, type Text } from '../i18n.js';
import { canTransition } from './states.js';
import type { ActorRef, Approval, ApprovalState } from './types.js';
import type { StepOutcome } from '../runbooks/engine.js';
import { KeyedSerial } from '../serial.js';

export interface ApprovalDeps {
  store: Store;
  registry: Registry;
  policy: Policy;
  log: Logger;
  signer: PayloadSigner;
  audit: Audit;
  now: () => number;
  /** Builds the context an approved command runs in (the requester's). */
  context: (person: Person, actor: ActorRef, chatId: string, signal: AbortSignal, lang: Lang, on?: { cluster?: string; approvedBy?: string[]; executing?: boolean; progress?: CommandContext['progress'] }) => CommandContext;
  /** Where the approval's cards are shown, brought up to date after every transition. */
  live: LiveCards;
  executionTimeoutMs?: number;
  /** Whether the store takes writes now: while it does not, changes are refused before anything runs. */
  storeHealth?: () => StoreHealth;
  /** First delay between attempts to write an execution's outcome the store refused (doubles to 30 s). */
  retryMs?: number;
  /** This process, as execution leases name it (several replicas share one store). */
  instanceId?: string;
  /** How long an execution lease holds without renewal (default 60 s; renewed every third of it). */
  leaseMs?: number;
}

const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const MAX_CAS_RETRIES = 8;

/**
 * The safety core: a mutating command becomes an approval; only authorised people's decisions move it;
 * every move is a compare-and-set on the stored version, so two clicks lead to one execution; execution
 * re-reads the target and refuses on drift; nothing runs after expiry.
 */
export class ApprovalService {
  readonly #d: ApprovalDeps;
  readonly #inflight = new Set<Promise<unknown>>();
  /**
   * Execution outcomes the store refused (a full disk): kept here and written again until they land.
   * Cards show them meanwhile, so the chat sees what happened even before the store does.
   */
  readonly #unrecorded = new Map<string, Approval>();
  /** Approvals this process is executing (or recording): never "recovered" under its own feet. */
  readonly #running = new Set<string>();
  readonly #deciding = new KeyedSerial();

  /** Executions this process runs now (shutdown reports them). */
  get executing(): number {
    return this.#running.size;
  }
  /** Set by stop(): write retries make one last attempt and give up (logging the outcome). */
  #stopping = false;
  readonly #wake = new Set<() => void>();
  /** Per approval, the last progress write (they run in order). */
  readonly #stepping = new Map<string, Promise<void>>();

  constructor(deps: ApprovalDeps) {
    this.#d = deps;
    deps.live.subject('approval', async (id) => {
      const a = this.#unrecorded.get(id) ?? (await deps.store.getApproval(id));
      return a && this.card(a);
    });
  }

  /** How many execution outcomes are waiting for the store (readiness fails while any do). */
  get unrecorded(): number {
    return this.#unrecorded.size;
  }

  /** Shutdown: outcomes still waiting get one more attempt, then are logged in full and left to startup recovery. */
  stop(): void {
    this.#stopping = true;
    for (const w of this.#wake) w();
  }

  /** Refuses a change up front while the store cannot write: nothing may run that could not be recorded. */
  #writable(): void {
    const h = this.#d.storeHealth?.();
    if (h && !h.writable) throw new StoreUnavailableError(h.reason, h.full);
  }

  /** Creates the approval for a validated mutating command (its preview already dry-ran). */
  async request(spec: AnyCommandSpec, args: Record<string, unknown>, ctx: CommandContext): Promise<Card> {
    const { policy, now } = this.#d;
    if (!spec.mutating || !spec.preview) throw new Error(`${spec.name} is not a mutating command`);
    this.#writable();
    const preview = await spec.preview(ctx, args);
    const risk = preview.risk ?? spec.mutating.risk;
    const level = policy.approvals.risk[risk];
    if (!level) throw new NotAllowedError(msg('approval.err.noChain', { risk }));
    const t = now();
    const steps = level.steps.map((s) => ({ role: s.role, timeoutMs: s.timeout ?? policy.approvals.expiry }));
    (steps[0] as { startedAt?: number }).startedAt = t;
    let a: Approval | undefined;
    for (let i = 0; i < 10 && !a; i++) {
      const candidate: Approval = {
        id: newId(),
        command: spec.name,
        args,
        preview,
        risk,
        requester: ctx.actor,
        chatId: ctx.chatId,
        steps,
        step: 0,
        state: 'pending',
        version: 1,
        createdAt: t,
        updatedAt: t,
        expiresAt: t + (steps[0]?.timeoutMs ?? policy.approvals.expiry),
        lang: ctx.lang,
      };
      if (await this.#d.store.insertApproval(candidate)) a = candidate;
    }
    if (!a) throw new Error('could not allocate an approval id');
    await this.#d.audit.record({ kind: 'request', actor: ctx.actor.personId, platform: ctx.actor.platform, chatId: ctx.chatId, command: spec.name, args, approvalId: a.id, outcome: 'ok', reason: `${preview.target}: ${preview.change}` });
    ctx.log.info({ approvalId: a.id, command: spec.name, target: preview.target }, 'approval requested');

    const rule = this.#autoRule(spec.name, args, preview.target);
    if (rule) {
      const next = { ...a, state: 'executing' as const, autoApprovedBy: rule, version: a.version + 1, updatedAt: t, lease: this.#lease(t) };
      if (await this.#d.store.updateApproval(next, a.version)) {
        await this.#d.audit.record({ kind: 'auto-approve', actor: 'policy', platform: ctx.actor.platform, chatId: ctx.chatId, command: spec.name, approvalId: a.id, outcome: 'ok', reason: rule });
        this.#track(this.#execute(next));
        return this.card(next);
      }
    }
    return this.card(a);
  }

  /** Approve or reject the current step, from a button or /approve, /reject. */
  async decide(ctx: CommandContext, id: string, decision: 'approve' | 'reject', reason?: string): Promise<Card> {
    const { person, actor, chatId } = ctx;
    this.#writable();
    // The read and the compare-and-set, one decision at a time per approval in this process: ten clicks
    // arriving together all read "pending" and raced the compare-and-set — nine lost, re-read and were
    // refused (~9 failed writes per approval in the 1,000-click bench). In turn, the later ones read the
    // decided state. Refusals are audited, and cards made, outside the turn, so they do not queue behind
    // each other. Across replicas the compare-and-set still decides.
    const moved = await this.#deciding.run(id.trim().toUpperCase(), () => this.#transition(ctx, id, decision, reason));
    if ('refused' in moved) throw await this.#refuse(ctx, moved.id, moved.refused);
    if ('tooFast' in moved) throw new ConflictError(msg('approval.err.tooFast', { id }));
    const { a, next } = moved;
    const kind = decision === 'reject' ? 'reject' : 'approve';
    await this.#d.audit.record({ kind, actor: person.id, platform: actor.platform, chatId, command: a.command, approvalId: id, outcome: 'ok', ...(decision === 'approve' ? { reason: `step ${a.step + 1}/${a.steps.length} (${a.steps[a.step]?.role})` } : reason ? { reason } : {}) });
    ctx.log.info({ approvalId: id, decision, by: person.id, state: next.state }, 'approval decided');
    this.#track(this.#notify(next));
    if (next.state === 'executing') this.#track(this.#execute(next));
    return this.card(next);
  }

  /** The decision's compare-and-set (re-read on a lost race), or why it is refused (audited by the caller). */
  async #transition(ctx: CommandContext, id: string, decision: 'approve' | 'reject', reason?: string): Promise<{ a: Approval; next: Approval } | { refused: OpsError; id: string } | { tooFast: true }> {
    const { person, actor } = ctx;
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const a = await this.#read(ctx, id);
      if (a instanceof OpsError) return { refused: a, id: id.trim().toUpperCase() };
      const now = this.#d.now();
      if (a.state === 'pending' && now >= a.expiresAt) {
        await this.#expire(a);
        return { refused: new ConflictError(msg('approval.err.expiredAt', { id, at: this.#t(a.expiresAt) }), 'approval_expired'), id };
      }
      if (a.state !== 'pending') return { refused: new ConflictError(this.#closedReason(a), 'approval_closed'), id };
      const refusal = refuseDecision(this.#d.policy, person, a);
      if (refusal) return { refused: new NotAllowedError(refusal.says, 'approval_not_allowed', refusal.advice), id };

      const next: Approval = structuredClone(a);
      next.version = a.version + 1;
      next.updatedAt = now;
      if (decision === 'reject') {
        next.state = 'rejected';
        next.closedBy = actor;
        if (reason) next.reason = reason.slice(0, 500);
      } else {
        const step = next.steps[next.step] as Approval['steps'][number];
        step.decidedBy = actor;
        step.decidedAt = now;
        if (next.step + 1 < next.steps.length) {
          next.step += 1;
          const following = next.steps[next.step] as Approval['steps'][number];
          following.startedAt = now;
          next.expiresAt = now + following.timeoutMs;
        } else {
          next.state = 'executing';
          next.lease = this.#lease(now);
        }
      }
      if (!canTransition(a.state, next.state)) throw new Error(`bad transition ${a.state} → ${next.state}`);
      if (await this.#d.store.updateApproval(next, a.version)) return { a, next };
      // Someone else (another replica) moved it first: re-read.
    }
    return { tooFast: true };
  }

  /** The requester withdraws a pending request. */
  async cancel(ctx: CommandContext, id: string): Promise<Card> {
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const a = await this.#load(ctx, id);
      if (a.state !== 'pending') throw await this.#refuse(ctx, id, new ConflictError(this.#closedReason(a), 'approval_closed'));
      if (a.requester.personId !== ctx.person.id) throw await this.#refuse(ctx, id, new NotAllowedError(msg('approval.err.onlyRequester', { name: a.requester.name, id }), 'not_allowed', ''));
      const next: Approval = { ...structuredClone(a), state: 'cancelled', closedBy: ctx.actor, version: a.version + 1, updatedAt: this.#d.now() };
      if (!(await this.#d.store.updateApproval(next, a.version))) continue;
      await this.#d.audit.record({ kind: 'cancel', actor: ctx.person.id, platform: ctx.actor.platform, chatId: ctx.chatId, command: a.command, approvalId: id, outcome: 'ok' });
      this.#track(this.#notify(next));
      return this.card(next);
    }
    throw new ConflictError(msg('approval.err.tooFast', { id }));
  }

  /** Expires every pending approval past its deadline. Returns how many it expired. */
  async sweep(): Promise<number> {
    const due = await this.#d.store.listApprovals({ states: ['pending'], expiresBefore: this.#d.now(), limit: 500 });
    let n = 0;
    for (const a of due) if (await this.#expire(a)) n++;
    return n;
  }

  /**
   * After a crash, approvals left `executing` are never run again: for cluster writes, at-most-once is
   * the safe default. Each is closed with what the cluster shows now (its command's preview, read-only):
   * the change in place (succeeded, recorded after the restart), the target untouched (failed, nothing
   * changed), or something else (failed, with what the cluster says) — never a guess.
   */
  async recoverInterrupted(o: { ignoreLeases?: boolean } = {}): Promise<number> {
    const now = this.#d.now();
    // Only executions nobody runs any more: no lease (older records) or one that lapsed unrenewed — or,
    // at the start of the only process using the store (SQLite), every one: their process is gone.
    const stuck = (await this.#d.store.listApprovals({ states: ['executing'], limit: 1000 })).filter((a) => !this.#running.has(a.id) && (o.ignoreLeases || !a.lease || a.lease.until < now));
    let n = 0;
    for (const a of stuck) {
      const seen = await this.#observe(a);
      const at = this.#d.now();
      const next: Approval = { ...withoutLease(a), state: seen.ok ? 'succeeded' : 'failed', version: a.version + 1, updatedAt: at, executedAt: a.executedAt ?? at, result: { ok: seen.ok, summary: seen.summary } };
      if (await this.#d.store.updateApproval(next, a.version)) {
        n++;
        await this.#d.audit.record({ kind: 'execute', actor: 'opsbot', platform: a.requester.platform, chatId: a.chatId, command: a.command, args: a.args, approvalId: a.id, outcome: seen.ok ? 'ok' : 'failed', reason: `interrupted by a restart; ${pick(seen.en, 'en')}` });
        this.#track(this.#notify(next));
      }
    }
    return n;
  }

  /** What the cluster shows for an approval whose execution was interrupted (read-only; bounded). */
  async #observe(a: Approval): Promise<{ ok: boolean; summary: string; en: Text }> {
    const lang = a.lang ?? this.#d.policy.language;
    const say = (text: Text, ok = false) => ({ ok, summary: pick(text, lang), en: text });
    const spec = this.#d.registry.find(a.command);
    const person = personById(this.#d.policy, a.requester.personId);
    if (!spec?.preview || !person) return say(msg('approval.recovered.unread', { says: msg('approval.err.gone', { command: a.command }) }));
    let ctx: CommandContext;
    try {
      ctx = this.#d.context(person, a.requester, a.chatId, AbortSignal.timeout(10_000), lang, onCluster(a));
    } catch (err) {
      return say(msg('approval.recovered.unread', { says: err instanceof OpsError ? { en: err.says('en'), zh: err.says('zh') } : same((err as Error).message) }));
    }
    try {
      const now = await spec.preview(ctx, a.args);
      if (isDeepStrictEqual(now.before, a.preview.before)) return say(msg('approval.recovered.notApplied', { target: a.preview.target, before: show(a.preview.before) }));
      return say(msg('approval.recovered.changed', { target: a.preview.target, now: show(now.before), before: show(a.preview.before) }));
    } catch (err) {
      // "Nothing to do": what the command would change is already so — the change is in place.
      if (err instanceof NothingToDoError) return say(msg('approval.recovered.applied', { says: { en: err.says('en'), zh: err.says('zh') } }), true);
      if (err instanceof NotFoundError) return say(msg('approval.recovered.observed', { says: { en: err.says('en'), zh: err.says('zh') } }));
      const says = err instanceof OpsError ? { en: err.says('en'), zh: err.says('zh') } : { en: (err as Error).message, zh: (err as Error).message };
      return say(msg('approval.recovered.unread', { says }));
    }
  }

  async get(id: string): Promise<Approval | undefined> {
    return this.#d.store.getApproval(id);
  }

  /** Open approvals, all or those of one chat (platform and chat id: a console room is not a chat of the same name elsewhere). */
  async listOpen(chat?: { platform: string; chatId: string }): Promise<Approval[]> {
    const open = await this.#d.store.listApprovals({ states: ['pending', 'executing'], limit: 100 });
    return chat ? open.filter((a) => a.chatId === chat.chatId && a.requester.platform === chat.platform) : open;
  }

  /** The card for the approval as it is now, with signed buttons while it is pending. */
  card(a: Approval): Card {
    const now = this.#d.now();
    // In the requester's language, for every copy: the card is read in the chat the request came from.
    const lang = a.lang ?? this.#d.policy.language;
    const sign = (d: 'approve' | 'reject') => this.#d.signer.sign({ k: 'approval', id: a.id, d, ch: chatKey(a.requester.platform, a.chatId), t: now });
    const buttons = a.state === 'pending' ? [
      { id: 'approve', label: t(lang, 'approval.button.approve'), style: 'primary' as const, value: sign('approve') },
      { id: 'reject', label: t(lang, 'approval.button.reject'), style: 'danger' as const, value: sign('reject') },
    ] : a.state === 'failed' ? (a.result?.buttons ?? []) : [];
    return approvalCard(a, { timeZone: this.#d.policy.timezone, zoneLabel: spansZones(this.#d.policy), now, buttons, lang, clusterLabel: (name) => this.#d.policy.clusters[name]?.label });
  }

  /** Resolves when every execution and card update started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  // --- internals -------------------------------------------------------------------------------

  #lease(now: number): { owner: string; until: number } {
    return { owner: this.#d.instanceId ?? 'opsbot', until: now + (this.#d.leaseMs ?? 60_000) };
  }

  /** Keeps the execution's lease from lapsing while it runs (every third of the lease); returns the stop. */
  #renewLease(id: string, log: Logger): () => void {
    const every = (this.#d.leaseMs ?? 60_000) / 3;
    const timer = setInterval(() => {
      void (async () => {
        for (let i = 0; i < MAX_CAS_RETRIES; i++) {
          const cur = await this.#d.store.getApproval(id);
          if (!cur || cur.state !== 'executing') return;
          if (await this.#d.store.updateApproval({ ...cur, lease: this.#lease(this.#d.now()), version: cur.version + 1 }, cur.version)) return;
        }
      })().catch((err: unknown) => log.warn({ reason: (err as Error).message }, 'could not renew the execution lease'));
    }, every);
    timer.unref();
    return () => clearInterval(timer);
  }

  async #execute(a: Approval): Promise<void> {
    this.#running.add(a.id);
    try {
      await this.#executeAndRecord(a);
    } finally {
      this.#running.delete(a.id);
    }
  }

  async #executeAndRecord(a: Approval): Promise<void> {
    const started = this.#d.now();
    const spec = this.#d.registry.find(a.command);
    const person = personById(this.#d.policy, a.requester.personId);
    let result: { ok: boolean; summary: string; card?: Card };
    let progressed: Promise<void> = Promise.resolve();
    const log = lazyChild(this.#d.log, { approvalId: a.id, command: a.command });
    const lang = a.lang ?? this.#d.policy.language;
    const stopRenewing = this.#renewLease(a.id, log);
    try {
      if (!spec?.preview || !spec.mutating) throw new OpsError('unknown_command', msg('approval.err.gone', { command: a.command }));
      if (!person) throw new OpsError('unknown_user', msg('approval.err.personGone', { name: a.requester.name }));
      // As the requester, on the cluster the request named; the approvers go with it (impersonation extra).
      const approvedBy = a.steps.flatMap((s) => (s.decidedBy ? [s.decidedBy.personId] : []));
      const timeout = Math.max(this.#d.executionTimeoutMs ?? 5 * 60_000, a.preview.runMs ?? 0);
      const progress = a.preview.steps ? (i: number, o: StepOutcome) => (progressed = this.#progress(a.id, i, o, log)) : undefined;
      const ctx = this.#d.context(person, a.requester, a.chatId, AbortSignal.timeout(timeout), lang, { ...onCluster(a), approvedBy, executing: true, ...(progress ? { progress } : {}) });
      // Re-read the target: if it moved since the request, the approver approved something else.
      const now = await spec.preview(ctx, a.args);
      if (!isDeepStrictEqual(now.before, a.preview.before)) {
        throw new ConflictError(msg('approval.err.drift', { target: a.preview.target, drift: drift(a.preview.before, now.before) }), 'drift');
      }
      const card = await spec.run(ctx, a.args);
      const body = card.blocks.find((b) => b.type === 'markdown');
      result = { ok: card.tone !== 'danger', summary: body && body.type === 'markdown' ? body.text : card.title, card };
    } catch (err) {
      const said = err instanceof OpsError ? err.says(lang) : t(lang, 'approval.err.internal');
      if (!(err instanceof OpsError)) log.error({ err }, 'execution failed');
      result = { ok: false, summary: said };
    } finally {
      stopRenewing();
    }
    // The last step's progress lands before the outcome, which keeps it.
    await progressed.catch(() => undefined);
    const executedAt = this.#d.now();
    const final: ApprovalState = result.ok ? 'succeeded' : 'failed';
    const buttons = result.card?.buttons;
    const outcome = (cur: Approval): Approval => ({ ...withoutLease(cur), state: final, result: { ok: result.ok, summary: result.summary, ...(buttons?.length ? { buttons } : {}) }, executedAt, version: cur.version + 1, updatedAt: this.#d.now() });
    // The change ran: its outcome must reach the store, however long the store refuses writes.
    let recorded: Approval | undefined;
    const landed = await this.#untilWritten(a, outcome(a), log, async () => {
      for (let i = 0; i < MAX_CAS_RETRIES; i++) {
        const cur = (await this.#d.store.getApproval(a.id)) ?? a;
        if (!canTransition(cur.state, final)) return false;
        const next = outcome(cur);
        if (await this.#d.store.updateApproval(next, cur.version)) {
          recorded = next;
          return true;
        }
      }
      return false;
    });
    if (!landed || !recorded) {
      if (landed === false) log.error({ ok: result.ok, summary: result.summary }, 'could not record the execution result (state moved)');
      return;
    }
    const entry = { kind: 'execute', actor: a.requester.personId, platform: a.requester.platform, chatId: a.chatId, command: a.command, args: a.args, approvalId: a.id, outcome: result.ok ? 'ok' : 'failed', reason: result.summary, durationMs: executedAt - started } as const;
    await this.#untilWritten(a, recorded, log, async () => (await this.#d.audit.write(entry), true));
    log.info({ ok: result.ok, summary: result.summary }, 'approval executed');
    await this.#notify(recorded);
  }

  /**
   * Runs `write` until the store takes it: while it refuses, `shown` is what cards show, and readiness
   * fails. Returns what `write` returned, or undefined when stopped before it landed (then the outcome
   * is in the log at error level, and startup recovery reads the cluster).
   */
  async #untilWritten(a: Approval, shown: Approval, log: Logger, write: () => Promise<boolean>): Promise<boolean | undefined> {
    let delay = this.#d.retryMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        const ok = await write();
        if (this.#unrecorded.delete(a.id)) log.warn({ attempts: attempt + 1 }, 'the execution outcome the store refused is now written');
        return ok;
      } catch (err) {
        if (!this.#unrecorded.has(a.id)) {
          this.#unrecorded.set(a.id, shown);
          log.error({ reason: (err as Error).message, state: shown.state, summary: shown.result?.summary }, 'the store refused the execution outcome; it is kept and written again until it lands');
          this.#track(this.#notify(shown));
        }
        if (this.#stopping) {
          log.error({ state: shown.state, summary: shown.result?.summary, args: a.args }, 'stopping with an execution outcome the store never took; the next start reads the cluster to close it');
          return undefined;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.#wake.delete(done);
            resolve();
          };
          const timer = setTimeout(done, delay);
          this.#wake.add(done);
        });
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /**
   * One step's progress: written to the approval (compare-and-set, retried against lease renewals) and
   * every copy of its card refreshed. Calls for one approval run in order.
   */
  #progress(id: string, i: number, o: StepOutcome, log: Logger): Promise<void> {
    const prev = this.#stepping.get(id) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
        const cur = await this.#d.store.getApproval(id);
        if (!cur || cur.state !== 'executing') return;
        const progress = [...(cur.progress ?? [])];
        while (progress.length < i) progress.push(null);
        progress[i] = o;
        if (await this.#d.store.updateApproval({ ...cur, progress, version: cur.version + 1, updatedAt: this.#d.now() }, cur.version)) break;
      }
      await this.#notify({ id } as Approval);
    }).catch((err: unknown) => log.warn({ reason: (err as Error).message, step: i + 1 }, 'could not record a step\'s progress'));
    this.#stepping.set(id, next);
    void next.finally(() => {
      if (this.#stepping.get(id) === next) this.#stepping.delete(id);
    });
    return next;
  }

  async #expire(a: Approval): Promise<boolean> {
    const next: Approval = { ...a, state: 'expired', version: a.version + 1, updatedAt: this.#d.now() };
    if (!(await this.#d.store.updateApproval(next, a.version))) return false;
    await this.#d.audit.record({ kind: 'expire', actor: 'opsbot', platform: a.requester.platform, chatId: a.chatId, command: a.command, approvalId: a.id, outcome: 'ok' });
    this.#track(this.#notify(next));
    return true;
  }

  /** Every copy of the approval's card follows its state. */
  #notify(a: Approval): Promise<void> {
    return this.#d.live.refresh('approval', a.id);
  }

  async #load(ctx: CommandContext, id: string): Promise<Approval> {
    const a = await this.#read(ctx, id);
    if (a instanceof OpsError) throw await this.#refuse(ctx, id.trim().toUpperCase(), a);
    return a;
  }

  /** The approval, or why it cannot be acted on from this chat (not audited here). */
  async #read(ctx: CommandContext, id: string): Promise<Approval | OpsError> {
    const norm = id.trim().toUpperCase();
    const a = await this.#d.store.getApproval(norm);
    if (!a) return new NotFoundError(msg('approval.err.none', { id: norm }));
    if (a.chatId !== ctx.chatId || a.requester.platform !== ctx.actor.platform) return new NotAllowedError(msg('approval.err.otherChat', { id: norm }), 'approval_other_chat', '');
    return a;
  }

  async #refuse(ctx: CommandContext, id: string, err: OpsError): Promise<OpsError> {
    await this.#d.audit.record({ kind: 'refuse', actor: ctx.person.id, platform: ctx.actor.platform, chatId: ctx.chatId, approvalId: id, outcome: 'refused', reason: err.userMessage });
    return err;
  }

  #closedReason(a: Approval): Text {
    const at = (ms: number | undefined) => (ms ? msg('approval.err.at', { at: this.#t(ms) }) : '');
    const last = [...a.steps].reverse().find((s) => s.decidedBy);
    const id = a.id;
    switch (a.state) {
      case 'executing':
      case 'succeeded':
      case 'failed': {
        if (a.autoApprovedBy) return msg('approval.err.autoApproved', { id });
        const state = a.state === 'executing' ? msg('approval.err.executingSuffix') : msg('approval.err.stateSuffix', { state: msg(`approval.state.${a.state}`) });
        return msg('approval.err.approvedBy', { id, by: last?.decidedBy?.name ?? '?', at: at(last?.decidedAt), state });
      }
      case 'rejected':
        return msg('approval.err.rejectedBy', { id, by: a.closedBy?.name ?? '?', at: at(a.updatedAt) });
      case 'cancelled':
        return msg('approval.err.cancelledBy', { id, by: a.closedBy?.name ?? a.requester.name, at: at(a.updatedAt) });
      case 'expired':
        return msg('approval.err.expiredAt', { id, at: this.#t(a.expiresAt) });
      default:
        return msg('approval.err.state', { id, state: msg(`approval.state.${a.state}`) });
    }
  }

  #autoRule(command: string, args: Record<string, unknown>, target: string): string | undefined {
    const ns = target.split('/')[0] ?? '';
    const i = this.#d.policy.approvals.autoApprove.findIndex(
      (r) =>
        r.command === command &&
        (r.namespaces.includes('*') || r.namespaces.includes(ns)) &&
        (r.maxReplicas === undefined || (typeof args['replicas'] === 'number' && args['replicas'] <= r.maxReplicas)),
    );
    return i >= 0 ? `policy approvals.autoApprove[${i}]` : undefined;
  }

  #t(ms: number): string {
    return clockTime(ms, this.#d.policy.timezone, spansZones(this.#d.policy));
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.#d.log.error({ err }, 'background approval work failed')).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }
}

function newId(): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

function personById(policy: Policy, id: string): Person | undefined {
  const p = policy.people[id];
  return p ? { id, name: p.name ?? id, roles: p.roles, ids: p.ids } : undefined;
}

/** A drift fingerprint (replicas, a uid, a generation, a template) as a person reads it. */
function show(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** The approval once its execution is over: no lease to renew or to wait for. */
function withoutLease(a: Approval): Approval {
  const { lease: _lease, ...rest } = a;
  return rest;
}

function drift(before: unknown, now: unknown): Text {
  return msg('approval.err.driftWas', { before: show(before), now: show(now) });
}

/** The cluster an approval's request named (recorded in its arguments when clusters are named). */
function onCluster(a: Approval): { cluster?: string } {
  const c = a.args['cluster'];
  return typeof c === 'string' ? { cluster: c } : {};
}
