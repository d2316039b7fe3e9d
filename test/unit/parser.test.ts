import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { UsageError } from '../../src/core/errors.js';
import { Registry } from '../../src/core/registry.js';
import { normalizeInput, tokenize, usageLine } from '../../src/core/slash-parser.js';

const reg = new Registry(COMMANDS);
const usage = (text: string) => {
  try {
    reg.parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`expected a usage error for ${text}`);
};

describe('slash parser', () => {
  it('parses positionals and flags into validated arguments', () => {
    expect(reg.parse('/scale api-gateway 5 -n production')).toMatchObject({ spec: { name: 'scale' }, args: { deployment: 'api-gateway', replicas: 5, namespace: 'production' } });
    expect(reg.parse('/logs order-service --tail 20 -c app --since 10m --previous').args).toEqual({ pod: 'order-service', tail: 20, container: 'app', since: '10m', previous: true });
    expect(reg.parse('/pods -A').args).toEqual({ all: true });
    expect(reg.parse('/pods -n=staging -l app=web').args).toEqual({ namespace: 'staging', selector: 'app=web' });
    expect(reg.parse('/pods -nstaging').args).toEqual({ namespace: 'staging' });
    expect(reg.parse('/rollback api --to-revision 2').args).toEqual({ deployment: 'api', revision: 2 });
  });

  it('accepts kubectl-style kind/name and splits it for /describe', () => {
    expect(reg.parse('/scale deploy/api-gateway 3').args).toMatchObject({ deployment: 'api-gateway', replicas: 3 });
    expect(reg.parse('/describe deploy/api-gateway -n production').args).toEqual({ kind: 'deploy', name: 'api-gateway', namespace: 'production' });
    expect(reg.parse('/logs pod/web-1').args).toEqual({ pod: 'web-1' });
  });

  it('tolerates full-width slash, full-width spaces, Chinese quotes and dashes from a Chinese keyboard', () => {
    expect(reg.parse('／pods　 production').args).toEqual({ namespace: 'production' });
    expect(reg.parse('／scale  api-gateway　５ －n production').args).toMatchObject({ deployment: 'api-gateway', replicas: 5, namespace: 'production' });
    expect(reg.parse('/logs web —tail 5').args).toMatchObject({ pod: 'web', tail: 5 });
    expect(reg.parse('/pods -l “app=web”').args).toEqual({ selector: 'app=web' });
    expect(normalizeInput('  ／help   logs ')).toBe('/help logs');
  });

  it('tokenizes quotes and rejects an unclosed one', () => {
    expect(tokenize(`a "b c" 'd e' f`)).toEqual(['a', 'b c', 'd e', 'f']);
    expect(tokenize('x ""')).toEqual(['x', '']);
    expect(() => tokenize('a "b')).toThrow(UsageError);
  });

  it('names the bad field and shows the usage line', () => {
    const e = usage('/scale api-gateway five');
    expect(e.userMessage).toBe('replicas: must be a number (got "five")');
    expect(e.hint).toBe('usage: /scale <deployment> <replicas> [-n <namespace>] [--replicas <replicas>]');
    expect(usage('/scale api-gateway -1').userMessage).toMatch(/^replicas: must be 0 or more/);
    expect(usage('/scale api-gateway 2.5').userMessage).toMatch(/^replicas: must be a whole number/);
    expect(usage('/scale').userMessage).toBe('deployment: is required');
    expect(usage('/scale Api_Gateway 3').userMessage).toMatch(/^deployment: must be lowercase/);
    expect(usage('/pods -n Prod').userMessage).toMatch(/^namespace: must be lowercase/);
    expect(usage('/logs x --since yesterday').userMessage).toBe('since: must be a duration like 30s, 10m or 2h (got "yesterday")');
    expect(usage('/logs x --bogus 1').userMessage).toMatch(/^unknown option --bogus/);
    expect(usage('/logs x --tail').userMessage).toBe('--tail needs a value');
    expect(usage('/pods a b').userMessage).toBe('unexpected argument "b"');
    expect(usage('/pods -n a -n b').userMessage).toBe('-n was given twice');
    expect(usage('/pods -A=yes').userMessage).toBe('-A takes no value');
    expect(usage('/describe service x').userMessage).toMatch(/^kind: /);
  });

  it('suggests the closest command for a typo and points to /help', () => {
    const e = usage('/posd');
    expect(e.userMessage).toBe('unknown command /posd — did you mean /pods?');
    expect(e.hint).toMatch(/\/help/);
    expect(usage('/sacle api 3').userMessage).toContain('did you mean /scale?');
    expect(usage('/depl').userMessage).toContain('did you mean /deployments?');
    expect(usage('/xyzzy').userMessage).toBe('unknown command /xyzzy');
  });

  it('generates usage lines from the spec', () => {
    const get = (n: string) => reg.find(n)!;
    expect(usageLine(get('logs'))).toBe('/logs <pod> [-n <namespace>] [-c <container>] [--tail <tail>] [--since <since>] [-p]');
    expect(usageLine(get('pods'))).toBe('/pods [namespace] [-n <namespace>] [-l <selector>] [-A]');
    expect(usageLine(get('describe'))).toBe('/describe [kind] <name> [-n <namespace>]');
    expect(usageLine(get('reject'))).toBe('/reject <id> [reason…]');
    expect(reg.parse('/reject K7QF not during the sale, sorry').args).toEqual({ id: 'K7QF', reason: 'not during the sale, sorry' });
  });
});

describe('registry', () => {
  it('every command has help in both languages, a usage line and an object schema', () => {
    for (const c of COMMANDS) {
      expect(c.summary.en.length, c.name).toBeGreaterThan(5);
      expect(c.summary.zh, c.name).toMatch(/[\u4e00-\u9fff]/);
      expect(usageLine(c)).toMatch(new RegExp(`^/${c.name}`));
      for (const p of c.positionals) expect(Object.keys(c.args.shape), `${c.name}.${p}`).toContain(p);
      for (const f of Object.keys(c.flags ?? {})) expect(Object.keys(c.args.shape), `${c.name}.${f}`).toContain(f);
      expect(c.mutating === false || typeof c.preview === 'function', `${c.name} mutating needs preview`).toBe(true);
    }
  });

  it('yields a valid LLM tool definition for every command, from the same schema', () => {
    const tools = reg.tools();
    expect(tools).toHaveLength(COMMANDS.filter((c) => c.llm !== false).length);
    // The model can never approve, reject, cancel or read the audit log.
    for (const n of ['approve', 'reject', 'cancel', 'audit', 'approvals']) expect(tools.map((t) => t.function.name)).not.toContain(n);
    for (const t of tools) {
      expect(t.type).toBe('function');
      expect(t.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      const p = t.function.parameters as { type: string; properties: Record<string, { type?: string; description?: string }>; $schema?: string };
      expect(p.type).toBe('object');
      expect(p.$schema).toBeUndefined();
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      for (const [k, v] of Object.entries(p.properties)) expect(v.description, `${t.function.name}.${k}`).toBeTruthy();
    }
    const scale = tools.find((t) => t.function.name === 'scale')!.function;
    expect(scale.description).toMatch(/approval/);
    expect(scale.parameters).toMatchObject({ properties: { replicas: { type: 'integer', minimum: 0 } }, required: ['deployment', 'replicas'] });
    expect(tools.find((t) => t.function.name === 'delete_pod')).toBeDefined();
    expect(tools.find((t) => t.function.name === 'pods')!.function.description).toMatch(/Read-only/);
  });

  it('refuses a name defined twice', () => {
    expect(() => new Registry([...COMMANDS, COMMANDS[0]!])).toThrow(/defined twice/);
  });
});
