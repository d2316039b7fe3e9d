import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import type { Card } from '../../cards/model.js';
import type { Policy } from '../config/policy.js';
import type { AnyCommandSpec } from '../core/command.js';
import { UpstreamError } from '../core/errors.js';
import { t } from '../core/i18n.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../log.js';

type ServerConfig = Policy['mcp']['servers'][string];

/** What the status page shows of one server. */
export interface McpServerStatus {
  name: string;
  state: 'connecting' | 'up' | 'down';
  tools: number;
  since: number;
  lastError?: string;
  restarts: number;
}

const MAX_TOOLS = 100;
const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/**
 * The MCP servers of the policy (`mcp.servers`), connected with the official SDK over stdio or
 * streamable HTTP. Each server's tools become commands `mcp-<server>-<tool>` — offered to the LLM with
 * their own input schemas, run by the router like any command: read-only when the policy's `readOnly`
 * names them, otherwise a change that people approve first (no dry run exists for them, and the card
 * says so). Calls are bounded in time and in answer size. A server that goes away is reported on the
 * status page and connected again with backoff (1 s doubling to 60 s); its tools stay listed and answer
 * "unavailable" meanwhile, so a pending approval of one still fails clearly rather than vanishing.
 */
export class McpClients {
  readonly #servers = new Map<string, { cfg: ServerConfig; client?: Client; status: McpServerStatus; backoff: number; timer?: NodeJS.Timeout }>();
  #closed = false;

  constructor(private readonly o: { policy: Policy; registry: Registry; log: Logger; env: (name: string) => string | undefined; backoffMs?: number }) {
    for (const [name, cfg] of Object.entries(o.policy.mcp.servers)) {
      this.#servers.set(name, { cfg, status: { name, state: 'connecting', tools: 0, since: Date.now(), restarts: 0 }, backoff: o.backoffMs ?? MIN_BACKOFF_MS });
    }
  }

  /** Connects every server (each within its timeout); those that fail are retried in the background. */
  async start(): Promise<void> {
    await Promise.all([...this.#servers.keys()].map((n) => this.#connect(n)));
  }

  status(): McpServerStatus[] {
    return [...this.#servers.values()].map((s) => ({ ...s.status }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(
      [...this.#servers.values()].map(async (s) => {
        clearTimeout(s.timer);
        await s.client?.close();
      }),
    );
  }

  async #connect(name: string): Promise<void> {
    const s = this.#servers.get(name);
    if (!s || this.#closed) return;
    const log = this.o.log.child({ mcpServer: name });
    const client = new Client({ name: 'opsbot', version: '0.1.0' });
    let transport: Transport;
    if (s.cfg.url) {
      const token = s.cfg.tokenEnv ? this.o.env(s.cfg.tokenEnv) : undefined;
      transport = new StreamableHTTPClientTransport(new URL(s.cfg.url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
    } else {
      const [command, ...args] = s.cfg.command as [string, ...string[]];
      // The server gets PATH and what the policy gives it, not opsbot's secrets.
      transport = new StdioClientTransport({ command, args, env: { PATH: this.o.env('PATH') ?? '', ...s.cfg.env }, stderr: 'pipe' });
    }
    try {
      await client.connect(transport, { timeout: s.cfg.timeout });
      const { tools } = await client.listTools(undefined, { timeout: s.cfg.timeout });
      const specs = tools.slice(0, MAX_TOOLS).flatMap((tool) => this.#spec(name, s.cfg, tool) ?? []);
      const refused = this.o.registry.setExtra(`mcp:${name}`, specs);
      if (refused.length) log.warn({ refused }, 'mcp: tools whose names another command has are left out');
      if (tools.length > MAX_TOOLS) log.warn({ tools: tools.length, kept: MAX_TOOLS }, 'mcp: more tools than kept');
      s.client = client;
      s.status = { ...s.status, state: 'up', tools: specs.length - refused.length, since: Date.now() };
      delete s.status.lastError;
      s.backoff = this.o.backoffMs ?? MIN_BACKOFF_MS;
      log.info({ tools: specs.map((x) => x.name) }, 'mcp server connected');
      // The process exits, the connection drops: reported, then connected again with backoff.
      client.onclose = () => {
        if (this.#closed || s.client !== client) return;
        s.client = undefined;
        this.#down(name, 'the connection closed');
      };
    } catch (err) {
      await client.close().catch(() => undefined);
      this.#down(name, (err as Error).message.split('\n')[0]?.slice(0, 200) ?? 'connect failed');
    }
  }

  #down(name: string, reason: string): void {
    const s = this.#servers.get(name);
    if (!s || this.#closed) return;
    s.status = { ...s.status, state: 'down', since: Date.now(), lastError: reason, restarts: s.status.restarts + 1 };
    this.o.log.warn({ mcpServer: name, reason, retryInMs: s.backoff }, 'mcp server unavailable; connecting again');
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.#connect(name), s.backoff);
    s.timer.unref();
    s.backoff = Math.min(s.backoff * 2, MAX_BACKOFF_MS);
  }

  /** A tool as a command: `mcp-<server>-<tool>`, its schema the tool's own, read-only only when the policy says so. */
  #spec(server: string, cfg: ServerConfig, tool: { name: string; description?: string | undefined; inputSchema: Record<string, unknown>; title?: string | undefined }): AnyCommandSpec | undefined {
    const command = `mcp-${server}-${tool.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
    if (command.length > 64) return undefined;
    const readOnly = cfg.readOnly.some((p) => (p.endsWith('*') ? tool.name.startsWith(p.slice(0, -1)) : p === tool.name));
    let args: z.ZodObject;
    try {
      const converted = z.fromJSONSchema(tool.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
      args = converted instanceof z.ZodObject ? converted : z.looseObject({});
    } catch {
      args = z.looseObject({});
    }
    const summary = (tool.description ?? tool.title ?? tool.name).split('\n')[0]?.slice(0, 200) ?? tool.name;
    const call = (a: Record<string, unknown>, signal: AbortSignal) => this.#call(server, cfg, tool.name, a, signal);
    const spec: AnyCommandSpec = {
      name: command,
      summary: { en: `[MCP ${server}] ${summary}`, zh: `[MCP ${server}] ${summary}` },
      args,
      positionals: [],
      jsonSchema: tool.inputSchema,
      mutating: readOnly ? false : { risk: cfg.risk },
      ...(readOnly
        ? {}
        : {
            // No dry run exists for someone else's tool: the approver sees exactly what will be called.
            preview: async (_ctx, a: Record<string, unknown>) => ({ target: `mcp:${server}`, change: `${tool.name} ${JSON.stringify(a).slice(0, 300)}`, before: null, unchecked: true as const }),
          }),
      run: async (ctx, a: Record<string, unknown>) => call(a, ctx.signal).then((r) => resultCard(server, tool.name, r, ctx.lang)),
    };
    return spec;
  }

  async #call(server: string, cfg: ServerConfig, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<{ text: string; isError: boolean }> {
    const client = this.#servers.get(server)?.client;
    if (!client) throw new UpstreamError({ en: `MCP server ${server} is unavailable (reconnecting); try again shortly`, zh: `MCP 服务 ${server} 暂不可用（正在重连），请稍后重试` }, { code: 'mcp_unavailable' });
    let r: Awaited<ReturnType<Client['callTool']>>;
    try {
      r = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: cfg.timeout, signal });
    } catch (err) {
      throw new UpstreamError({ en: `MCP ${server}/${tool}: ${(err as Error).message.split('\n')[0]?.slice(0, 200)}`, zh: `MCP ${server}/${tool}：${(err as Error).message.split('\n')[0]?.slice(0, 200)}` }, { code: 'mcp_error', cause: err });
    }
    const parts = ((r as { content?: { type: string; text?: string }[] }).content ?? []).map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`));
    let text = parts.join('\n').trim();
    if (!text && (r as { structuredContent?: unknown }).structuredContent !== undefined) text = JSON.stringify((r as { structuredContent?: unknown }).structuredContent);
    if (text.length > cfg.maxResultChars) text = `${text.slice(0, cfg.maxResultChars)}\n… (${text.length - cfg.maxResultChars} more characters not shown)`;
    return { text, isError: Boolean((r as { isError?: boolean }).isError) };
  }
}

function resultCard(server: string, tool: string, r: { text: string; isError: boolean }, lang: 'en' | 'zh'): Card {
  return {
    title: t(lang, r.isError ? 'mcp.tool.failed' : 'mcp.tool.done', { server, tool }),
    tone: r.isError ? 'danger' : 'info',
    blocks: [r.text ? { type: 'code', text: r.text } : { type: 'markdown', text: t(lang, 'mcp.tool.empty') }],
  };
}
