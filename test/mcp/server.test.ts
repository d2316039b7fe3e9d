import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

const TOKEN = 'mcp-test-token-deploy-agent-0001';
const dir = mkdtempSync(join(tmpdir(), 'opsbot-mcp-'));
let app: TestApp;

beforeAll(async () => {
  const sha = createHash('sha256').update(TOKEN).digest('hex');
  const policy = readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')
    .replace(/^language: zh$/m, 'language: en')
    .replace(/^people:\n/m, `people:\n  deploy-agent:\n    name: Deploy agent\n    roles: [oncall]\n    mcpTokenSha256: ${sha}\n`)
    .concat('\nmcp:\n  target: demo-room\n  wait: 6s\n');
  writeFileSync(join(dir, 'policy.yaml'), policy);
  app = await startTestApp({ OPSBOT_CONFIG: join(dir, 'policy.yaml') });
});
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function http(token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', app.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

type Entry = { card?: { id: string; title: string; text: string } };
async function approvalCard(match: RegExp): Promise<{ id: string; title: string; text: string }> {
  for (let i = 0; i < 100; i++) {
    const r = (await (await fetch(`${app.url}/console/api/history?chat=console`)).json()) as { entries: Entry[] };
    const c = r.entries.map((e) => e.card).find((x) => x && /^Approval needed/.test(x.title) && match.test(x.text));
    if (c) return c;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('no approval card in the console room');
}
const textOf = (r: unknown) => (((r as { content?: unknown }).content as { type: string; text: string }[]) ?? []).map((c) => c.text).join('\n');

describe('opsbot as an MCP server (official SDK client)', () => {
  it('refuses a missing or wrong bearer token', async () => {
    await expect(http('wrong-token')).rejects.toThrow();
    const res = await fetch(`${app.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${app.url}/mcp`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('lists the commands the agent\'s roles allow, with their schemas and read-only / destructive hints', async () => {
    const client = await http();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('pods')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get('scale')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('scale')?.inputSchema).toMatchObject({ type: 'object', required: expect.arrayContaining(['deployment', 'replicas']) });
    expect(byName.has('delete_pod')).toBe(true);
    expect(byName.has('opsbot_approval')).toBe(true);
    // Approving is for people: never a tool.
    for (const n of ['approve', 'reject', 'cancel']) expect(byName.has(n)).toBe(false);
    await client.close();
  });

  it('a read-only tool answers at once, audited as the agent', async () => {
    const client = await http();
    const r = await client.callTool({ name: 'pods', arguments: { namespace: 'production' } });
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toMatch(/api-gateway/);
    const bad = await client.callTool({ name: 'scale', arguments: { deployment: 'api-gateway', replicas: 'many' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/replicas/);
    await client.close();
    const audit = await app.audit();
    expect(audit.some((e) => e.kind === 'command' && e.command === 'pods' && e.actor === 'deploy-agent')).toBe(true);
  });

  it('a change becomes an approval card in the console; approving it completes the agent\'s call with the result', async () => {
    const before = (await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas!;
    const client = await http();
    const call = client.callTool({ name: 'scale', arguments: { deployment: 'api-gateway', replicas: before + 1, namespace: 'production' } });
    const card = await approvalCard(/Deploy agent · MCP/);
    expect(card.text).toContain(`replicas ${before} → ${before + 1}`);
    // Nothing ran yet.
    expect((await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas).toBe(before);
    expect((await app.click('bob', card.id, 'approve')).status).toBe(200);
    const r = await call;
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toMatch(/: succeeded/);
    expect(textOf(r)).toMatch(/scaled production\/api-gateway/);
    expect(r.structuredContent).toMatchObject({ state: 'succeeded', ok: true });
    expect((await app.kube.readDeployment('production', 'api-gateway')).spec!.replicas).toBe(before + 1);
    const audit = await app.audit();
    expect(audit.find((e) => e.kind === 'request' && e.command === 'scale' && e.actor === 'deploy-agent')).toBeTruthy();
    expect(audit.find((e) => e.kind === 'approve' && e.actor === 'bob')).toBeTruthy();
    await client.close();
  }, 30_000);

  it('no decision within mcp.wait: "pending" with the id; opsbot_approval reads the decision later; a rejection is an error result', async () => {
    const client = await http();
    const r = await client.callTool({ name: 'restart', arguments: { deployment: 'user-service', namespace: 'production' } });
    expect(textOf(r)).toMatch(/^pending, id [A-Z0-9]{4}: waiting for people to decide in demo-room/);
    const id = /id ([A-Z0-9]{4})/.exec(textOf(r))![1]!;
    const still = await client.callTool({ name: 'opsbot_approval', arguments: { id } });
    expect(textOf(still)).toMatch(new RegExp(`approval ${id}: pending`));
    const card = await approvalCard(new RegExp(`restart|user-service`));
    await app.click('bob', card.id, 'reject');
    const decided = await client.callTool({ name: 'opsbot_approval', arguments: { id } });
    expect(textOf(decided)).toMatch(new RegExp(`approval ${id}: rejected`));
    expect(decided.isError).toBe(true);
    const other = await client.callTool({ name: 'opsbot_approval', arguments: { id: 'ZZZZ' } });
    expect(other.isError).toBe(true);
    await client.close();
  }, 30_000);

  it('`opsbot mcp` over stdio speaks to the running bot with the agent\'s token', async () => {
    const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'mcp'], cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', OPSBOT_URL: app.url, OPSBOT_MCP_TOKEN: TOKEN }, stderr: 'pipe' }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['pods', 'scale', 'opsbot_approval']));
    const r = await client.callTool({ name: 'deployments', arguments: { namespace: 'production' } });
    expect(textOf(r)).toMatch(/api-gateway/);
    await client.close();
  }, 30_000);
});
