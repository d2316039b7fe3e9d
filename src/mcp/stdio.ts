import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * `opsbot mcp` (`./start.sh mcp`): opsbot as a stdio MCP server for an agent on this machine. It holds no
 * state and no cluster access of its own: every call goes to the running bot's /mcp (OPSBOT_URL, with the
 * agent's OPSBOT_MCP_TOKEN), where the policy, the approvals and the chats are. One source of truth, one
 * audit log, whichever transport the agent speaks.
 */
export async function runMcpStdio(env: NodeJS.ProcessEnv): Promise<void> {
  const url = env['OPSBOT_URL'] ?? `http://127.0.0.1:${env['PORT'] ?? '3000'}`;
  const token = env['OPSBOT_MCP_TOKEN'];
  if (!token) {
    process.stderr.write('opsbot mcp: set OPSBOT_MCP_TOKEN to the agent\'s token (its SHA-256 is people.<agent>.mcpTokenSha256 in the policy)\n');
    process.exit(2);
  }
  const upstream = new Client({ name: 'opsbot-mcp-stdio', version: '0.1.0' });
  await upstream.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  const info = upstream.getServerVersion();
  const server = new Server({ name: info?.name ?? 'opsbot', version: info?.version ?? '0.1.0' }, { capabilities: { tools: {} }, ...(upstream.getInstructions() ? { instructions: upstream.getInstructions() as string } : {}) });
  server.setRequestHandler(ListToolsRequestSchema, (req) => upstream.listTools(req.params));
  // A change waits for people: the call may take minutes (the bot answers "pending" after mcp.wait).
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => upstream.callTool(req.params, undefined, { timeout: 30 * 60_000, signal: extra.signal }) as never);
  await server.connect(new StdioServerTransport());
  const stop = () => void Promise.allSettled([server.close(), upstream.close()]).then(() => process.exit(0));
  process.stdin.once('end', stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
