import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';
import { parsePolicy } from '../../src/config/policy.js';
import { COMMANDS } from '../../commands/index.js';
import { platformIds } from '../../src/platforms/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a policy document edited in place
type Yaml = Record<string, any>;

/** The example policy (English) with two clusters, and a role that may only use one of them. */
function policyWith(dir: string, edit: (p: Yaml) => void): string {
  const p = parse(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')) as Yaml;
  p['language'] = 'en';
  edit(p);
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(p));
  return file;
}

const twoClusters = (p: Yaml) => {
  p['clusters'] = { sh: { label: 'Shanghai', default: true }, bj: { label: '北京', chats: ['console:bj-ops'] } };
  // dave: on call for Shanghai only.
  p['roles']['sh-oncall'] = { commands: ['*'], namespaces: ['production'], clusters: ['sh'] };
  p['people']['dave'] = { name: 'Dave', roles: ['sh-oncall'], ids: { console: 'dave' } };
};

describe('several clusters (policy clusters, --cluster, per-chat default)', () => {
  let app: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-clusters-'));
    app = await startTestApp({ OPSBOT_CONFIG: policyWith(dir, twoClusters) });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const replicas = async (cluster: string) => (await app.clusters.get(cluster).client.readDeployment('production', 'api-gateway')).spec?.replicas;

  it('starts one demo API per cluster and writes them all to data/demo.kubeconfig', () => {
    expect([...app.demos.keys()]).toEqual(['sh', 'bj']);
    expect(app.demos.get('sh')!.url).not.toBe(app.demos.get('bj')!.url);
    const kc = readFileSync(join(app.dataDir, 'demo.kubeconfig'), 'utf8');
    expect(kc).toContain(app.demos.get('bj')!.url);
    expect(kc).toMatch(/current-context: sh/);
  });

  it('a change named for one cluster is approved there, recorded with it, and runs there only', async () => {
    const before = { sh: await replicas('sh'), bj: await replicas('bj') };
    const [card] = await app.send('alice', '/scale api-gateway 5 -n production --cluster bj');
    expect(card!.title).toMatch(/^Approval needed/);
    expect(card!.text).toMatch(/Cluster: bj \(北京\)/);
    const click = await app.click('bob', card!.id, 'approve');
    expect(click.status).toBe(200);
    await app.dispatcher.idle();
    await expect.poll(() => replicas('bj'), { timeout: 5000 }).toBe(5);
    expect(await replicas('sh')).toBe(before.sh);
    expect(before.bj).not.toBe(5);
    const exec = (await app.audit()).find((e) => e.kind === 'execute' && e.command === 'scale');
    expect(exec?.args).toMatchObject({ cluster: 'bj', replicas: 5 });
    expect(app.demos.get('sh')!.count('PATCH', /deployments\/api-gateway\/scale$/, { dryRun: false })).toBe(0);
  });

  it('without --cluster a command acts on the chat\'s default and the card says which', async () => {
    const [sh] = await app.send('alice', '/deployments -n production');
    expect(sh!.title).toMatch(/^\[Shanghai\] /);
    const [bj] = await app.send('alice', '/deployments -n production', 'bj-ops');
    expect(bj!.title).toMatch(/^\[北京\] /);
    // The default is written into the request: the approval records the cluster even when not typed.
    const [req] = await app.send('alice', '/restart user-service -n production', 'bj-ops');
    expect(req!.text).toMatch(/Cluster: bj/);
    await app.click('alice', req!.id, 'cancel').catch(() => undefined);
  });

  it('an unknown cluster is a usage error naming the known ones, and nothing is called', async () => {
    const calls = app.demos.get('sh')!.requests.length + app.demos.get('bj')!.requests.length;
    const [card] = await app.send('alice', '/pods -n production --cluster gz');
    expect(card!.text).toMatch(/cluster: .*one of.*sh, bj.*gz/s);
    expect(app.demos.get('sh')!.requests.length + app.demos.get('bj')!.requests.length).toBe(calls);
  });

  it('a role limited to one cluster is refused on another, before any API call', async () => {
    const calls = app.demos.get('bj')!.requests.length;
    const [ok] = await app.send('dave', '/pods -n production');
    expect(ok!.title).toMatch(/^\[Shanghai\] /);
    const [no] = await app.send('dave', '/pods -n production --cluster bj');
    expect(no!.text).toMatch(/Dave may not use \/pods on cluster bj/);
    expect(app.demos.get('bj')!.requests.length).toBe(calls);
    const refused = (await app.audit()).find((e) => e.kind === 'refuse' && e.actor === 'dave');
    expect(refused?.args).toMatchObject({ cluster: 'bj' });
  });

  it('a drill-down button acts on the cluster its card came from', async () => {
    // The demo seeds a failing pod in production: /pods offers its logs, describe and events.
    const [card] = await app.send('alice', '/pods -n production --cluster bj');
    const b = card!.buttons.find((x) => /event/i.test(x.label));
    expect(b, JSON.stringify(card!.buttons)).toBeDefined();
    const sh = app.demos.get('sh')!.requests.length;
    const click = await app.click('alice', card!.id, b!.action);
    expect(click.status).toBe(200);
    expect(click.body.cards?.[0]?.title).toMatch(/^\[北京\] /);
    expect(app.demos.get('sh')!.requests.length).toBe(sh);
  });

  it('/clusters lists every cluster, whether it answers, and this chat\'s default', async () => {
    const [card] = await app.send('alice', '/clusters', 'bj-ops');
    expect(card!.text).toMatch(/sh\s+Shanghai\s+v1\.\d+/);
    expect(card!.text).toMatch(/bj ⭐ this chat's default\s+北京\s+v1\.\d+/);
    const status = (await (await fetch(`${app.url}/console/api/status`)).json()) as { clusters: { name: string; ok: boolean }[] };
    expect(status.clusters.map((c) => [c.name, c.ok])).toEqual([['sh', true], ['bj', true]]);
  });

  it('the LLM tools take the cluster as an enum of the configured names', () => {
    const scale = app.registry.tools().find((t) => t.function.name === 'scale')!;
    expect((scale.function.parameters as { properties: Record<string, { enum?: string[] }> }).properties['cluster']?.enum).toEqual(['sh', 'bj']);
    expect(app.registry.tools().find((t) => t.function.name === 'clusters')!.function.parameters).not.toHaveProperty('properties.cluster');
  });
});

describe('clusters in the policy: mistakes are named with their path', () => {
  const check = (edit: (p: Yaml) => void) => {
    const p = parse(readFileSync(join(ROOT, 'opsbot.example.yaml'), 'utf8')) as Yaml;
    edit(p);
    const r = parsePolicy(stringify(p), 'p.yaml', COMMANDS.map((c) => c.name), {}, platformIds());
    return r.ok ? [] : r.problems;
  };
  it('unknown cluster in a role, two defaults, a chat on two clusters, an unknown platform', () => {
    expect(
      check((p) => {
        p['clusters'] = { a: { default: true, chats: ['console:x'] }, b: { default: true, chats: ['console:x', 'slack:y'] } };
        p['roles']['viewer']['clusters'] = ['c'];
      }),
    ).toEqual([
      'p.yaml: roles.viewer.clusters[0]: unknown cluster "c" (clusters has: a, b)',
      'p.yaml: clusters: a, b are all marked default (one at most)',
      'p.yaml: clusters.b.chats[0]: "console:x" already defaults to cluster a',
      expect.stringMatching(/^p\.yaml: clusters\.b\.chats\[1\]: unknown platform "slack"/),
    ]);
  });
});
