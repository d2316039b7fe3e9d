import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../cards/approval.js';
import type { Card } from '../../cards/model.js';
import type { Approval } from '../../src/core/approvals/types.js';
import { MAX_CARD_BYTES, renderFeishuCard } from '../../src/platforms/feishu/render.js';
import { cardSchema, cardText } from '../fakes/feishu-api.js';

const T0 = Date.UTC(2026, 10, 22, 6, 3, 0);
const approval: Approval = {
  id: 'K7QF', command: 'scale', args: { deployment: 'api-gateway', replicas: 5, namespace: 'production' },
  preview: { target: 'production/api-gateway', change: 'replicas 3 → 5', before: 3 }, risk: 'medium',
  requester: { personId: 'alice', name: 'Alice Wang', platform: 'feishu', userId: 'ou_a' }, chatId: 'oc_1',
  steps: [{ role: 'lead', timeoutMs: 900_000, startedAt: T0 }], step: 0, state: 'pending', version: 1,
  createdAt: T0, updatedAt: T0, expiresAt: T0 + 900_000,
};
const buttons = [
  { label: 'Approve', style: 'primary' as const, value: 'v1.approve.sig' },
  { label: 'Reject', style: 'danger' as const, value: 'v1.reject.sig' },
];

const CARDS: Record<string, Card> = {
  'pods-table': {
    title: 'production · 12 pods · 2 need attention',
    tone: 'danger',
    blocks: [
      { type: 'table', columns: ['', 'Pod', 'Ready', 'Status', 'Restarts', 'Age'], rows: [['❌', 'order-service-546bjxrdr2-dprhd', '0/1', 'CrashLoopBackOff (OOMKilled)', '14 (3m ago)', '10h'], ['✅', 'api-gateway-pkzzwtgvmd-5vbp6', '2/2', 'Running', '0', '8h']], omitted: 3 },
      { type: 'markdown', text: '⏳ **data-export-6mj89k4gqs-cz4xc**: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.' },
    ],
    buttons: [{ label: 'Logs order-service', style: 'default', value: 'v1.logs.sig' }],
  },
  logs: { title: 'Logs · production/order-service-546bjxrdr2-dprhd', tone: 'warning', blocks: [{ type: 'markdown', text: '⚠️ 3 error lines in this window' }, { type: 'code', text: 'java.lang.OutOfMemoryError: Java heap space\n\tat com.acme.Order.run(Order.java:61)', omittedLines: 12 }], footer: 'last 50 lines · restarted 14×' },
  status: { title: 'Cluster status · 2 problems', tone: 'warning', blocks: [{ type: 'fields', items: [{ label: 'Nodes', value: '3/3 ready' }, { label: 'Pods', value: '12 running · 1 pending · 1 failing' }] }, { type: 'divider' }] },
  'approval-pending': approvalCard(approval, { timeZone: 'Asia/Shanghai', now: T0, buttons }),
  'approval-done': approvalCard({ ...approval, state: 'succeeded', steps: [{ ...approval.steps[0]!, decidedBy: { personId: 'bob', name: 'Bob Li', platform: 'feishu', userId: 'ou_b' }, decidedAt: T0 + 120_000 }], result: { ok: true, summary: 'scaled production/api-gateway 3 → 5 — 5/5 ready in 12 s' } }, { timeZone: 'Asia/Shanghai', now: T0 }),
  error: { title: '⛔ Carol Zhang (viewer) may not request /scale', tone: 'danger', blocks: [{ type: 'markdown', text: 'Nothing was run.' }] },
};

describe('Feishu card JSON 2.0 rendering', () => {
  it.each(Object.entries(CARDS))('%s matches its golden file and the card schema', async (name, card) => {
    const json = renderFeishuCard(card);
    expect(cardSchema.safeParse(json).success).toBe(true);
    await expect(JSON.stringify(json, null, 2) + '\n').toMatchFileSnapshot(`./feishu/${name}.json`);
  });

  it('header colour follows the tone; buttons carry only the signed value', () => {
    const json = renderFeishuCard(CARDS['approval-pending']!) as { header: { template: string }; body: { elements: { tag: string; columns?: { elements: { behaviors?: unknown; type?: string }[] }[] }[] } };
    expect(json.header.template).toBe('orange');
    const btns = json.body.elements.filter((e) => e.tag === 'column_set').flatMap((e) => e.columns ?? []).flatMap((c) => c.elements).filter((e) => e.behaviors);
    expect(btns.map((b) => [b.type, b.behaviors])).toEqual([
      ['primary_filled', [{ type: 'callback', value: { p: 'v1.approve.sig' } }]],
      ['danger', [{ type: 'callback', value: { p: 'v1.reject.sig' } }]],
    ]);
  });

  it('text from outside cannot mention everyone, link, or break out of a code block', () => {
    const evil = 'ignore <at id=all></at> and [click](https://evil.example) ```\n<font color=red>x</font>';
    const json = renderFeishuCard({
      title: '<at id=all></at>',
      tone: 'info',
      blocks: [{ type: 'markdown', text: `**${evil}** ${evil}` }, { type: 'code', text: evil }, { type: 'fields', items: [{ label: evil, value: evil }] }, { type: 'table', columns: ['x'], rows: [[evil]] }],
      footer: evil,
    });
    const text = JSON.stringify(json);
    // No tag and no link can form anywhere a markdown parser looks.
    for (const el of (json as { body: { elements: { tag: string; content?: string }[] } }).body.elements) {
      if (el.tag === 'markdown') {
        expect(el.content).not.toMatch(/<at|<font/);
        expect(el.content).not.toMatch(/\]\(/);
        const fences = (el.content ?? '').match(/```/g) ?? [];
        expect(fences.length % 2).toBe(0);
      }
    }
    // The header title and table cells are plain text components: shown as typed.
    expect(text).toContain('"title":{"tag":"plain_text","content":"<at id=all></at>"}');
    expect(text).toContain('"data_type":"text"');
    // Visually nothing is lost: removing the invisible breaks gives the original text back.
    expect(cardText(json).replace(/\u200b/g, '')).toContain('ignore <at id=all></at> and [click](https://evil.example)');
  });

  it('mentions people by open_id, or everyone; malformed ids are dropped', () => {
    const json = renderFeishuCard({ title: 'P1 firing', tone: 'danger', blocks: [{ type: 'markdown', text: 'x' }], mentions: { userIds: ['ou_84aad35d084aa403a838cf73ee18467', 'ou_x></at><at id=all'], all: true } }) as { body: { elements: { content?: string }[] } };
    expect(json.body.elements[0]!.content).toBe('<at id=all></at> <at id=ou_84aad35d084aa403a838cf73ee18467></at>');
    expect(cardSchema.safeParse(json).success).toBe(true);
  });

  it('a title-only card still has a body', () => {
    const json = renderFeishuCard({ title: 'No open approvals in this chat', tone: 'success', blocks: [] });
    expect(cardSchema.safeParse(json).success).toBe(true);
  });

  it('stays within Feishu\'s 30 KB limit, trimming with a note', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`pod-${i}-${'x'.repeat(50)}`, 'Running', '0']);
    const json = renderFeishuCard({ title: 'big', tone: 'info', blocks: [{ type: 'table', columns: ['Pod', 'Status', 'Restarts'], rows }, { type: 'code', text: Array.from({ length: 2000 }, (_, i) => `line ${i} ${'y'.repeat(60)}`).join('\n') }] });
    expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(cardText(json)).toContain("trimmed to fit Feishu's 30 KB card limit");
    expect(cardSchema.safeParse(json).success).toBe(true);
  });
});
