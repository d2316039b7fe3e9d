import { createHash, timingSafeEqual } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { renderText } from '../../cards/text.js';
import type { Person, Policy } from '../config/policy.js';
import type { Approval } from '../core/approvals/types.js';
import { mayRun } from '../core/authz.js';
import type { Core } from '../core/core.js';
import { formatDuration } from '../core/duration.js';
import { type Lang, t } from '../core/i18n.js';
import type { Logger } from '../log.js';

/** The version MCP clients see (serverInfo). */
const VERSION = '0.1.0';
/** How often a waiting call tells the client it is still waiting (progress, when it asked for it). */
const PROGRESS_MS = 10_000;
/** The most text one tool result carries. */
const MAX_RESULT_CHARS = 20_000;
const FINAL = new Set<Approval['state']>(['succeeded', 'failed', 'rejected', 'expired', 'cancelled']);

/** The agent a token stands for: a person of the policy with `mcpTokenSha256`. */
export function agentByToken(policy: Policy, token: string): Person | undefined {
  if (!token || token.length > 512) return undefined;
  const got = createHash('sha256').update(token).digest();
  for (const [id, p] of Object.entries(policy.people)) {
    if (!p.mcpTokenSha256) continue;
    const want = Buffer.from(p.mcpTokenSha256, 'hex');
    if (want.length === got.length && timingSafeEqual(want, got)) return { id, name: p.name ?? id, roles: p.roles, ids: p.ids, ...(p.language ? { language: p.language } : {}) };
  }
  return undefined;
}

/** An MCP tool's name for a command (`delete-pod` → `delete_pod`), and back. */
const toolName = (command: string) => command.replace(/-/g, '_');
const APPROVAL_TOOL = 'opsbot_approval';

/**
 * opsbot as an MCP server for one agent (per request, stateless): our commands as tools with the same
 * JSON schemas the LLM gets, the ones the agent's roles allow. A read-only tool runs and answers with
 * the card as text. A mutating one creates the approval card in the policy's `mcp.target` chat ("Deploy
 * agent · MCP wants to scale …"), and the call returns when a person decided — with the result — or,
 * after `mcp.wait`, "pending" with the approval's id, which `opsbot_approval` reads later. Every call is
 * audited as the agent.
 */
export function mcpServer(core: Core, policy: Policy, agent: Person, log: Logger): Server {
  const server = new Server({ name: 'opsbot', version: VERSION }, { capabilities: { tools: {} }, instructions: 'Kubernetes operations through opsbot. Read-only tools answer at once; every change is an approval request that people decide in chat — the call returns their decision and the result, or "pending" with an id to check with opsbot_approval.' });
  const lang: Lang = agent.language ?? policy.language;
  const registry = core.router.registry;
  const target = policy.mcp.target ? core.notifier.target(policy.mcp.target) : undefined;
  // The agent as approval cards and the audit log name it.
  const caller: Person = { ...agent, name: `${agent.name} · MCP` };
  const at = target ? { platform: target.platform, userId: `mcp:${agent.id}`, chatId: target.chatId } : { platform: 'mcp', userId: `mcp:${agent.id}`, chatId: `mcp:${agent.id}` };
  const mine = () => registry.commands.filter((c) => c.llm !== false && c.authz !== 'self' && mayRun(policy, agent, c.name) && (!c.mutating || target));

  server.setRequestHandler(ListToolsRequestSchema, () => {
    const schemas = new Map(registry.tools().map((d) => [d.function.name, d.function]));
    const tools = mine().map((c) => {
      const def = schemas.get(toolName(c.name));
      return {
        name: toolName(c.name),
        description: def?.description ?? c.summary.en,
        inputSchema: (def?.parameters ?? { type: 'object' }) as { type: 'object'; [k: string]: unknown },
        annotations: { title: c.summary[lang], readOnlyHint: !c.mutating, destructiveHint: Boolean(c.mutating), idempotentHint: !c.mutating, openWorldHint: false },
      };
    });
    tools.push({
      name: APPROVAL_TOOL,
      description: 'The state of an approval request made through opsbot (its id, e.g. K7QF): pending, or decided with the result. Read-only.',
      inputSchema: { type: 'object', properties: { id: { type: 'string', description: 'Approval id, e.g. K7QF' } }, required: ['id'], additionalProperties: false },
      annotations: { title: 'Approval state', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    });
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const name = req.params.name;
    if (name === APPROVAL_TOOL) {
      const id = String((req.params.arguments ?? {})['id'] ?? '').trim().toUpperCase();
      const a = /^[A-Z0-9]{4}$/.test(id) ? await core.approvals.get(id) : undefined;
      // An agent reads its own requests only.
      if (!a || a.requester.personId !== agent.id) return text(t(lang, 'mcp.noApproval', { id: id || '?' }), true);
      return outcome(core, a, lang);
    }
    const spec = registry.find(name.replace(/_/g, '-'));
    if (!spec || !mine().includes(spec)) return text(t(lang, 'mcp.unknownTool', { name }), true);
    const r = await core.router.call(caller, at, spec.name, req.params.arguments ?? {}, lang);
    log.info({ agent: agent.id, tool: name, ok: r.ok }, 'mcp tool call');
    if (!r.ok) return text(renderText(r.card), true);
    const binding = r.card.binding;
    if (!spec.mutating || binding?.subject !== 'approval' || !target) return text(renderText(r.card), false);
    // The request is an approval card in the agent's chat; the call waits for people to decide.
    await core.notifier.post(target, r.card, { actor: agent.id, key: `mcp:${binding.id}` });
    const token = req.params._meta?.progressToken;
    const started = Date.now();
    let last = started;
    for (;;) {
      const a = await core.approvals.get(binding.id);
      if (!a) return text(t(lang, 'mcp.noApproval', { id: binding.id }), true);
      if (FINAL.has(a.state)) return outcome(core, a, lang);
      if (Date.now() - started >= policy.mcp.wait || extra.signal.aborted) {
        return text(t(lang, 'mcp.pending', { id: a.id, target: target.name, state: t(lang, `approval.state.${a.state}`), waited: formatDuration(Date.now() - started) }), false);
      }
      if (token !== undefined && Date.now() - last >= PROGRESS_MS) {
        last = Date.now();
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: Math.round((last - started) / 1000), message: t(lang, 'mcp.waiting', { id: a.id, target: target.name }) } }).catch(() => undefined);
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  });
  return server;
}

function text(s: string, isError: boolean): CallToolResult {
  const cut = s.length > MAX_RESULT_CHARS ? `${s.slice(0, MAX_RESULT_CHARS)}\n… (cut at ${MAX_RESULT_CHARS} characters)` : s;
  return { content: [{ type: 'text', text: cut }], ...(isError ? { isError: true } : {}) };
}

/** What an approval came to, for the agent: the card as text (who decided, the result), and whether it happened. */
function outcome(core: Core, a: Approval, lang: Lang): CallToolResult {
  const card = core.approvals.card(a);
  const head = t(lang, 'mcp.state', { id: a.id, state: t(lang, `approval.state.${a.state}`) });
  return { ...text(`${head}\n${renderText({ ...card, buttons: [] })}`, a.state !== 'succeeded' && a.state !== 'pending' && a.state !== 'executing'), structuredContent: { id: a.id, state: a.state, ...(a.result ? { ok: a.result.ok, summary: a.result.summary } : {}) } };
}
