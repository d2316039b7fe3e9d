import { randomBytes } from 'node:crypto';
import type { Card } from '../../cards/model.js';
import { errorCard } from '../../cards/error.js';
import { findPerson, type Person, type PlatformId, type Policy } from '../config/policy.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import { authorize, namespacesOf } from './authz.js';
import type { AnyCommandSpec, CommandContext, Preview } from './command.js';
import { NotAllowedError, OpsError, UsageError, VerificationError } from './errors.js';
import type { PayloadSigner } from './payload.js';
import { Registry } from './registry.js';
import { validateArgs } from './slash-parser.js';
import { detectLang } from './time.js';

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

export interface CommandMetrics {
  observe(command: string, outcome: 'ok' | 'refused' | 'bad_input' | 'error' | 'needs_approval', seconds: number): void;
}

export interface RouterDeps {
  registry: Registry;
  kube: KubeClient;
  policy: Policy;
  log: Logger;
  signer: PayloadSigner;
  now?: () => number;
  metrics?: CommandMetrics;
  /** Upper bound for one read-only command, Kubernetes calls included. */
  commandTimeoutMs?: number;
}

/**
 * Platform-neutral handling of what people send and click: identify → parse → authorise → run (or, for
 * mutating commands, preview and hand to approvals) → card. One error boundary turns every failure
 * into a reply card and a log line that share a reference.
 */
export class Router {
  readonly #d: Required<Omit<RouterDeps, 'metrics'>> & { metrics?: CommandMetrics };

  constructor(deps: RouterDeps) {
    this.#d = { now: Date.now, commandTimeoutMs: 30_000, ...deps };
  }

  async message(m: MessageIn): Promise<Card[]> {
    const log = this.#d.log.child({ platform: m.platform, chatId: m.chatId });
    const started = performance.now();
    let command = '-';
    try {
      const person = this.#identify(m.platform, m.userId);
      if (!Registry.isCommand(m.text)) return [this.#notACommand(person)];
      const parsed = this.#d.registry.parse(m.text);
      command = parsed.spec.name;
      const card = await this.#execute(parsed.spec, parsed.args, person, m.chatId, detectLang(m.text), log);
      this.#observe(command, parsed.spec.mutating ? 'needs_approval' : 'ok', started);
      return [card];
    } catch (err) {
      this.#observe(command, outcomeOf(err), started);
      return [this.#fail(err, log, { command, user: m.userId })];
    }
  }

  async click(c: ClickIn): Promise<Card[]> {
    const log = this.#d.log.child({ platform: c.platform, chatId: c.chatId, kind: 'click' });
    const started = performance.now();
    let command = '-';
    try {
      const payload = this.#d.signer.verify(c.payload, BUTTON_MAX_AGE_MS, this.#d.now());
      if (payload.ch !== c.chatId) throw new VerificationError('button belongs to another chat');
      const person = this.#identify(c.platform, c.userId);
      if (payload.k !== 'run') throw new UsageError('approval buttons are not enabled in this build yet; nothing was changed');
      const spec = this.#d.registry.find(payload.c);
      // Buttons only ever run read-only commands; a mutating one must go through a typed request and approval.
      if (!spec || spec.mutating) throw new VerificationError('button names no read-only command');
      command = spec.name;
      const args = validateArgs(spec, payload.a);
      const card = await this.#execute(spec, args, person, c.chatId, 'en', log);
      this.#observe(command, 'ok', started);
      return [card];
    } catch (err) {
      this.#observe(command, outcomeOf(err), started);
      return [this.#fail(err, log, { command, user: c.userId })];
    }
  }

  async #execute(spec: AnyCommandSpec, args: Record<string, unknown>, person: Person, chatId: string, lang: 'en' | 'zh', log: Logger): Promise<Card> {
    const p = this.#d.policy;
    const namespace = 'namespace' in spec.args.shape && !args['all'] ? ((args['namespace'] as string | undefined) ?? p.namespaces.default) : undefined;
    authorize(p, person, spec, namespace);
    const signal = AbortSignal.timeout(this.#d.commandTimeoutMs);
    const ctx: CommandContext = {
      kube: this.#d.kube,
      policy: p,
      person,
      lang,
      log,
      signal,
      now: this.#d.now,
      defaultNamespace: p.namespaces.default,
      namespaces: namespacesOf(p, person),
      commands: this.#d.registry.commands,
      button: (label, command, a) => ({ label, style: 'default', value: this.#d.signer.sign({ k: 'run', c: command, a, ch: chatId, t: this.#d.now() }) }),
    };
    spec.check?.(ctx, args);
    log.info({ command: spec.name, args, person: person.id }, spec.mutating ? 'change requested' : 'command');
    if (spec.mutating) {
      const preview = spec.preview ? await spec.preview(ctx, args) : undefined;
      return needsApprovalCard(spec, preview, person);
    }
    return spec.run(ctx, args);
  }

  #identify(platform: PlatformId, userId: string): Person {
    const person = findPerson(this.#d.policy, platform, userId);
    if (!person) throw new NotAllowedError(`${platform} user "${userId}" is not in the opsbot policy; ask an admin to add you under people`, 'unknown_user');
    return person;
  }

  #notACommand(person: Person): Card {
    const names = this.#d.registry.commands.filter((c) => !c.mutating).map((c) => `/${c.name}`);
    return {
      title: 'Plain-language requests are not enabled yet',
      tone: 'info',
      blocks: [{ type: 'markdown', text: `Hi ${person.name}, I understand slash commands for now: ${names.join(' ')}\nSend /help for details. 目前仅支持斜杠命令，发送 /help 查看。` }],
    };
  }

  #fail(err: unknown, log: Logger, ctx: Record<string, unknown>): Card {
    const ref = randomBytes(3).toString('hex');
    if (err instanceof OpsError && err.cause !== undefined) log.warn({ ...ctx, ref, code: err.code, reason: err.userMessage, cause: String((err.cause as Error)?.message ?? err.cause) }, 'upstream failure');
    else if (err instanceof OpsError) log.info({ ...ctx, ref, code: err.code, reason: err.userMessage }, 'refused');
    else log.error({ ...ctx, ref, err }, 'command failed');
    return errorCard(err, ref);
  }

  #observe(command: string, outcome: Parameters<CommandMetrics['observe']>[1], started: number): void {
    this.#d.metrics?.observe(command, outcome, (performance.now() - started) / 1000);
  }
}

function outcomeOf(err: unknown): 'refused' | 'bad_input' | 'error' {
  if (err instanceof UsageError) return 'bad_input';
  if (err instanceof NotAllowedError || err instanceof VerificationError) return 'refused';
  return 'error';
}

/** Until approvals land (issue #4), a mutating command stops at its validated preview. Nothing runs. */
function needsApprovalCard(spec: AnyCommandSpec, preview: Preview | undefined, person: Person): Card {
  const risk = spec.mutating ? spec.mutating.risk : 'low';
  return {
    title: `Needs approval · ${spec.name} ${preview?.target ?? ''}`.trim(),
    tone: 'warning',
    blocks: [
      {
        type: 'fields',
        items: [
          ...(preview ? [{ label: 'Change', value: `${preview.target}: ${preview.change} · dry run ✓` }] : []),
          { label: 'Risk', value: risk },
          { label: 'Requested by', value: person.name },
        ],
      },
      { type: 'markdown', text: '/' + spec.name + ' changes the cluster, so it runs only after an authorised person approves it. Approval buttons are not enabled in this build yet: **nothing was changed**.' },
    ],
  };
}
