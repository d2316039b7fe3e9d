import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { Registry } from '../../src/core/registry.js';
import { loadRunbooks, parseRunbook } from '../../src/core/runbooks/runbook.js';
import { checkTemplate, namesIn, render, TemplateError } from '../../src/core/runbooks/template.js';
import { risksOf } from '../../src/app.js';
import { platformIds } from '../../src/platforms/index.js';
import { ROOT } from '../helpers/start-app.js';

const registry = new Registry(COMMANDS);
const loaded = loadPolicyFile(join(ROOT, 'opsbot.example.yaml'), registry.names, risksOf(registry), platformIds());
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const policy = loaded.policy;
const dir = mkdtempSync(join(tmpdir(), 'opsbot-rb-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runbook templates', () => {
  it('renders names, sums and text; a one-hole value keeps its type', () => {
    expect(render('{{ replicas + by }}', { replicas: 3, by: 2 })).toBe(5);
    expect(render('{{replicas - by + 1}}', { replicas: 3, by: 2 })).toBe(2);
    expect(render('{{name}}', { name: 'api' })).toBe('api');
    expect(render('{{revision}}', { revision: undefined })).toBeUndefined();
    expect(render('app-{{env}}-{{n}}', { env: 'prod', n: 2 })).toBe('app-prod-2');
    expect(render('{{replicas + by}}', { replicas: '3', by: 1 })).toBe(4);
    expect(namesIn('{{ a + b }} x {{c}}')).toEqual(['a', 'b', 'c']);
  });

  it('refuses what is not a sum of names and numbers, and sums over text', () => {
    for (const bad of ['{{}}', '{{ a + }}', '{{ a b }}', '{{ a * 2 }}', '{{ process.exit() }}', '{{ a', 'b }}']) expect(() => checkTemplate(bad), bad).toThrow(TemplateError);
    expect(() => render('{{ name + 1 }}', { name: 'api' })).toThrow(/not a whole number/);
    expect(() => render('{{ nope }}', {})).toThrow(/unknown name "nope"/);
    expect(() => render('x-{{ unset }}', { unset: undefined })).toThrow(/has no value/);
  });
});

describe('runbook files', () => {
  it('the shipped runbooks load against the commands and the example policy', () => {
    const r = loadRunbooks([join(ROOT, 'runbooks')], registry, policy);
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.runbooks.list.map((x) => x.name)).toEqual(['deployment_rollback', 'drain_node', 'pod_restart', 'scale_down', 'scale_up']);
  });

  it('every mistake is reported with its file, line and YAML path; nothing loads', () => {
    const bad = [
      'name: Bad Name',
      'description: x',
      'risk: extreme',
      'params:',
      '  deployment: { type: name, min: 1 }',
      '  by: { type: integer, default: "two" }',
      'read:',
      '  deployment: { deployment: "{{deployment}}", field: replicas }',
      'steps:',
      '  - command: scal',
      '    args: { deployment: "{{deployment}}" }',
      '  - command: scale',
      '    args: { deployment: "{{deployment}}", replicas: "{{ replicas * 2 }}", color: red, cluster: x }',
      '  - command: approve',
      '  - wait: ready',
      '    deployment: "{{ nope }}"',
      '    timeout: 2h',
      '  - wait: soon',
      '',
    ].join('\n');
    const schema = parseRunbook(bad, 'bad.yaml', registry, policy);
    expect(schema.ok).toBe(false);
    const problems = schema.ok ? [] : schema.problems;
    expect(problems).toContain('bad.yaml:1: name: lower-case letters, digits, _ and -, starting with a letter (at most 40)');
    expect(problems.some((p) => /^bad\.yaml:3: risk: /.test(p))).toBe(true);
    expect(problems.some((p) => /^bad\.yaml:17: steps\[3\]\.timeout: "2h" is not a duration between 1s and 30m/.test(p))).toBe(true);
    expect(problems.some((p) => /^bad\.yaml:18: steps\[4\]/.test(p))).toBe(true);
    // Past the schema: cross-checks against the commands and the policy.
    const fixed = bad.replace('name: Bad Name', 'name: bad').replace('risk: extreme', 'risk: medium').replace('timeout: 2h', 'timeout: 2m').replace('  - wait: soon\n', '').replace('default: "two"', 'default: 2');
    const cross = parseRunbook(fixed, 'bad.yaml', registry, policy);
    const p2 = cross.ok ? [] : cross.problems;
    expect(p2).toEqual(
      expect.arrayContaining([
        'bad.yaml:5: params.deployment: min and max are for integers',
        'bad.yaml:8: read.deployment: "deployment" is also a parameter',
        'bad.yaml:10: steps[0].command: unknown command "scal"',
        'bad.yaml:13: steps[1].args.replicas: cannot read "{{ replicas * 2 }}" at "* 2" (a hole is names and whole numbers joined by + or -)',
        'bad.yaml:13: steps[1].args.color: /scale has no argument "color" (has: deployment, replicas, namespace)',
        'bad.yaml:13: steps[1].args.cluster: a step runs on the run\'s cluster (run the runbook with --cluster)',
        'bad.yaml:14: steps[2].command: /approve cannot be a runbook step',
        'bad.yaml:16: steps[3].deployment: "{{nope}}" is neither a parameter nor a value read (has: deployment, by)',
      ]),
    );
  });

  it('a folder: two runbooks of one name, a file too large, YAML that does not parse, a missing folder', () => {
    const d = join(dir, 'many');
    mkdirSync(d);
    const one = 'name: twin\ndescription: x\nrisk: low\nsteps:\n  - command: pods\n';
    writeFileSync(join(d, 'a.yaml'), one);
    writeFileSync(join(d, 'b.yml'), one);
    writeFileSync(join(d, 'c.yaml'), 'name: [unclosed\n');
    writeFileSync(join(d, 'd.yaml'), `# ${'x'.repeat(70_000)}\n`);
    writeFileSync(join(d, 'notes.txt'), 'ignored');
    const r = loadRunbooks([d, join(dir, 'absent')], registry, policy);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toEqual([
      `${join(d, 'b.yml')}: name: "twin" is also the name of ${join(d, 'a.yaml')}`,
      expect.stringMatching(new RegExp(`^${join(d, 'c.yaml')}:\\d+: `)),
      expect.stringMatching(/d\.yaml: \d+ bytes, more than a runbook may have/),
      expect.stringMatching(/^OPSBOT_RUNBOOKS: cannot read .*absent: ENOENT/),
    ]);
  });

  it('a runbook whose risk has no approval chain is refused', () => {
    const noHigh = { ...policy, approvals: { ...policy.approvals, risk: { low: policy.approvals.risk.low } } } as typeof policy;
    const r = parseRunbook('name: x\ndescription: x\nrisk: high\nsteps:\n  - command: pods\n', 'x.yaml', registry, noHigh);
    expect(r.ok ? [] : r.problems).toEqual(['x.yaml:3: risk: no approval chain for risk "high" in the policy (approvals.risk.high)']);
  });
});
