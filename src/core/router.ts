import { randomUUID } from 'node:crypto';
import type { Card } from '../../cards/model.js';
import { errorCard } from '../../cards/error.js';
import { findPerson, type Person, type PlatformId, type Policy } from '../config/policy.js';
import { lazyChild, type Logger } from '../log.js';
import type { ApprovalService } from './approvals/service.js';
import type { Audit } from './audit.js';
import { prepare } from './authz.js';
import type { AnyCommandSpec, CommandContext } from './command.js';
import { buildContext, type ContextDeps } from './context.js';
import { ConflictError, NothingToDoError, NotAllowedError, OpsError, StoreUnavailableError, UsageError, VerificationError } from './errors.js';
import { Registry } from './registry.js';
import type { ButtonActions } from './actions.js';
import { type ButtonPayload, chatKey } from './payload.js';
import { validateArgs } from './slash-parser.js';
import { detectLang } from './time.js';
import { type Lang, msg, t } from './i18n.js';

/** How long a drill-down button stays valid. */
const BUTTON_MAX_AGE_MS = 7 * 24 * 3_600_000;

export interface MessageIn {
  platform: PlatformId;
  userId: string;
  chatId: string;
  text: string;
}

export interface ClickIn {
  platform: PlatformId;
  userId: string;
  chatId: string;
  payload: string;
}

export interface ClickOutcome {
  cards: Card[];
  /** Set when nothing was done: the reason, for a toast. */
  refused?: string;
  /** The first card is a new one (a change requested from a button), not the clicked card's next state. */
  fresh?: boolean;
}

/** What a click handler gets: who clicked (identified), their context, and where. */
export interface ClickContext {
  person: Person;
  ctx: CommandContext;
  at: ClickIn;
  log: Logger;
  /** Filled in as soon as known, so a refusal is audited with the command it was about. */
  state: { command: string; args?: Record<string, unknown> };
}

export interface ClickResult {
  command: string;
  cards: Card[];
  /** A command run through the router's audit (read-only runs and change requests). */
  audited?: { spec: AnyCommandSpec; args: Record<string, unknown> };
}

export type ClickHandler = (payload: ButtonPayload, at: ClickContext) => Promise<ClickResult>;

/** The longest message the bot reads (a pasted log is better sent as a file, or asked about with /logs). */
export const MAX_MESSAGE_CHARS = 4000;

export type Outcome = 'ok' | 'refused' | 'bad_input' | 'error' | 'needs_approval' | 'nothing_to_do' | 'store_unavailable';

export interface CommandMetrics {
  observe(command: string, outcome: Outcome, seconds: number): void;
}

/** Answers plain-language requests (src/llm); absent or disabled when no model is configured. */
export interface AssistantPort {
  readonly enabled: boolean;
  answer(ctx: CommandContext, text: string): Promise<Card[]>;
  remember(who: { platform: PlatformId; chatId: string; personId: string }, text: string, card: Card): Promise<void>;
}

export interface RouterDeps extends ContextDeps {
  assistant?: AssistantPort;
  registry: Registry;
  log: Logger;
  approvals: ApprovalService;
  actions: ButtonActions;
  audit: Audit;
  metrics?: CommandMetrics;
  /** Upper bound for one read-only command, Kubernetes calls included. */
  commandTimeoutMs?: number;
}

/**
 * Platform-neutral handling of what people send and click: identify → parse → authorise → run, or,
 * for a mutating command, hand it to the approval service → card. One error boundary turns every
 * failure into a reply card and a log line that share a reference; every outcome is audited.
 */
export class Router {
  readonly #d: RouterDeps;

  constructor(deps: RouterDeps) {
    this.#d = deps;
  }

  get policy(): Policy {
    return this.#d.policy;
  }

  /** The commands (for the console's tools page: usage, risk, the LLM's tool schemas). */
  get registry(): Registry {
    return this.#d.registry;
  }

  async message(m: MessageIn): Promise<Card[]> {
    const log = lazyChild(this.#d.log, { platform: m.platform, chatId: m.chatId });
    const started = performance.now();
    let command = '-';
    let args: Record<string, unknown> | undefined;
    let lang = this.#langOf(undefined, m.text);
    try {
      const person = this.#identify(m.platform, m.userId);
      lang = this.#langOf(person, m.text);
      // One limit on every platform: a command or a question is at most MAX_MESSAGE_CHARS characters.
      if (m.text.length > MAX_MESSAGE_CHARS) throw new UsageError(msg('router.tooLong', { n: m.text.length.toLocaleString('en-US'), max: MAX_MESSAGE_CHARS.toLocaleString('en-US') }));
      if (!Registry.isCommand(m.text)) {
        if (!this.#d.assistant?.enabled) return [this.#notACommand(person, lang)];
        command = 'llm';
        const cards = await this.#d.assistant.answer(this.#context(person, m, lang, log, this.#d.commandTimeoutMs ?? 120_000), m.text);
        this.#observe('llm', 'ok', started);
        return inLang(cards, lang);
      }
      const parsed = this.#d.registry.parse(m.text);
      command = parsed.spec.name;
      args = parsed.args;
      const card = await this.#execute(parsed.spec, parsed.args, person, m, lang, log);
      await this.#done(m, person.id, parsed.spec, args, started);
      if (!parsed.spec.mutating && parsed.spec.authz !== 'self' && this.#d.assistant?.enabled) {
        await this.#d.assistant.remember({ platform: m.platform, chatId: m.chatId, personId: person.id }, m.text, card);
      }
      return inLang([card], lang);
    } catch (err) {
      return [await this.#fail(err, log, m, command, args, started, lang)];
    }
  }

  /**
   * The language to answer in: Chinese for a message written in Chinese, else the person's own
   * (policy `people.<id>.language`), else the policy's.
   */
  #langOf(person: Person | undefined, text?: string): Lang {
    if (text !== undefined && detectLang(text) === 'zh') return 'zh';
    return person?.language ?? this.#d.policy.language;
  }

  /** The language a platform user is answered in (for what the dispatcher itself says). */
  langOf(platform: PlatformId, userId: string, text?: string): Lang {
    return this.#langOf(findPerson(this.#d.policy, platform, userId), text);
  }

  /**
   * A command from a caller that is not a chat message — an MCP agent, already identified by its token:
   * validated, authorised, run (read-only) or requested (an approval card, for the chat `at` names),
   * audited as the agent, with the same error boundary as a typed command.
   */
  async call(person: Person, at: { platform: PlatformId; userId: string; chatId: string }, command: string, raw: unknown, lang: Lang): Promise<{ ok: boolean; card: Card; error?: string }> {
    const log = lazyChild(this.#d.log, { platform: at.platform, chatId: at.chatId, caller: person.id });
    const started = performance.now();
    let args: Record<string, unknown> | undefined;
    try {
      const spec = this.#d.registry.find(command);
      if (!spec || spec.llm === false || spec.authz === 'self') throw new UsageError(msg('parse.unknown', { name: command }), undefined, 'unknown_command');
      args = validateArgs(spec, raw ?? {});
      const card = await this.#execute(spec, args, person, at, lang, log);
      await this.#done(at, person.id, spec, args, started);
      return { ok: true, card: { ...card, lang: card.lang ?? lang } };
    } catch (err) {
      const card = await this.#fail(err, log, at, command, args, started, lang, person.id);
      return { ok: false, card, error: err instanceof OpsError ? err.says(lang) : card.title };
    }
  }

  async click(c: ClickIn): Promise<Card[]> {
    return (await this.act(c)).cards;
  }

  /**
   * What a click of each kind does (as Bolt's `app.action`): run a read-only command, decide an
   * approval, request an approval. Alerts add `x-alert-ack` and the like through `onAction`.
   */
  readonly #handlers = new Map<string, ClickHandler>([
    [
      'approval',
      async (p, { ctx, state }) => {
        if (p.k !== 'approval') throw new VerificationError(msg('button.malformed'));
        // Counted under approve/reject even when refused (already decided, not allowed).
        state.command = p.d;
        return { command: p.d, cards: [await this.#d.approvals.decide(ctx, p.id, p.d)] };
      },
    ],
    ['run', (p, at) => this.#fromButton(p, at, false)],
    ['request', (p, at) => this.#fromButton(p, at, true)],
  ]);

  /** Registers what a click of a new kind (`x-…`) does. */
  onAction(kind: `x-${string}`, handler: ClickHandler): void {
    if (this.#handlers.has(kind)) throw new Error(`a click handler for "${kind}" exists already`);
    this.#handlers.set(kind, handler);
  }

  /**
   * A click, with the refusal reason kept apart so a platform can show it as a toast instead of a
   * new card. The clicked value is a short action id (or, from older cards, the signed payload); it is
   * resolved, verified (signature, age, chat), the clicker identified, and the kind's handler run.
   */
  async act(c: ClickIn): Promise<ClickOutcome> {
    const log = lazyChild(this.#d.log, { platform: c.platform, chatId: c.chatId, kind: 'click' });
    const started = performance.now();
    const state: { command: string; args?: Record<string, unknown> } = { command: '-' };
    let lang = this.#langOf(undefined);
    try {
      const signed = await this.#d.actions.resolve(c.payload);
      const payload = this.#d.signer.verify(signed, BUTTON_MAX_AGE_MS, this.#d.now());
      if (payload.ch !== chatKey(c.platform, c.chatId)) throw new VerificationError(msg('button.otherChat'));
      const person = this.#identify(c.platform, c.userId);
      lang = this.#langOf(person);
      const handler = this.#handlers.get(payload.k);
      if (!handler) throw new VerificationError(msg('button.noAction'));
      const ctx = this.#context(person, c, lang, log);
      const out = await handler(payload, { person, ctx, at: c, log, state });
      state.command = out.command;
      if (out.audited) await this.#done(c, person.id, out.audited.spec, out.audited.args, started);
      else this.#observe(out.command, 'ok', started);
      return { cards: inLang(out.cards, lang), ...(payload.k === 'request' || payload.k === 'run' ? { fresh: true } : {}) };
    } catch (err) {
      const card = await this.#fail(err, log, c, state.command, state.args, started, lang);
      return { cards: [card], refused: err instanceof OpsError ? err.says(lang) : card.title };
    }
  }

  /**
   * A button that runs a read-only command, or requests a mutating one: validated, authorised and
   * audited for the person who clicks, exactly as if they had typed it.
   */
  async #fromButton(p: ButtonPayload, at: ClickContext, mutating: boolean): Promise<ClickResult> {
    if (p.k !== 'run' && p.k !== 'request') throw new VerificationError(msg('button.malformed'));
    const spec = this.#d.registry.find(p.c);
    // A run button only ever runs a read-only command; a change is requested, and approved by a human.
    if (!spec || Boolean(spec.mutating) !== mutating || spec.authz === 'self') throw new VerificationError(msg(mutating ? 'button.noChange' : 'button.noReadOnly'));
    at.state.command = spec.name;
    const args = validateArgs(spec, p.a);
    at.state.args = args;
    const card = await this.#execute(spec, args, at.person, at.at, at.ctx.lang, at.log);
    return { command: spec.name, cards: [card], audited: { spec, args } };
  }

  async #execute(spec: AnyCommandSpec, given: Record<string, unknown>, person: Person, at: { platform: PlatformId; userId: string; chatId: string }, lang: Lang, log: Logger): Promise<Card> {
    const { ctx, args } = prepare(this.#context(person, at, lang, log), spec, given);
    log.info({ command: spec.name, args, person: person.id }, spec.mutating ? 'change requested' : 'command');
    if (spec.mutating) return this.#d.approvals.request(spec, args, ctx);
    return onClusterCard(ctx, spec, await spec.run(ctx, args));
  }

  #context(person: Person, at: { platform: PlatformId; userId: string; chatId: string }, lang: Lang, log: Logger, timeoutMs = this.#d.commandTimeoutMs ?? 30_000): CommandContext {
    const until = performance.now() + timeoutMs;
    return buildContext(this.#d, person, at, at.chatId, { lang, log, signal: () => AbortSignal.timeout(Math.max(1, Math.round(until - performance.now()))) });
  }

  #identify(platform: PlatformId, userId: string): Person {
    const person = findPerson(this.#d.policy, platform, userId);
    if (!person) throw new NotAllowedError(msg('authz.err.unknownUser', { platform, user: userId }), 'unknown_user', '');
    return person;
  }

  /** Would this text go to the assistant (so a platform can show that the bot is thinking)? */
  wantsAssistant(text: string): boolean {
    return Boolean(this.#d.assistant?.enabled) && !Registry.isCommand(text);
  }

  #notACommand(person: Person, lang: Lang): Card {
    const names = this.#d.registry.commands.filter((c) => !c.mutating && c.authz !== 'self').map((c) => `/${c.name}`);
    return {
      title: t(lang, 'router.noLlm'),
      tone: 'info',
      blocks: [
        { type: 'markdown', text: t(lang, 'router.noLlm.slash', { name: person.name, commands: names.join(' ') }) },
        { type: 'markdown', text: t(lang, 'router.noLlm.admin') },
      ],
      lang,
    };
  }

  /** Read-only commands are audited here; requests and decisions by the approval service. */
  async #done(at: { platform: PlatformId; chatId: string }, actor: string, spec: AnyCommandSpec, args: Record<string, unknown>, started: number): Promise<void> {
    const ms = performance.now() - started;
    this.#observe(spec.name, spec.mutating ? 'needs_approval' : 'ok', started);
    if (spec.mutating || spec.authz === 'self') return;
    await this.#d.audit.record({ kind: 'command', actor, platform: at.platform, chatId: at.chatId, command: spec.name, args, outcome: 'ok', durationMs: Math.round(ms) });
  }

  async #fail(err: unknown, log: Logger, at: { platform: PlatformId; userId: string; chatId: string }, command: string, args: Record<string, unknown> | undefined, started: number, lang: Lang, actorId?: string): Promise<Card> {
    // A reference to find the line in the log (randomUUID draws from a cached pool; randomBytes(3) cost a syscall's worth).
    const ref = randomUUID().slice(0, 6);
    // A click on an approval someone already decided (or that expired) is refused, not an error of ours.
    const outcome: Outcome =
      err instanceof StoreUnavailableError ? 'store_unavailable' : err instanceof UsageError ? 'bad_input' : err instanceof NotAllowedError || err instanceof VerificationError || err instanceof ConflictError ? 'refused' : err instanceof NothingToDoError ? 'nothing_to_do' : 'error';
    this.#observe(command, outcome, started);
    const ctx = { command, user: at.userId, ref };
    if (err instanceof OpsError && err.cause !== undefined) log.warn({ ...ctx, code: err.code, reason: err.userMessage, cause: String((err.cause as Error)?.message ?? err.cause) }, 'upstream failure');
    else if (err instanceof OpsError) log.info({ ...ctx, code: err.code, reason: err.userMessage }, 'refused');
    else log.error({ ...ctx, err }, 'command failed');
    // Approval refusals are audited by the approval service with the approval id.
    if (!(err instanceof OpsError && err.code.startsWith('approval_'))) {
      const person = actorId ?? findPerson(this.#d.policy, at.platform, at.userId)?.id;
      await this.#d.audit.record({
        kind: outcome === 'error' || outcome === 'nothing_to_do' ? 'command' : 'refuse',
        actor: person ?? `${at.platform}:${at.userId}`,
        platform: at.platform,
        chatId: at.chatId,
        ...(command !== '-' ? { command } : {}),
        ...(args ? { args } : {}),
        outcome: outcome === 'error' ? 'failed' : outcome === 'nothing_to_do' ? 'ok' : 'refused',
        reason: err instanceof NothingToDoError ? `nothing to do: ${err.userMessage}` : err instanceof OpsError ? err.userMessage : `internal error (ref ${ref})`,
      });
    }
    return errorCard(err, ref, lang);
  }

  #observe(command: string, outcome: Outcome, started: number): void {
    this.#d.metrics?.observe(command, outcome, (performance.now() - started) / 1000);
  }
}

/**
 * With several clusters, a card about one says which in its title (read on a phone, where a footer may be
 * cut). Approval cards say it in their fields.
 */
export function onClusterCard(ctx: CommandContext, spec: AnyCommandSpec, card: Card): Card {
  if (!ctx.clusters.named || !spec.kube?.length || spec.eachCluster) return card;
  return { ...card, title: `[${ctx.clusters.get(ctx.cluster).label}] ${card.title}` };
}

/** Marks replies with the language they were written in, for what renderers add (a card may say already). */
function inLang(cards: Card[], lang: Lang): Card[] {
  return cards.map((c) => (c.lang ? c : { ...c, lang }));
}
