import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS, tailToBytes, truncate } from '../../cards/limits.js';
import { renderText } from '../../cards/text.js';
import { loadConfig } from '../../src/config/env.js';
import { Secret } from '../../src/config/secret.js';
import { formatAge, formatDuration, parseDuration } from '../../src/core/duration.js';
import { VerificationError } from '../../src/core/errors.js';
import { PayloadSigner } from '../../src/core/payload.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../src/kube/demo/patch.js';
import { parseFieldSelector, parseLabelSelector } from '../../src/kube/demo/selectors.js';

describe('durations', () => {
  it('parses what people type and formats ages like kubectl', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '10', 'm', '10 m', '1h-5m', 'abc']) expect(parseDuration(bad), bad).toBeUndefined();
    expect([formatAge(5_000), formatAge(3 * 60_000), formatAge(5 * 3_600_000), formatAge(6 * 86_400_000)]).toEqual(['5s', '3m', '5h', '6d']);
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });
});

describe('card limits', () => {
  it('keeps the end of a log within the byte budget and counts what it dropped', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const cut = tailToBytes(lines, LIMITS.codeBytes, LIMITS.codeLineChars);
    expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(LIMITS.codeBytes);
    expect(cut.text.endsWith('line 499 ' + 'x'.repeat(40))).toBe(true);
    expect(cut.omittedLines).toBe(500 - cut.text.split('\n').length);
    const long = tailToBytes(['y'.repeat(10_000)], LIMITS.codeBytes, 300);
    expect(Array.from(long.text)).toHaveLength(300);
    expect(long.text.endsWith('…')).toBe(true);
  });

  it('never splits a multi-byte character', () => {
    expect(truncate('日志日志日志', 4)).toBe('日志日…');
    expect(truncate('😀😀😀', 2)).toBe('😀…');
  });

  it('renders every block as plain text', () => {
    const text = renderText({
      title: 'T',
      tone: 'warning',
      blocks: [
        { type: 'markdown', text: 'a **b** c' },
        { type: 'fields', items: [{ label: 'k', value: 'v' }] },
        { type: 'table', columns: ['A', 'Bee'], rows: [['1', '2']], omitted: 3 },
        { type: 'code', text: 'x\ny', omittedLines: 4 },
      ],
      footer: 'f',
      buttons: [{ label: 'Go', style: 'primary', value: 'v1.x.y' }],
    });
    expect(text).toBe('🟠 T\na b c\nk: v\nA  Bee\n1  2\n… +3 more\n… 4 earlier lines not shown\nx\ny\nf\n[Go]');
  });
});

describe('signed button payloads', () => {
  const signer = new PayloadSigner(new Secret('k'.repeat(40)));
  const now = 1_800_000_000_000;
  const p = { k: 'run' as const, c: 'logs', a: { pod: 'x' }, ch: 'chat-1', t: now };

  it('round-trips and refuses anything altered, forged, malformed or expired', () => {
    const v = signer.sign(p);
    expect(signer.verify(v, 60_000, now + 1000)).toEqual(p);
    const [ver, body, mac] = v.split('.') as [string, string, string];
    const altered = Buffer.from(JSON.stringify({ ...p, c: 'delete-pod' })).toString('base64url');
    expect(() => signer.verify(`${ver}.${altered}.${mac}`, 60_000, now)).toThrow(VerificationError);
    expect(() => signer.verify(`${ver}.${body}.${mac.slice(0, -2)}AA`, 60_000, now)).toThrow(/signature is invalid/);
    expect(() => new PayloadSigner(new Secret('other'.repeat(8))).verify(v, 60_000, now)).toThrow(/signature is invalid/);
    expect(() => signer.verify('v1.abc', 60_000, now)).toThrow(/malformed/);
    expect(() => signer.verify('x'.repeat(3000), 60_000, now)).toThrow(/malformed/);
    expect(() => signer.verify(v, 60_000, now + 120_000)).toThrow(/expired/);
  });
});

describe('demo API patch semantics', () => {
  const dep = { spec: { replicas: 3, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] }, { name: 'b', image: 'b:1' }] } } } };

  it('merge patch replaces lists and deletes with null', () => {
    const out = mergePatch(dep, { spec: { replicas: 5, template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } }) as typeof dep;
    expect(out.spec.replicas).toBe(5);
    expect(out.spec.template.spec.containers).toEqual([{ name: 'a', image: 'a:2' }]);
    expect(mergePatch({ a: 1, b: 2 }, { b: null })).toEqual({ a: 1 });
  });

  it('strategic merge patch merges containers by name and honours $patch: delete', () => {
    const out = strategicMergePatch(dep, { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] }] } } } }) as typeof dep;
    expect(out.spec.template.spec.containers).toEqual([{ name: 'a', image: 'a:2', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }, { name: 'b', image: 'b:1' }]);
    const del = strategicMergePatch(dep, { spec: { template: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } } } }) as typeof dep;
    expect(del.spec.template.spec.containers.map((c) => c.name)).toEqual(['a']);
    expect(dep.spec.template.spec.containers).toHaveLength(2);
  });

  it('JSON patch supports add, replace, remove and test', () => {
    expect(jsonPatch({ a: { b: 1 }, l: [1, 2] }, [{ op: 'replace', path: '/a/b', value: 2 }, { op: 'add', path: '/l/-', value: 3 }, { op: 'remove', path: '/l/0' }, { op: 'test', path: '/a/b', value: 2 }])).toEqual({ a: { b: 2 }, l: [2, 3] });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/nope', value: 1 }])).toThrow(/path not found/);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
    expect(() => jsonPatch({}, { op: 'add' })).toThrow(/must be an array/);
  });

  it('label and field selectors', () => {
    const l = { app: 'web', tier: 'fe' };
    expect(parseLabelSelector('app=web,tier!=db')!(l)).toBe(true);
    expect(parseLabelSelector('app in (api, web),!canary')!(l)).toBe(true);
    expect(parseLabelSelector('app notin (web)')!(l)).toBe(false);
    expect(parseLabelSelector('tier')!(l)).toBe(true);
    expect(parseLabelSelector('app=(')).toBeUndefined();
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', uid: 'u', resourceVersion: '1', creationTimestamp: '' }, involvedObject: { kind: 'Pod', name: 'p' } };
    expect(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=p')!(ev)).toBe(true);
    expect(parseFieldSelector('involvedObject.name!=p')!(ev)).toBe(false);
  });
});

describe('cluster detection', () => {
  it('uses the in-cluster service account inside a pod, and the demo outside', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-sa-'));
    const token = join(dir, 'token');
    writeFileSync(token, 'x');
    writeFileSync(join(dir, 'opsbot.yaml'), 'x');
    const inPod = loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { cwd: dir, inClusterTokenPath: token });
    expect(inPod.ok && inPod.config.kube).toEqual({ kind: 'in-cluster' });
    const noToken = loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { cwd: dir, inClusterTokenPath: join(dir, 'missing') });
    expect(noToken.ok && noToken.config.kube).toEqual({ kind: 'demo' });
    const forced = loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', OPSBOT_DEMO: '1' }, { cwd: dir, inClusterTokenPath: token });
    expect(forced.ok && forced.config.kube).toEqual({ kind: 'demo' });
  });
});

describe('Reply (one event\'s reply handle)', () => {
  it('uses a single-use handle for the first card only, and a handle near its expiry not at all', async () => {
    const { Reply } = await import('../../src/core/dispatch.js');
    let now = 1_000_000;
    const once = new Reply('chat-1', { ref: 'r1', expiresAt: now + 60_000 }, true, () => now);
    expect(once.next()).toEqual({ chatId: 'chat-1', replyTo: 'r1' });
    expect(once.next()).toEqual({ chatId: 'chat-1' });
    const many = new Reply('chat-1', { ref: 'r2', expiresAt: now + 60_000 }, false, () => now);
    expect(many.next()).toEqual({ chatId: 'chat-1', replyTo: 'r2' });
    expect(many.next()).toEqual({ chatId: 'chat-1', replyTo: 'r2' });
    now += 56_000; // 4 s left: inside the 5 s margin
    expect(many.next()).toEqual({ chatId: 'chat-1' });
    expect(new Reply('chat-1', undefined, false, () => now).next()).toEqual({ chatId: 'chat-1' });
  });
});

describe('times on cards: the zone is said when the team spans zones', () => {
  it('utcLabel and spansZones', async () => {
    const { utcLabel, spansZones, clockTime, dateTime } = await import('../../src/core/time.js');
    const jan = Date.UTC(2026, 0, 15, 6, 0);
    const jul = Date.UTC(2026, 6, 15, 6, 0);
    expect(utcLabel(jan, 'Asia/Shanghai')).toBe('UTC+8');
    expect(utcLabel(jan, 'America/New_York')).toBe('UTC-5');
    expect(utcLabel(jul, 'America/New_York')).toBe('UTC-4'); // daylight saving
    expect(utcLabel(jan, 'Asia/Kolkata')).toBe('UTC+5:30');
    expect(utcLabel(jan, 'UTC')).toBe('UTC');
    expect(spansZones({ timezone: 'Asia/Shanghai', people: { a: {}, b: { timezone: 'Asia/Shanghai' } } })).toBe(false);
    expect(spansZones({ timezone: 'Asia/Shanghai', people: { a: {}, b: { timezone: 'Europe/Berlin' } } })).toBe(true);
    expect(clockTime(jan, 'Asia/Shanghai')).toBe('14:00');
    expect(clockTime(jan, 'Asia/Shanghai', true)).toBe('14:00 UTC+8');
    expect(dateTime(jan, 'Asia/Shanghai', true)).toBe('01-15 14:00 UTC+8');
  });

  it('an approval card of a team with someone abroad says the zone; the deadline also says how long is left', async () => {
    const { approvalCard } = await import('../../cards/approval.js');
    const now = Date.UTC(2026, 0, 15, 6, 0);
    const a = {
      id: 'K7QF', command: 'scale', args: {}, preview: { target: 'production/api', change: 'replicas 3 → 5', before: 3 }, risk: 'medium' as const,
      requester: { personId: 'alice', name: 'Alice', platform: 'console', userId: 'alice' }, chatId: 'c', steps: [{ role: 'lead', timeoutMs: 900_000, startedAt: now }], step: 0,
      state: 'pending' as const, version: 1, createdAt: now, updatedAt: now, expiresAt: now + 14 * 60_000,
    };
    const text = (zoneLabel: boolean) => renderText(approvalCard(a, { timeZone: 'Asia/Shanghai', now, zoneLabel, lang: 'en' }));
    expect(text(false)).toContain('→ lead (until 14:14, in 14m)');
    expect(text(true)).toContain('→ lead (until 14:14 UTC+8, in 14m)');
  });
});
