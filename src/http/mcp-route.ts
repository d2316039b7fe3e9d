import Router from '@koa/router';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Policy } from '../config/policy.js';
import type { Core } from '../core/core.js';
import type { Logger } from '../log.js';
import { agentByToken, mcpServer } from '../mcp/server.js';
import { readRawBody } from './raw-body.js';

/** Most tool calls one agent has open at once (each may wait minutes for people). */
const MAX_OPEN_PER_AGENT = 8;
const BODY_LIMIT = 1024 * 1024;

/**
 * POST /mcp: the MCP Streamable HTTP transport, stateless (a server per request), behind a bearer token
 * per agent (policy people.<id>.mcpTokenSha256, compared in constant time before the body is read).
 * GET and DELETE (server-initiated streams, sessions) are not offered: 405, as the spec allows.
 */
export function mcpRoutes(o: { core: Core; policy: Policy; log: Logger }): Router {
  const r = new Router();
  const open = new Map<string, number>();
  const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });
  r.post('/mcp', async (ctx) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
    const agent = agentByToken(o.policy, token);
    if (!agent) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="opsbot-mcp"');
      ctx.body = rpcError(-32001, 'a bearer token of an MCP agent is required (policy people.<id>.mcpTokenSha256)');
      return;
    }
    if ((open.get(agent.id) ?? 0) >= MAX_OPEN_PER_AGENT) {
      ctx.status = 429;
      ctx.set('Retry-After', '5');
      ctx.body = rpcError(-32002, `at most ${MAX_OPEN_PER_AGENT} calls at once per agent`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readRawBody(ctx, BODY_LIMIT)).toString('utf8'));
    } catch (e) {
      ctx.status = (e as { status?: number }).status ?? 400;
      ctx.body = rpcError(-32700, ctx.status === 413 ? 'body too large' : 'body is not JSON');
      return;
    }
    open.set(agent.id, (open.get(agent.id) ?? 0) + 1);
    const server = mcpServer(o.core, o.policy, agent, o.log);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    ctx.respond = false;
    const done = () => {
      open.set(agent.id, Math.max(0, (open.get(agent.id) ?? 1) - 1));
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    };
    ctx.res.once('close', done);
    try {
      await server.connect(transport);
      await transport.handleRequest(ctx.req, ctx.res, body);
    } catch (err) {
      o.log.error({ err, agent: agent.id }, 'mcp request failed');
      if (!ctx.res.headersSent) {
        ctx.res.writeHead(500, { 'content-type': 'application/json' });
        ctx.res.end(JSON.stringify(rpcError(-32603, 'internal error')));
      }
    }
  });
  for (const method of ['get', 'delete'] as const) {
    r[method]('/mcp', (ctx) => {
      ctx.status = 405;
      ctx.set('Allow', 'POST');
      ctx.body = rpcError(-32000, 'opsbot serves MCP statelessly over POST only');
    });
  }
  return r;
}
