import OpenAI from 'openai';
import type { Card } from '../../cards/model.js';
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall, ChatCompletionTool } from 'openai/resources/chat/completions';

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What running one tool call gave: the text for the model, and what the user should see. */
export interface ToolOutcome {
  command: string;
  ok: boolean;
  /** Goes back to the model (already wrapped and truncated). */
  content: string;
  /** The command's card, for the reply. */
  card?: Card;
  /** A mutating call became an approval request: the loop ends here. */
  approval?: Card;
}

export type StopReason = 'answer' | 'approval' | 'rounds' | 'deadline' | 'llm_error';

export interface LoopResult {
  stop: StopReason;
  /** The model's last text (an answer, or its explanation next to an approval). */
  text: string;
  /** Why the model could not be used, in one line (llm_error). */
  error?: string;
  outcomes: ToolOutcome[];
  rounds: number;
  usage: { prompt: number; completion: number };
  modelMs: number;
}

export interface LoopOptions {
  client: OpenAI;
  model: string;
  stream: boolean;
  tools: ChatCompletionTool[];
  messages: ChatCompletionMessageParam[];
  maxRounds: number;
  requestTimeoutMs: number;
  /** Absolute time (ms) by which everything must be done. */
  deadline: number;
  runTool(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome>;
  now?: () => number;
}

/** At most this many tool calls are run from one model turn; the rest are answered with an error. */
const MAX_CALLS_PER_ROUND = 8;

/**
 * The tool-calling loop: ask the model, run the tools it calls (in parallel), hand the results back,
 * until it answers — bounded by rounds, a per-request timeout and an overall deadline. A mutating call
 * never executes: its tool creates an approval request and the loop ends there.
 */
export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const now = o.now ?? Date.now;
  const usage = { prompt: 0, completion: 0 };
  const outcomes: ToolOutcome[] = [];
  let modelMs = 0;
  let text = '';
  for (let round = 0; ; round++) {
    if (round >= o.maxRounds) return { stop: 'rounds', text, outcomes, rounds: round, usage, modelMs };
    const left = o.deadline - now();
    if (left <= 0) return { stop: 'deadline', text, outcomes, rounds: round, usage, modelMs };
    const timeout = Math.min(o.requestTimeoutMs, left);
    const started = now();
    let turn: { content: string; toolCalls: ToolCall[]; usage?: { prompt_tokens: number; completion_tokens: number } | undefined };
    try {
      turn = o.stream ? await streamTurn(o, timeout) : await plainTurn(o, timeout);
    } catch (err) {
      modelMs += now() - started;
      if (now() >= o.deadline) return { stop: 'deadline', text, outcomes, rounds: round, usage, modelMs };
      return { stop: 'llm_error', text, error: describeLlmError(err, timeout), outcomes, rounds: round, usage, modelMs };
    }
    modelMs += now() - started;
    usage.prompt += turn.usage?.prompt_tokens ?? 0;
    usage.completion += turn.usage?.completion_tokens ?? 0;
    if (turn.content) text = turn.content;
    if (!turn.toolCalls.length) return { stop: 'answer', text: turn.content, outcomes, rounds: round, usage, modelMs };

    o.messages.push({
      role: 'assistant',
      content: turn.content || null,
      tool_calls: turn.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) as ChatCompletionMessageToolCall[],
    });
    const signal = AbortSignal.timeout(Math.max(1, o.deadline - now()));
    const results = await Promise.all(
      turn.toolCalls.map((c, i) =>
        i < MAX_CALLS_PER_ROUND
          ? o.runTool(c, signal)
          : Promise.resolve<ToolOutcome>({ command: c.name, ok: false, content: JSON.stringify({ status: 'error', output: `at most ${MAX_CALLS_PER_ROUND} tool calls per turn` }) }),
      ),
    );
    results.forEach((r, i) => o.messages.push({ role: 'tool', tool_call_id: (turn.toolCalls[i] as ToolCall).id, content: r.content }));
    outcomes.push(...results);
    if (results.some((r) => r.approval)) return { stop: 'approval', text: turn.content, outcomes, rounds: round + 1, usage, modelMs };
  }
}

// `parallel_tool_calls` is not sent: OpenAI defaults it to true, and stricter compatible servers refuse
// parameters they do not know.
async function plainTurn(o: LoopOptions, timeout: number) {
  const res = await o.client.chat.completions.create(
    { model: o.model, messages: o.messages, tools: o.tools, tool_choice: 'auto' },
    { timeout },
  );
  const msg = res.choices[0]?.message;
  const toolCalls = (msg?.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments ?? '' }] : []));
  return { content: msg?.content ?? '', toolCalls, usage: res.usage };
}

/** Streaming: content deltas are joined; tool calls arrive in pieces keyed by index. */
async function streamTurn(o: LoopOptions, timeout: number) {
  const stream = await o.client.chat.completions.create(
    { model: o.model, messages: o.messages, tools: o.tools, tool_choice: 'auto', stream: true, stream_options: { include_usage: true } },
    { timeout },
  );
  let content = '';
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  const calls: { id: string; name: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const d = chunk.choices[0]?.delta;
    if (!d) continue;
    if (d.content) content += d.content;
    for (const tc of d.tool_calls ?? []) {
      const c = (calls[tc.index] ??= { id: '', name: '', arguments: '' });
      if (tc.id) c.id = tc.id;
      if (tc.function?.name) c.name += tc.function.name;
      if (tc.function?.arguments) c.arguments += tc.function.arguments;
    }
  }
  return { content, toolCalls: calls.filter(Boolean).map((c, i) => ({ ...c, id: c.id || `call_${i}` })), usage };
}

/** One line a person can act on; never the raw body or the URL's query. */
export function describeLlmError(err: unknown, timeoutMs: number): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError || (err as { name?: string })?.name === 'AbortError') return `the model did not answer within ${Math.round(timeoutMs / 1000)} s`;
  if (err instanceof OpenAI.APIConnectionError) return 'cannot reach the model server (check LLM_BASE_URL and that the server is up)';
  if (err instanceof OpenAI.RateLimitError) return 'the model server is rate-limiting requests (429); try again in a minute';
  if (err instanceof OpenAI.AuthenticationError) return 'the model server refused the API key (401); check LLM_API_KEY';
  if (err instanceof OpenAI.PermissionDeniedError) return 'the model server denied access (403); check the key\'s permissions';
  if (err instanceof OpenAI.NotFoundError) return 'the model server does not know this model (404); check LLM_MODEL and LLM_BASE_URL';
  if (err instanceof OpenAI.BadRequestError) return `the model server rejected the request (400): ${firstLine(err.message)}`;
  if (err instanceof OpenAI.APIError) return `the model server failed (HTTP ${err.status ?? '?'})`;
  return 'the model request failed';
}

function firstLine(s: string): string {
  const l = (s.split('\n')[0] ?? '').replace(/^\d{3}\s*/, '');
  return l.length > 160 ? l.slice(0, 157) + '...' : l;
}
