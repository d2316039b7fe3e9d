import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.js';

/**
 * client-node 1.x makes a new agent for every call, so each call opened its own connection (TCP and TLS
 * handshakes on both ends). KubeClient keeps one keep-alive agent per cluster with the library's own
 * TLS options: these tests count connections on a small API server that validates what it receives.
 */
const TLS = new URL('../fixtures/tls/', import.meta.url).pathname;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Seen {
  connections: number;
  closed: number;
  requests: { path: string; auth?: string; as?: string }[];
}

function api(seen: Seen) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.requests.push({ path: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), ...(req.headers['impersonate-user'] ? { as: String(req.headers['impersonate-user']) } : {}) });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') return res.end(JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.2' }));
    if (req.url?.startsWith('/api/v1/namespaces/prod/pods/')) return res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: req.url.split('/').pop(), namespace: 'prod' } }));
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
  };
}

async function listen(s: Server, seen: Seen, event: 'connection' | 'secureConnection'): Promise<number> {
  servers.push(s);
  s.on(event, (socket: { once(e: 'close', f: () => void): void }) => {
    seen.connections++;
    socket.once('close', () => seen.closed++);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

function kubeconfig(server: string, ca: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-kc-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`,
      'users:',
      '- name: u',
      '  user:',
      '    token: test-bearer-token',
      'contexts:',
      '- name: ctx',
      '  context: { cluster: c, user: u }',
      'current-context: ctx',
      '',
    ].join('\n'),
  );
  return file;
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('connections to the API server are kept alive', () => {
  it('over https: one TLS connection for many calls, the CA still checked and the token still sent on each', async () => {
    const seen: Seen = { connections: 0, closed: 0, requests: [] };
    const port = await listen(createHttpsServer({ key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.crt')) }, api(seen)), seen, 'secureConnection');
    const kube = new KubeClient(loadKubeConfig({ kind: 'kubeconfig', path: kubeconfig(`https://127.0.0.1:${port}`, readFileSync(join(TLS, 'server.crt'), 'utf8')) }), 5000);
    for (let i = 0; i < 5; i++) expect((await kube.version()).gitVersion).toBe('v1.30.2');
    // A view for a person (impersonation) shares the connection; its calls carry the person.
    expect((await kube.as({ user: 'alice@example.com' }).readPod('prod', 'api-1')).metadata?.name).toBe('api-1');
    expect(await kube.readPod('prod', 'api-2')).toMatchObject({ metadata: { name: 'api-2' } });
    expect(seen.requests).toHaveLength(7);
    expect(seen.requests.every((r) => r.auth === 'Bearer test-bearer-token')).toBe(true);
    expect(seen.requests.filter((r) => r.as).map((r) => r.as)).toEqual(['alice@example.com']);
    expect(seen.connections).toBe(1);
    // Closing the client closes the kept connection.
    kube.close();
    await until(() => seen.closed === 1);
    expect(seen.closed).toBe(1);
  });

  it('over https with the wrong CA: refused before any request, as without the pool', async () => {
    const seen: Seen = { connections: 0, closed: 0, requests: [] };
    const port = await listen(createHttpsServer({ key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.crt')) }, api(seen)), seen, 'secureConnection');
    const kube = new KubeClient(loadKubeConfig({ kind: 'kubeconfig', path: kubeconfig(`https://127.0.0.1:${port}`, readFileSync(join(TLS, 'other.crt'), 'utf8')) }), 5000);
    for (let i = 0; i < 2; i++) await expect(kube.version()).rejects.toThrow(/certificate/i);
    expect(seen.requests).toHaveLength(0);
    kube.close();
  });

  it('over http (the demo): one connection for many calls', async () => {
    const seen: Seen = { connections: 0, closed: 0, requests: [] };
    const port = await listen(createHttpServer(api(seen)), seen, 'connection');
    const kube = new KubeClient(loadKubeConfig({ kind: 'demo' }, `http://127.0.0.1:${port}`), 5000);
    await Promise.all([kube.version(), kube.version()]);
    for (let i = 0; i < 8; i++) await kube.version();
    expect(seen.requests).toHaveLength(10);
    // Two calls in flight at once need two connections; after that, they are reused.
    expect(seen.connections).toBe(2);
    kube.close();
  });

  it('a kept connection the server closed while idle is not reused: the next call opens a new one and succeeds', async () => {
    const seen: Seen = { connections: 0, closed: 0, requests: [] };
    const server = createHttpServer((req, res) => {
      // Like an API server behind a load balancer that drops idle connections, without a Keep-Alive hint.
      res.on('finish', () => setTimeout(() => req.socket.destroy(), 100));
      api(seen)(req, res);
    });
    server.keepAliveTimeout = 0;
    const port = await listen(server, seen, 'connection');
    const kube = new KubeClient(loadKubeConfig({ kind: 'demo' }, `http://127.0.0.1:${port}`), 5000);
    await kube.version();
    await until(() => seen.closed === 1);
    expect((await kube.version()).gitVersion).toBe('v1.30.2');
    expect(seen.connections).toBe(2);
    kube.close();
  });
});
