import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAI } from '../fakes/openai-server.js';
import { httpServer } from '../fixtures/mcp-demo-server.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

const dir = mkdtempSync(join(tmpdir(), 'opsbot-mcp-client-'));
const LOG = join(dir, 'calls.log');
const PID = join(dir, 'server.pid');
const TOKEN = 'web-mcp-token-0001';
let app: TestApp;
let llm: FakeOpenAI;
let web: Awaited<ReturnType<typeof httpServer>>;

beforeAll(async () => {
  llm = await new FakeOpenAI().start();
  web = await httpServer('web', TOKEN);
  const policy = readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')
    .replace(/^language: zh$/m, 'language: en')
    // A viewer may use the web server's tools (read-only ones run; the others would be requests).
    .replace('commands: [help, status, pods, logs, describe, events, deployments, nodes, clusters, query, top, runbook]', 'commands: [help, status, pods, logs, describe, events, deployments, nodes, clusters, query, top, runbook, "mcp-web-*"]')
    .concat(`
mcp:
  servers:
    demo:
      command: [${JSON.stringify(process.execPath)}, --import, tsx, ${JSON.stringify(join(ROOT, 'test/fixtures/mcp-demo-server.ts'))}]
      env: { MCP_DEMO_LOG: ${JSON.stringify(LOG)}, MCP_DEMO_PID: ${JSON.stringify(PID)} }
      readOnly: [lookup_*]
      risk: low
      timeout: 20s
    web:
      url: ${web.url}
      tokenEnv: OPSBOT_TEST_WEB_MCP_TOKEN
      readOnly: [lookup_runbook]
`);
  writeFileSync(join(dir, 'policy.yaml'), policy);
  app = await startTestApp({ OPSBOT_CONFIG: join(dir, 'policy.yaml'), LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: 'test-model', LLM_MAX_RETRIES: '0', OPSBOT_TEST_WEB_MCP_TOKEN: TOKEN, PATH: process.env['PATH'] ?? '' });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await llm?.stop();
  web?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const status = async () => ((await (await fetch(`${app.url}/console/api/status`)).json()) as { mcp: { name: string; state: string; tools: number; restarts: number; lastError?: string }[] }).mcp;

describe('MCP servers\' tools in the LLM loop (official SDK client)', () => {
  it('both servers are up; their tools are offered to the model beside our commands, with their own schemas', async () => {
    expect((await status()).map((s) => [s.name, s.state, s.tools])).toEqual([['demo', 'up', 2], ['web', 'up', 2]]);
    llm.script.push({ content: 'ok' });
    await app.send('alice', 'what can you do?');
    const tools = llm.requests.at(-1)!.tools!.map((t) => t.function);
    const lookup = tools.find((t) => t.name === 'mcp_demo_lookup_runbook')!;
    expect(lookup.description).toMatch(/^\[MCP demo\] Find the team runbook page for a topic.*Read-only\./);
    expect(lookup.parameters).toMatchObject({ type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] });
    expect(tools.find((t) => t.name === 'mcp_demo_restart_service')!.description).toMatch(/Only creates an approval request/);
    expect(tools.some((t) => t.name === 'scale')).toBe(true);
  });

  it('a read-only tool the policy names runs at once and its answer goes back to the model', async () => {
    llm.script.push({ toolCalls: [{ name: 'mcp_demo_lookup_runbook', arguments: { topic: 'oom' } }] }, (req) => ({ content: `found: ${FakeOpenAI.toolResults(req)[0]!.output}` }));
    const [card] = await app.send('alice', 'is there a runbook for OOM?');
    expect(card!.text).toMatch(/found: .*Runbook for oom: raise the heap/s);
    expect(readFileSync(LOG, 'utf8')).toContain('lookup_runbook oom');
    // Over HTTP with its bearer token, for a viewer the `mcp-web-*` pattern allows.
    llm.script.push({ toolCalls: [{ name: 'mcp_web_lookup_runbook', arguments: { topic: 'disk' } }] }, (req) => ({ content: FakeOpenAI.toolResults(req)[0]!.output }));
    const [viewer] = await app.send('carol', 'runbook for disk?');
    expect(viewer!.text).toMatch(/Runbook for disk/);
    expect(web.calls).toEqual(['lookup_runbook']);
  });

  it('any other tool is a change: an approval card (no dry run), run on the server only once approved', async () => {
    llm.script.push({ toolCalls: [{ name: 'mcp_demo_restart_service', arguments: { service: 'billing', reason: 'stuck' } }] });
    const cards = await app.send('alice', 'restart the billing service on the VMs');
    const approval = cards.find((c) => /^Approval needed/.test(c.title))!;
    expect(approval, JSON.stringify(cards.map((c) => c.title))).toBeTruthy();
    expect(approval.text).toMatch(/restart_service \{"service":"billing","reason":"stuck"\} · no dry run \(an external tool\)/);
    expect(readFileSync(LOG, 'utf8')).not.toContain('restart_service');
    await app.click('bob', approval.id, 'approve');
    for (let i = 0; i < 100 && !readFileSync(LOG, 'utf8').includes('restart_service billing'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(LOG, 'utf8')).toContain('restart_service billing');
    await app.dispatcher.idle();
    const done = await app.card(approval.id);
    expect(done.title).toMatch(/^Done/);
  }, 30_000);

  it('a server that dies is reported and started again with backoff; its tools answer "unavailable" meanwhile', async () => {
    const pid = Number(readFileSync(PID, 'utf8'));
    process.kill(pid, 'SIGKILL');
    let s = await status();
    for (let i = 0; i < 50 && s.find((x) => x.name === 'demo')!.state === 'up'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await status();
    }
    const down = s.find((x) => x.name === 'demo')!;
    expect(down.restarts).toBeGreaterThanOrEqual(1);
    expect(down.state).toBe('down');
    // Called while it is down (the first retry waits a second): a clear refusal, nothing hangs.
    const alice = { id: 'alice', name: 'Alice Wang', roles: ['oncall'], ids: { console: 'alice' } };
    const r = await app.router.call(alice, { platform: 'console', userId: 'alice', chatId: 'console' }, 'mcp-demo-lookup-runbook', { topic: 'x' }, 'en');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/MCP server demo is unavailable \(reconnecting\)/);
    for (let i = 0; i < 100 && (s.find((x) => x.name === 'demo')!.state !== 'up' || !existsSync(PID) || Number(readFileSync(PID, 'utf8')) === pid); i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await status();
    }
    expect(s.find((x) => x.name === 'demo')!.state).toBe('up');
    expect(Number(readFileSync(PID, 'utf8'))).not.toBe(pid);
    llm.script.push({ toolCalls: [{ name: 'mcp_demo_lookup_runbook', arguments: { topic: 'again' } }] }, (req) => ({ content: FakeOpenAI.toolResults(req)[0]!.output }));
    const [card] = await app.send('alice', 'runbook again?');
    expect(card!.text).toMatch(/Runbook for again/);
  }, 30_000);
});
