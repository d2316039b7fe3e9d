import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { Card } from '../../cards/model.js';
import { renderText } from '../../cards/text.js';
import type { LlmConfig } from '../config/env.js';
import type { ApprovalService } from '../core/approvals/service.js';
import type { Audit } from '../core/audit.js';
import { prepare } from '../core/authz.js';
import { onClusterCard } from '../core/router.js';
import type { CommandContext, Diagnosis } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import { formatCommand, validateArgs } from '../core/slash-parser.js';
import type { Store } from '../core/store/store.js';
import { dateTime, dayOf, detectLang } from '../core/time.js';
import type { Logger } from '../log.js';
import { redactUrl } from '../config/url.js';
import { describeLlmError, runLoop, type LoopResult, type ToolCall, type ToolOutcome } from './loop.js';
import { ConversationMemory } from './memory.js';
import { diagnosisPrompt, postmortemPrompt, systemPrompt, toolResultMessage } from './prompt.js';
import { truncateToTokens } from './tokens.js';

export interface LlmMetrics {
  observeLlm(o: { outcome: string; rounds: number; promptTokens: number; completionTokens: number; seconds: number }): void;
}

export interface AssistantDeps {
  config: LlmConfig;
  registry: Registry;
  approvals: ApprovalService;
  audit: Audit;
  store: Store;
  log: Logger;
  now: () => number;
  metrics?: LlmMetrics;
  /** The policy's time zone: "today" for the usage counters. */
  timeZone?: string;
}

/** Requests and tokens of one day, and the last success and failure. */
export interface LlmUsage {
  day: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  lastOkAt?: number;
  lastError?: { at: number; reason: string };
}



/** Most approval requests one question may create. */
const MAX_APPROVALS = 3;

/**
 * Plain-language requests (`@bot production 里哪些 pod 在重启？`): an LLM whose tools are exactly the
 * chat commands — same schemas, same validation, same authorisation — and for which a change is only
 * ever an approval card. Works with any OpenAI-compatible server.
 */
export class Assistant {
  readonly #d: AssistantDeps;
  readonly #client?: OpenAI;
  readonly #memory: ConversationMemory;

  constructor(d: AssistantDeps) {
    this.#d = d;
    const c = d.config;
    if (c.model && (c.baseUrl || c.apiKey)) {
      this.#client = new OpenAI({
        // Local servers (Ollama, vLLM) take no key; the client still wants one.
        apiKey: c.apiKey?.reveal() ?? 'not-needed',
        ...(c.baseUrl ? { baseURL: c.baseUrl } : {}),
        timeout: c.requestTimeoutMs,
        maxRetries: c.maxRetries,
      });
    }
    this.#memory = new ConversationMemory(d.store, { turns: c.memoryTurns, tokens: c.memoryTokens, ttlMs: c.memoryTtlMs }, d.now);
  }

  get enabled(): boolean {
    return Boolean(this.#client);
  }

  /** Today's use (the policy's day, reset at its midnight) and the last failure, for the status page. */
  #today: LlmUsage = { day: '', requests: 0, tokensIn: 0, tokensOut: 0 };

  #record(ok: boolean, tokens: { prompt: number; completion: number }, error?: string): void {
    const day = dayOf(this.#d.now(), this.#d.timeZone ?? 'UTC');
    if (this.#today.day !== day) this.#today = { ...this.#today, day, requests: 0, tokensIn: 0, tokensOut: 0 };
    this.#today.requests++;
    this.#today.tokensIn += tokens.prompt;
    this.#today.tokensOut += tokens.completion;
    if (ok) this.#today.lastOkAt = this.#d.now();
    else this.#today.lastError = { at: this.#d.now(), reason: (error ?? 'failed').slice(0, 300) };
  }

  get usage(): LlmUsage & { model?: string; baseUrl?: string } {
    const day = dayOf(this.#d.now(), this.#d.timeZone ?? 'UTC');
    const u = this.#today.day === day ? this.#today : { ...this.#today, day, requests: 0, tokensIn: 0, tokensOut: 0 };
    return { ...u, ...(this.#d.config.model ? { model: this.#d.config.model } : {}), ...(this.#d.config.baseUrl ? { baseUrl: String(redactUrl(this.#d.config.baseUrl)) } : {}) };
  }

  forget(platform: string, chatId: string, personId: string): Promise<boolean> {
    return this.#memory.forget(ConversationMemory.key(platform, chatId, personId));
  }

  /** The LLM tool list: every command offered to the model, built once by the registry. */
  get tools(): ChatCompletionTool[] {
    return this.#d.registry.tools() as ChatCompletionTool[];
  }

  async answer(ctx: CommandContext, question: string): Promise<Card[]> {
    if (!this.#client) throw new Error('assistant is not configured');
    const c = this.#d.config;
    const started = this.#d.now();
    const zh = detectLang(question) === 'zh';
    const key = ConversationMemory.key(ctx.actor.platform, ctx.chatId, ctx.person.id);
    const history = await this.#memory.load(key);
    let cluster = ctx.cluster;
    try {
      cluster += ` (${(await ctx.kube.version({ signal: AbortSignal.timeout(2000) })).gitVersion})`;
    } catch {
      // the model can still work; a tool will report the cluster problem
    }
    const others = ctx.clusters.named ? ctx.clusters.names.filter((n) => n !== ctx.cluster) : [];
    if (others.length) cluster += `" by default; the tools' "cluster" argument reaches the others: "${others.join('", "')}`;
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: systemPrompt({ platform: ctx.actor.platform, cluster, person: ctx.person, namespaces: ctx.namespaces, defaultNamespace: ctx.defaultNamespace, time: dateTime(started, ctx.policy.timezone), timeZone: ctx.policy.timezone }) },
      ...history.flatMap((t): ChatCompletionMessageParam[] => [
        { role: 'user', content: t.user },
        { role: 'assistant', content: t.tools.length ? `${t.assistant}\n(commands used: ${t.tools.join('; ')})` : t.assistant },
      ]),
      { role: 'user', content: question },
    ];
    // Change requests of one question run one after another, and only the ones created count toward
    // the limit (read-only tools still run in parallel).
    let created = 0;
    let chain: Promise<unknown> = Promise.resolve();
    const requestChange = (make: () => Promise<Card>): Promise<Card | undefined> => {
      const next = chain.then(async () => {
        if (created >= MAX_APPROVALS) return undefined;
        const card = await make();
        created++;
        return card;
      });
      chain = next.catch(() => undefined);
      return next;
    };
    const result = await runLoop({
      client: this.#client,
      model: c.model as string,
      stream: c.stream,
      tools: this.tools,
      messages,
      maxRounds: c.maxRounds,
      requestTimeoutMs: c.requestTimeoutMs,
      deadline: started + c.deadlineMs,
      now: this.#d.now,
      runTool: (call) => this.#runTool(ctx, call, requestChange),
    });
    const cards = this.#cards(result, question, zh, (this.#d.now() - started) / 1000);
    const commands = result.outcomes.map((o) => o.command);
    await this.#memory.append(key, { user: question, assistant: result.text || cards[0]?.title || '', tools: commands, at: started });
    const seconds = (this.#d.now() - started) / 1000;
    this.#d.metrics?.observeLlm({ outcome: result.stop, rounds: result.rounds, promptTokens: result.usage.prompt, completionTokens: result.usage.completion, seconds });
    this.#record(result.stop !== 'llm_error', result.usage, result.error);
    await this.#d.audit.record({
      kind: 'llm',
      actor: ctx.person.id,
      platform: ctx.actor.platform,
      chatId: ctx.chatId,
      outcome: result.stop === 'llm_error' ? 'failed' : 'ok',
      reason: `${result.stop}; rounds ${result.rounds}; tokens in ${result.usage.prompt} out ${result.usage.completion}; model ${Math.round(result.modelMs)} ms${commands.length ? `; tools: ${commands.join(', ')}` : ''}${result.error ? `; ${result.error}` : ''}`,
      durationMs: Math.round(seconds * 1000),
    });
    ctx.log.info({ stop: result.stop, rounds: result.rounds, tokensIn: result.usage.prompt, tokensOut: result.usage.completion, ms: Math.round(seconds * 1000) }, 'llm answered');
    return cards;
  }

  /**
   * A slash command's result becomes part of the conversation too, so a follow-up question in plain
   * words ("再看看它的日志" after /pods production) knows what "it" is.
   */
  async remember(who: { platform: string; chatId: string; personId: string }, text: string, card: Card): Promise<void> {
    if (!this.#client) return;
    const key = ConversationMemory.key(who.platform, who.chatId, who.personId);
    await this.#memory.append(key, { user: text, assistant: truncateToTokens(renderText(card), 400).text, tools: [], at: this.#d.now() });
  }

  /**
   * One model call, no tools: a short guess at the cause from numbered evidence lines, and which lines
   * it relied on (only numbers we gave count; the card quotes our lines, never the model's). Bounded:
   * 40 lines of 300 characters in, 300 tokens out, the request timeout; audited and measured like any
   * question. Never throws: a failure is a one-line reason.
   */
  async diagnose(ctx: CommandContext, subject: string, evidence: readonly string[]): Promise<Diagnosis> {
    if (!this.#client) return { ok: false, reason: 'no model configured' };
    const c = this.#d.config;
    const started = this.#d.now();
    const lines = evidence.slice(0, 40).map((l) => (l.length > 300 ? `${l.slice(0, 299)}…` : l));
    const timeout = Math.min(c.requestTimeoutMs, 30_000);
    let out: Diagnosis;
    let usage = { prompt: 0, completion: 0 };
    try {
      const r = await this.#client.chat.completions.create({ model: c.model as string, messages: diagnosisPrompt({ subject, lang: ctx.lang, evidence: lines }), temperature: 0, max_tokens: 300 }, { timeout, signal: ctx.signal });
      usage = { prompt: r.usage?.prompt_tokens ?? 0, completion: r.usage?.completion_tokens ?? 0 };
      out = parseDiagnosis(r.choices[0]?.message?.content ?? '', lines, (this.#d.now() - started) / 1000);
    } catch (err) {
      out = { ok: false, reason: describeLlmError(err, timeout) };
    }
    const seconds = (this.#d.now() - started) / 1000;
    this.#d.metrics?.observeLlm({ outcome: out.ok ? 'answer' : 'llm_error', rounds: 1, promptTokens: usage.prompt, completionTokens: usage.completion, seconds });
    this.#record(out.ok, usage, out.ok ? undefined : out.reason);
    await this.#d.audit.record({ kind: 'llm', actor: ctx.person.id, platform: ctx.actor.platform, chatId: ctx.chatId, outcome: out.ok ? 'ok' : 'failed', reason: `diagnosis of ${subject}; tokens in ${usage.prompt} out ${usage.completion}${out.ok ? `; cited ${out.cited.length} of ${lines.length} lines` : `; ${out.reason}`}`.slice(0, 300), durationMs: Math.round(seconds * 1000) });
    return out;
  }

  /**
   * A draft summary of an incident from its timeline (postmortems): no tools, 300 tokens out, the request
   * timeout capped at 30 s; audited as opsbot's. Never throws: a failure is a one-line reason.
   */
  async summarizeIncident(subject: string, timeline: readonly string[], lang: 'en' | 'zh', where: { platform: string; chatId: string }): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
    if (!this.#client) return { ok: false, reason: 'no model configured' };
    const c = this.#d.config;
    const started = this.#d.now();
    const lines = timeline.slice(0, 40).map((l) => (l.length > 300 ? `${l.slice(0, 299)}…` : l));
    const timeout = Math.min(c.requestTimeoutMs, 30_000);
    let out: { ok: true; text: string } | { ok: false; reason: string };
    let usage = { prompt: 0, completion: 0 };
    try {
      const r = await this.#client.chat.completions.create({ model: c.model as string, messages: postmortemPrompt({ subject, lang, timeline: lines }), temperature: 0, max_tokens: 300 }, { timeout });
      usage = { prompt: r.usage?.prompt_tokens ?? 0, completion: r.usage?.completion_tokens ?? 0 };
      const text = (r.choices[0]?.message?.content ?? '').trim().slice(0, 1200);
      out = text ? { ok: true, text } : { ok: false, reason: 'the model returned nothing' };
    } catch (err) {
      out = { ok: false, reason: describeLlmError(err, timeout) };
    }
    const seconds = (this.#d.now() - started) / 1000;
    this.#d.metrics?.observeLlm({ outcome: out.ok ? 'answer' : 'llm_error', rounds: 1, promptTokens: usage.prompt, completionTokens: usage.completion, seconds });
    this.#record(out.ok, usage, out.ok ? undefined : out.reason);
    await this.#d.audit.record({ kind: 'llm', actor: 'opsbot', platform: where.platform, chatId: where.chatId, outcome: out.ok ? 'ok' : 'failed', reason: `postmortem draft of ${subject}; tokens in ${usage.prompt} out ${usage.completion}${out.ok ? '' : `; ${out.reason}`}`.slice(0, 300), durationMs: Math.round(seconds * 1000) });
    return out;
  }

  /** One tool call, exactly as the slash command would run: validated, authorised, mutating → approval. */
  async #runTool(ctx: CommandContext, call: ToolCall, requestChange: (make: () => Promise<Card>) => Promise<Card | undefined>): Promise<ToolOutcome> {
    const spec = this.#d.registry.find(call.name.replace(/_/g, '-'));
    const fail = (command: string, why: string): ToolOutcome => ({ command, ok: false, content: toolResultMessage({ command, ok: false, output: why, cutTokens: 0 }) });
    if (!spec || spec.llm === false) return fail(call.name, `unknown tool "${call.name}"`);
    let args: Record<string, unknown>;
    try {
      args = validateArgs(spec, call.arguments.trim() ? (JSON.parse(call.arguments) as unknown) : {});
    } catch (err) {
      const why = err instanceof OpsError ? `${err.userMessage}${err.hint ? ` (${err.hint})` : ''}` : 'arguments are not valid JSON';
      return fail(`/${spec.name}`, why);
    }
    let command = formatCommand(spec, args);
    try {
      const on = prepare(ctx, spec, args);
      args = on.args;
      command = formatCommand(spec, args);
      if (spec.mutating) {
        const card = await requestChange(() => this.#d.approvals.request(spec, args, on.ctx));
        if (!card) return fail(command, `at most ${MAX_APPROVALS} change requests per question`);
        const id = card.binding?.id ?? '?';
        return { command, ok: true, approval: card, content: toolResultMessage({ command, ok: true, output: `approval request ${id} created (${renderText(card).split('\n').find((l) => l.startsWith('Change:')) ?? ''}); nothing changes until a human approves it`, cutTokens: 0 }) };
      }
      const card = onClusterCard(on.ctx, spec, await spec.run(on.ctx, args));
      const t = truncateToTokens(renderText(card), this.#d.config.toolResultTokens);
      return { command, ok: true, card, content: toolResultMessage({ command, ok: true, output: t.text, cutTokens: t.cut }) };
    } catch (err) {
      if (err instanceof OpsError) return fail(command, err.userMessage);
      this.#d.log.error({ err, command }, 'llm tool failed');
      return fail(command, 'internal error');
    }
  }

  /** The reply: the answer first, then approval cards, then at most two tables the tools produced. */
  #cards(r: LoopResult, question: string, zh: boolean, seconds: number): Card[] {
    const used = [...new Set(r.outcomes.map((o) => o.command))];
    const approvalCards = r.outcomes.flatMap((o) => (o.approval ? [o.approval] : []));
    const tables = r.outcomes.flatMap((o) => (o.card && o.card.blocks.some((b) => b.type === 'table') ? [o.card] : [])).slice(-2);
    const why: Record<Exclude<LoopResult['stop'], 'answer' | 'approval'>, string> = {
      rounds: zh ? `已达到 ${this.#d.config.maxRounds} 轮工具调用上限，以下是目前查到的内容。` : `Stopped after ${this.#d.config.maxRounds} tool rounds; here is what I found so far.`,
      deadline: zh ? `已超过 ${formatDuration(this.#d.config.deadlineMs)} 的处理时限，以下是目前查到的内容。` : `Stopped at the ${formatDuration(this.#d.config.deadlineMs)} time limit; here is what I found so far.`,
      llm_error: zh ? `模型暂时不可用：${r.error ?? ''}。可以直接使用斜杠命令，例如 /pods、/logs、/status。` : `The model is unavailable: ${r.error ?? ''}. Slash commands still work, e.g. /pods, /logs, /status.`,
    };
    let text = r.text.trim();
    if (r.stop === 'approval' && !text) text = zh ? '已创建变更申请，需要有权限的人审批后才会执行。' : 'I created a change request; nothing changes until someone authorised approves it.';
    const note = r.stop === 'answer' || r.stop === 'approval' ? '' : why[r.stop];
    const found = r.stop === 'answer' || r.stop === 'approval' || !r.outcomes.length ? '' : `\n${zh ? '已查询' : 'Looked at'}: ${used.join(' · ')}`;
    const body = [note, text].filter(Boolean).join('\n') + found;
    const title = `💬 ${question.length > 60 ? question.slice(0, 57) + '…' : question}`;
    const answer: Card = {
      title,
      tone: r.stop === 'answer' || r.stop === 'approval' ? 'info' : r.stop === 'llm_error' ? 'danger' : 'warning',
      blocks: [{ type: 'markdown', text: body || (zh ? '（模型没有给出回答）' : '(the model gave no answer)') }],
      footer: [used.length ? `${zh ? '用到' : 'used'} ${used.join(' · ')}` : '', `${zh ? `工具调用 ${r.rounds} 轮` : `${r.rounds} tool ${r.rounds === 1 ? 'round' : 'rounds'}`} · ${seconds.toFixed(1)} s`].filter(Boolean).join(' · '),
    };
    return [answer, ...approvalCards, ...tables];
  }
}

/**
 * The model's reply to the diagnosis prompt: JSON (possibly fenced) with the diagnosis and the numbers
 * of the evidence lines used. Numbers outside the given lines are dropped; a reply that is not the JSON
 * asked for is still shown (as the model's words), citing nothing.
 */
export function parseDiagnosis(content: string, lines: readonly string[], seconds: number): Diagnosis {
  const body = content.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let text = body;
  let nums: unknown[] = [];
  try {
    const j = JSON.parse(body) as { diagnosis?: unknown; evidence?: unknown };
    if (typeof j.diagnosis === 'string') text = j.diagnosis;
    if (Array.isArray(j.evidence)) nums = j.evidence;
  } catch {
    // not JSON: the words stand alone, citing nothing
  }
  text = text.trim();
  if (!text) return { ok: false, reason: 'the model gave no diagnosis' };
  const cited = [...new Set(nums.map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= lines.length))].slice(0, 4).map((n) => lines[n - 1] as string);
  return { ok: true, text: text.length > 600 ? `${text.slice(0, 599)}…` : text, cited, seconds };
}
