import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { untilAsync } from '../helpers/until.js';

/**
 * A Kubernetes API that accepts TCP and never answers (issue: /readyz hung forever and leaked a socket
 * per probe): every probe answers within the check's bound, probes share one check in flight, and the
 * sockets are released.
 */
describe('readiness against a hung Kubernetes API', () => {
  let hang: Server;
  const open = new Set<Socket>();
  let app: TestApp;
  beforeAll(async () => {
    // Accepts, reads (so it sees the client close) and never answers.
    hang = createServer((s) => {
      s.resume();
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-hang-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: hang\n  cluster: { server: "https://127.0.0.1:${(hang.address() as AddressInfo).port}", insecure-skip-tls-verify: true }\nusers:\n- name: u\n  user: { token: abc }\ncontexts:\n- name: hang\n  context: { cluster: hang, user: u }\ncurrent-context: hang\n`,
    );
    app = await startTestApp({ OPSBOT_DEMO: '', KUBECONFIG: kubeconfig, KUBE_TIMEOUT: '10s' });
  });
  afterAll(async () => {
    await app?.stop();
    for (const s of open) s.destroy();
    hang?.close();
  });

  it('50 concurrent probes each answer 503 within 3 s, naming the check; sockets do not pile up', async () => {
    // The startup line first (its own probe gives up after 3 s and closes its socket).
    await untilAsync(async () => (/the cluster does not answer/.test(app.logs.text) ? true : undefined), 'the startup line', 6000);
    await untilAsync(async () => (open.size === 0 ? true : undefined), 'the startup probe to close its socket', 3000);
    const t0 = performance.now();
    const rs = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const r = await fetch(`${app.url}/readyz`, { signal: AbortSignal.timeout(5000) });
        return { status: r.status, body: (await r.json()) as { ok: boolean; checks: Record<string, string> }, ms: performance.now() - t0 };
      }),
    );
    for (const r of rs) {
      expect(r.status).toBe(503);
      expect(r.ms).toBeLessThan(3000);
      expect(r.body.checks['kubernetes']).toMatch(/did not answer within/);
      expect(r.body.checks['store']).toBe('ok');
    }
    // One check ran for all 50 (shared in flight), and its socket is released once it gave up.
    expect(open.size).toBeLessThanOrEqual(1);
    await untilAsync(async () => (open.size === 0 ? true : undefined), 'the probe socket to close', 5000);
    // Later probes: at most one check at a time, each closing its socket.
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
      expect(open.size).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});

describe('a kubeconfig with an http:// server (and no insecure-skip-tls-verify)', () => {
  it('chat, /readyz and the startup log say why in one line, without the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-httpkube-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: h\n  cluster: { server: "http://127.0.0.1:9" }\nusers:\n- name: u\n  user: { token: abc }\ncontexts:\n- name: h\n  context: { cluster: h, user: u }\ncurrent-context: h\n`);
    const app = await startTestApp({ OPSBOT_DEMO: '', KUBECONFIG: kubeconfig, HOST: '127.0.0.1' });
    try {
      const why = /Kubernetes API call failed: HTTP protocol is not allowed when skipTLSVerify is not set or false/;
      const [card] = await app.send('alice', '/pods');
      expect(card!.title).toMatch(why);
      const ready = (await (await fetch(`${app.url}/readyz`)).json()) as { checks: Record<string, string> };
      expect(ready.checks['kubernetes']).toMatch(why);
      await untilAsync(async () => (/the cluster does not answer/.test(app.logs.text) ? true : undefined), 'the startup line', 5000);
      expect(app.logs.text).toMatch(/"reason":"Kubernetes API call failed: HTTP protocol is not allowed/);
      expect(card!.title).not.toMatch(/127\.0\.0\.1/);
    } finally {
      await app.stop();
    }
  });
});

describe('a store that cannot write', () => {
  it('fails readiness with the reason, and readiness recovers when it can write again', async () => {
    const app = await startTestApp();
    try {
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      // What a full disk looks like to SQLite, injected through a second connection to the same file.
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(join(app.dataDir, 'opsbot.db'));
      db.exec("CREATE TRIGGER full BEFORE INSERT ON kv WHEN NEW.key = 'readyz' BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;");
      db.exec("CREATE TRIGGER full2 BEFORE UPDATE ON kv WHEN NEW.key = 'readyz' BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;");
      await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
      const bad = await fetch(`${app.url}/readyz`);
      expect(bad.status).toBe(503);
      expect(((await bad.json()) as { checks: Record<string, string> }).checks['store']).toMatch(/database or disk is full/);
      db.exec('DROP TRIGGER full; DROP TRIGGER full2;');
      db.close();
      await new Promise((r) => setTimeout(r, 1100));
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
