import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** One scripted model turn. */
export interface Reply {
  content?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> | string }[];
  /** An error status instead of a completion (429, 500…), with an optional Retry-After in seconds. */
  status?: number;
  retryAfter?: number;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}
export type Turn = Reply | ((req: ChatRequest) => Reply);

const tool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    description: z.string().min(1),
    parameters: z.object({ type: z.literal('object'), properties: z.record(z.string(), z.unknown()) }).passthrough(),
  }),
});
const message = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string().nullable().optional(), tool_call_id: z.string().optional(), tool_calls: z.array(z.unknown()).optional() });
const chatRequest = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  tools: z.array(tool).optional(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().optional(),
  stream: z.boolean().optional(),
  stream_options: z.unknown().optional(),
});
export type ChatRequest = z.infer<typeof chatRequest>;

/**
 * A scripted OpenAI-compatible server on 127.0.0.1: POST /v1/chat/completions answers the next turn of
 * the script (or the fallback), as JSON or as SSE when the request streams. It validates the requests
 * as a strict server would (tool schemas, message roles, tool results answering every tool call).
 */
export class FakeOpenAI {
  readonly requests: ChatRequest[] = [];
  readonly script: Turn[] = [];
  fallback: Turn = { content: 'ok' };
  apiKey = 'sk-test-fake';
  url = '';
  #server: Server;
  #seq = 0;

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Tool messages of a request, parsed. */
  static toolResults(req: ChatRequest): { command: string; status: string; note: string; output: string; truncated?: string }[] {
    return req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content ?? '{}'));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fail = (status: number, msg: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { message: msg, type: 'invalid_request_error' } }));
    };
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') return fail(404, 'not found');
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return fail(401, 'Incorrect API key provided');
    const parsed = chatRequest.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (!parsed.success) return fail(400, `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const body = parsed.data;
    // Every tool call must be answered by a tool message (OpenAI enforces this).
    const asked = body.messages.flatMap((m) => (m.tool_calls ?? []) as { id: string }[]).map((c) => c.id);
    const answered = body.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id);
    if (asked.some((id) => !answered.includes(id))) return fail(400, 'tool_calls must be followed by tool messages');
    this.requests.push(body);
    const turn = this.script.shift() ?? this.fallback;
    const r = typeof turn === 'function' ? turn(body) : turn;
    if (r.delayMs) await new Promise((x) => setTimeout(x, r.delayMs));
    if (r.status) return fail(r.status, `scripted ${r.status}`, r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : {});
    const id = `chatcmpl-${++this.#seq}`;
    const calls = (r.toolCalls ?? []).map((c, i) => ({ id: `call_${this.#seq}_${i}`, type: 'function' as const, function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } }));
    const usage = { ...(r.usage ?? { prompt_tokens: 100, completion_tokens: 20 }), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const finish = calls.length ? 'tool_calls' : 'stop';
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: r.content ?? null, ...(calls.length ? { tool_calls: calls } : {}) }, finish_reason: finish }], usage }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: unknown, finishReason: string | null = null, extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
    send({ role: 'assistant', content: '' });
    const content = r.content ?? '';
    for (let i = 0; i < content.length; i += 7) send({ content: content.slice(i, i + 7) });
    calls.forEach((c, index) => {
      const a = c.function.arguments;
      const half = Math.floor(a.length / 2);
      send({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: a.slice(0, half) } }] });
      send({ tool_calls: [{ index, function: { arguments: a.slice(half) } }] });
    });
    send({}, finish);
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }
}
