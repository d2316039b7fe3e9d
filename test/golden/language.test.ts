import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalCard } from '../../cards/approval.js';
import { renderText } from '../../cards/text.js';
import type { Approval, ApprovalState } from '../../src/core/approvals/types.js';
import { catalogueEntries, type Lang } from '../../src/core/i18n.js';
import { type ApiCard, ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

/**
 * zh/en: the catalogue is complete, the approval card reads right in every state in both languages,
 * and a whole approval conversation (request, refusals, decision, result, errors, help) is answered
 * in the reader's language — Chinese by default in the shipped policy, English for a person who says so.
 */

describe('the catalogue', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)(?::[^}]*)?\}/g)].map((m) => m[1]).sort();
  it.each(catalogueEntries())('%s has both languages with the same placeholders', (_key, en, zh) => {
    expect(en.trim()).not.toBe('');
    expect(zh.trim()).not.toBe('');
    expect(placeholders(zh)).toEqual(placeholders(en));
  });
  it('Chinese entries are Chinese, not English copied over', () => {
    const copied = catalogueEntries().filter(([, en, zh]) => {
      const bare = zh.replace(/\{\w+\}/g, '');
      return en === zh || (!/[\u3400-\u9fff]/.test(bare) && /[A-Za-z]/.test(bare));
    });
    expect(copied.map(([k]) => k)).toEqual([]);
  });
});

const T0 = Date.UTC(2026, 10, 22, 6, 3, 0);
const bob = { personId: 'bob', name: 'Bob Li', platform: 'console', userId: 'bob' };
const base: Approval = {
  id: 'K7QF', command: 'scale', args: { deployment: 'api-gateway', replicas: 5, namespace: 'production' },
  preview: { target: 'production/api-gateway', change: 'replicas 3 → 5', before: 3 }, risk: 'medium',
  requester: { personId: 'alice', name: 'Alice Wang', platform: 'console', userId: 'alice' }, chatId: 'console',
  steps: [{ role: 'lead', timeoutMs: 900_000, startedAt: T0 }], step: 0, state: 'pending', version: 1,
  createdAt: T0, updatedAt: T0 + 60_000, expiresAt: T0 + 900_000,
};
const decided = { steps: [{ ...base.steps[0]!, decidedBy: bob, decidedAt: T0 + 120_000 }] };
const STATES: Record<ApprovalState, Partial<Approval>> = {
  pending: {},
  executing: { state: 'executing', ...decided },
  succeeded: { state: 'succeeded', ...decided, result: { ok: true, summary: 'scaled production/api-gateway 3 → 5' } },
  failed: { state: 'failed', ...decided, result: { ok: false, summary: 'deployment "api-gateway" not found' } },
  rejected: { state: 'rejected', closedBy: bob, reason: 'not during the sale' },
  expired: { state: 'expired' },
  cancelled: { state: 'cancelled', closedBy: base.requester },
};

describe('the approval card in both languages', () => {
  const buttons = [{ id: 'approve', label: 'x', style: 'primary' as const, value: 'v1.a.b' }];
  it.each((['en', 'zh'] as Lang[]).flatMap((lang) => Object.keys(STATES).map((s) => [s, lang] as const)))('%s (%s) matches its golden file', async (state, lang) => {
    const a = { ...base, ...STATES[state as ApprovalState] };
    const text = renderText(approvalCard(a, { timeZone: 'Asia/Shanghai', now: T0, lang, ...(state === 'pending' ? { buttons } : {}) }));
    await expect(text + '\n').toMatchFileSnapshot(`./text/approval-${state}.${lang}.txt`);
  });
});

/** The test policy with the shipped example's language (zh), and Dave reading English. */
function policyFile(): string {
  const text = readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8')
    .replace('timezone: Asia/Shanghai', 'timezone: Asia/Shanghai\nlanguage: zh')
    .replace('dave: { name: Dave Chen, roles: [lead],', 'dave: { name: Dave Chen, language: en, roles: [lead],');
  const file = join(mkdtempSync(join(tmpdir(), 'opsbot-lang-')), 'policy.yaml');
  writeFileSync(file, text);
  return file;
}

describe("a conversation in the reader's language", () => {
  let app: TestApp;
  let clock = T0;
  beforeAll(async () => {
    app = await startTestApp({ OPSBOT_CONFIG: policyFile() }, { now: () => clock });
  });
  afterAll(() => app?.stop());

  it('request, refusals, decision, result, errors and help: Chinese by default, English for Dave, Chinese for Chinese words', async () => {
    const out: string[] = [];
    const ids = new Map<string, string>();
    // Approval ids are random: each is named in order of appearance (found in card titles).
    const norm = (s: string) => [...ids].reduce((acc, [id, name]) => acc.replaceAll(id, name), s);
    const show = (who: string, said: string, cards: ApiCard[] | undefined, toast?: string) => {
      for (const c of cards ?? []) for (const m of c.title.matchAll(/· ([A-Z0-9]{4})\b/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `ID${ids.size + 1}`);
      out.push(`> ${who}: ${said}`);
      if (toast) out.push(`[toast] ${toast}`);
      for (const c of cards ?? []) out.push(c.text, ...(c.buttons.length ? [`buttons: ${c.buttons.map((b) => `${b.label}=${b.action}`).join(' ')}`] : []));
      out.push('');
    };
    const send = async (who: string, text: string) => {
      const cards = await app.send(who, text);
      show(who, text, cards);
      return cards;
    };
    const click = async (who: string, card: ApiCard, action: string) => {
      const r = await app.click(who, card.id, action);
      show(who, `[${action}]`, r.body.cards, (r.body as { toast?: { text: string } }).toast?.text);
      return r;
    };

    const [req] = await send('alice', '/scale api-gateway 5');
    expect(req!.title).toMatch(/^待审批 · [A-Z0-9]{4}$/);
    expect(req!.buttons.map((b) => [b.label, b.action])).toEqual([['批准', 'approve'], ['拒绝', 'reject']]);
    await click('alice', req!, 'approve');
    await click('carol', req!, 'approve');
    await click('erin', req!, 'approve');
    await send('carol', '/scale api-gateway 5');
    await send('alice', '/approve ZZ99');
    await send('alice', '/scale api-gateway 500');
    await send('alice', '/nope');
    await click('bob', req!, 'approve');
    await app.dispatcher.idle();
    show('(later)', 'the card', [await app.card(req!.id)]);
    await click('dave', req!, 'approve');
    await send('dave', '/approvals');
    const [second] = await send('dave', '/scale api-gateway 4');
    clock += 16 * 60_000;
    await send('bob', `/approve ${/· ([A-Z0-9]{4})$/.exec(second!.title)![1]}`);
    await send('alice', '/help');
    await send('dave', '/help scale');
    await send('dave', '/scale 网关 2');
    await send('mallory', '/pods');

    const transcript = norm(out.join('\n')).replace(/ready in \d+ s/g, 'ready in N s').replace(/\d+ 秒内/g, 'N 秒内');
    await expect(transcript).toMatchFileSnapshot('./text/conversation.txt');
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });
});

describe('command output in both languages', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ OPSBOT_CONFIG: policyFile() });
  });
  afterAll(() => app?.stop());
  const COMMANDS = ['/status', '/pods production', '/deployments production', '/events production --warnings', '/nodes', '/describe deploy order-service -n production', '/logs order-service --tail 3 -n production', '/reset'];
  // Pod names (suffixes made at start), ages and times move with the clock: the words around them are what is checked.
  const steady = (s: string) => s.replace(/-([a-z0-9]{10})-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-$1-xxxxx').replace(/(?<!\()\b\d+(\.\d+)?(ms|s|m|h|d)\b/g, 'T').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, 'TIME').replace(/\b\d\d:\d\d(:\d\d)?\b/g, 'HH:MM');
  it.each([
    ['zh', 'alice'],
    ['en', 'dave'],
  ] as const)('%s (%s) matches its golden file; only kubectl terms, names and numbers are left untranslated', async (lang, who) => {
    const out: string[] = [];
    for (const c of COMMANDS) {
      out.push(`> ${c}`);
      for (const card of await app.send(who, c)) out.push(card.text, ...(card.buttons.length ? [`buttons: ${card.buttons.map((b) => b.label).join(' | ')}`] : []));
      out.push('');
    }
    const text = steady(out.join('\n'));
    if (lang === 'zh') expect(text).not.toMatch(/\b(need attention|all healthy|all ready|not ready|ago|running ·|ready in|no pods|The log)\b/);
    await expect(text).toMatchFileSnapshot(`./text/outputs.${lang}.txt`);
  });
});

describe('argument descriptions', () => {
  it('every argument of every command has its Chinese in the catalogue (what /help shows)', async () => {
    const { COMMANDS } = await import('../../commands/index.js');
    const { known } = await import('../../src/core/i18n.js');
    const missing: string[] = [];
    for (const c of COMMANDS) {
      for (const [k, f] of Object.entries(c.args.shape as Record<string, { description?: string }>)) {
        if (typeof known(f.description ?? '') === 'string') missing.push(`/${c.name} ${k}: ${f.description ?? '(none)'}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
