import { createServer, type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { loadConfig } from '../../src/config/env.js';
import { findPerson, parsePolicy } from '../../src/config/policy.js';
import { Secret } from '../../src/config/secret.js';
import { ROOT } from '../helpers/start-app.js';

const names = COMMANDS.map((c) => c.name);
const example = readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8');

describe('environment config', () => {
  it('runs the demo with nothing configured, on loopback, with the example policy', () => {
    const r = loadConfig({}, { cwd: ROOT, inClusterTokenPath: '/nonexistent' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({ demo: true, host: '127.0.0.1', port: 3000, policyIsExample: true, kube: { kind: 'demo' }, logFormat: 'pretty', kubeTimeoutMs: 10_000, work: { concurrency: 16, queue: 200 } });
    expect(r.notes.join()).toMatch(/example policy/);
  });

  it('uses KUBECONFIG and KUBE_CONTEXT when given, binds 0.0.0.0 and logs JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-cfg-'));
    writeFileSync(join(dir, 'kc'), 'apiVersion: v1\n');
    writeFileSync(join(dir, 'opsbot.yaml'), example);
    const r = loadConfig({ KUBECONFIG: join(dir, 'kc'), KUBE_CONTEXT: 'prod', KUBE_TIMEOUT: '3s' }, { cwd: dir });
    expect(r.ok && r.config).toMatchObject({ demo: false, host: '0.0.0.0', logFormat: 'json', kubeTimeoutMs: 3000, kube: { kind: 'kubeconfig', context: 'prod' } });
  });

  it('a Redis store (several replicas) needs one OPSBOT_SECRET for all of them', () => {
    const r = loadConfig({ OPSBOT_STORE: 'redis://127.0.0.1:6379/0' }, { cwd: ROOT, inClusterTokenPath: '/nonexistent' });
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^OPSBOT_SECRET: required with a Redis store/)]);
    const ok = loadConfig({ OPSBOT_STORE: 'redis://:pw@127.0.0.1:6379/0', OPSBOT_SECRET: 'x'.repeat(40) }, { cwd: ROOT, inClusterTokenPath: '/nonexistent' });
    expect(ok.ok && ok.config.store).toBe('redis://:pw@127.0.0.1:6379/0');
  });

  it('reports one clear line per problem, naming the variable', () => {
    const r = loadConfig(
      { PORT: 'eighty', LOG_LEVEL: 'loud', KUBECONFIG: '/no/such/file', OPSBOT_SECRET: 'short', LLM_BASE_URL: 'ftp://x', KUBE_TIMEOUT: 'forever', OPSBOT_STORE: 'mysql://x', CONSOLE_TOKEN: 'abc', OPSBOT_WORK_CONCURRENCY: 'lots', OPSBOT_WORK_QUEUE: '0' },
      { cwd: ROOT },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.join('\n');
    expect(text).toMatch(/^OPSBOT_WORK_CONCURRENCY: must be a whole number from 1 to 1000/m);
    for (const v of ['PORT', 'LOG_LEVEL', 'KUBECONFIG', 'OPSBOT_SECRET', 'LLM_BASE_URL', 'KUBE_TIMEOUT', 'OPSBOT_STORE', 'CONSOLE_TOKEN', 'OPSBOT_WORK_CONCURRENCY', 'OPSBOT_WORK_QUEUE']) {
      expect(r.problems.filter((p) => p.startsWith(`${v}:`)), v).toHaveLength(1);
    }
    expect(text).not.toMatch(/\n\s+at /);
    const r2 = loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' }, { cwd: ROOT });
    expect(!r2.ok && r2.problems).toEqual([expect.stringMatching(/^LLM_MODEL: required/)]);
  });

  it('needs a policy file outside the demo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-cfg-'));
    writeFileSync(join(dir, 'kc'), 'apiVersion: v1\n');
    const r = loadConfig({ KUBECONFIG: join(dir, 'kc') }, { cwd: dir });
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^OPSBOT_CONFIG: no policy file/)]);
  });

  it('keeps secrets out of JSON, inspect and string conversion', () => {
    const s = new Secret('hunter2-super-secret');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect({ s })).not.toContain('hunter2');
    expect(`${s}`).toBe('[redacted]');
    expect(s.reveal()).toBe('hunter2-super-secret');
  });

  it('bad config stops the real process with exit code 2 and no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', PORT: 'x', OPSBOT_CONFIG: '/missing.yaml' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').sort()).toEqual(['opsbot: config error: OPSBOT_CONFIG: policy file not found: /missing.yaml', 'opsbot: config error: PORT: must be a port number (0-65535) (got "x")']);
  });

  it('a port in use: exit 2, and the error is the last line printed (after every log line)', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'opsbot-port-'));
      // One pipe for both streams, as a terminal shows them.
      const r = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx src/main.ts 2>&1`], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', OPSBOT_DATA_DIR: dir, LOG_FORMAT: 'pretty' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      const lines = r.stdout.trim().split('\n');
      expect(lines.at(-1)).toBe(`opsbot: config error: PORT: 127.0.0.1:${port} is already in use (set PORT to another port)`);
      expect(lines.length).toBeGreaterThan(1); // the log lines came first
    } finally {
      busy.close();
    }
  });

  it('a bad policy file also exits 2 with its YAML path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), example.replace('roles: [viewer]', 'roles: [viewr]'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', OPSBOT_CONFIG: join(dir, 'bad.yaml'), OPSBOT_DEMO: '1', PORT: '0', OPSBOT_DATA_DIR: dir },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('opsbot: config error: bad.yaml: people.carol.roles[0]: unknown role "viewr" (known: viewer, oncall, lead)');
  });
});

describe('policy file', () => {
  it('the shipped example is valid and maps console users', () => {
    const r = parsePolicy(example, 'opsbot.example.yaml', names);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(findPerson(r.policy, 'console', 'bob')).toMatchObject({ id: 'bob', roles: ['lead', 'oncall'] });
    expect(findPerson(r.policy, 'feishu', 'ou_alice_example')?.id).toBe('alice');
    expect(findPerson(r.policy, 'console', 'mallory')).toBeUndefined();
    expect(r.policy.approvals.risk.high?.steps.map((s) => s.timeout)).toEqual([300_000, 600_000]);
  });

  it('personal console tokens: a hash needs a console id, and no two people share one', () => {
    const h = 'a'.repeat(64);
    const add = (text: string, person: string, value: string) => text.replace(`  ${person}:\n`, `  ${person}:\n    consoleTokenSha256: ${value}\n`);
    const withTokens = add(add(example, 'alice', h), 'bob', h);
    expect(withTokens).toContain(`consoleTokenSha256: ${h}`);
    const r = parsePolicy(withTokens, 'opsbot.yaml', names);
    expect(!r.ok && r.problems).toEqual(['opsbot.yaml: people.bob.consoleTokenSha256: the same token as people.alice (each person needs their own)']);
    const bad = parsePolicy(add(example, 'alice', 'not-a-hash'), 'opsbot.yaml', names);
    expect(!bad.ok && bad.problems[0]).toMatch(/people\.alice\.consoleTokenSha256: the SHA-256 of the token, 64 lowercase hex characters/);
    expect(parsePolicy(add(example, 'alice', h), 'opsbot.yaml', names).ok).toBe(true);
  });

  it('reports every cross-reference problem with its YAML path', () => {
    const bad = example
      .replace('commands: [help, status, pods', 'commands: [help, statsu, pods')
      .replace('namespaces: [production, staging, default]', 'namespaces: [production, qa]')
      .replace('steps: [{ role: lead, timeout: 15m }]', 'steps: [{ role: boss, timeout: 15m }]')
      .replace('ids: { console: carol,', 'ids: { console: alice,')
      .replace('expiry: 15m', 'expiry: soon');
    const r = parsePolicy(bad, 'opsbot.yaml', names);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(['opsbot.yaml: approvals.expiry: not a duration: "soon" (use e.g. 30s, 10m, 1h)']);
    const r2 = parsePolicy(bad.replace('expiry: soon', 'expiry: 15m'), 'opsbot.yaml', names);
    expect(!r2.ok && r2.problems).toEqual([
      'opsbot.yaml: roles.viewer.commands[1]: unknown command "statsu"',
      'opsbot.yaml: roles.oncall.namespaces[1]: namespace "qa" is not in namespaces.allow',
      'opsbot.yaml: people.carol.ids.console: "alice" is also alice\'s id',
      'opsbot.yaml: approvals.risk.medium.steps[0].role: unknown role "boss" (known: viewer, oncall, lead)',
    ]);
  });

  it('reports YAML syntax errors and unknown keys', () => {
    const r = parsePolicy('roles: [unclosed', 'p.yaml', names);
    expect(!r.ok && r.problems[0]).toMatch(/^p\.yaml: /);
    const r2 = parsePolicy(example.replace('timezone: Asia/Shanghai', 'timezone: Mars/Olympus\nextra: 1'), 'p.yaml', names);
    expect(!r2.ok && r2.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^p\.yaml: timezone: unknown time zone/), expect.stringMatching(/^p\.yaml: \(top level\): Unrecognized key: "extra"/)]));
  });
});
