import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Card } from '../../cards/model.js';
import { MAX_MARKDOWN_BYTES, renderMarkdown, renderParams } from '../../src/platforms/dingtalk/render.js';
import { ROOT } from '../helpers/start-app.js';

/** DingTalk cards: the template's variables are the ones we send; markdown stays inside DingTalk's subset and size. */
const spec = JSON.parse(readFileSync(`${ROOT}/deploy/dingtalk/opsbot-card.json`, 'utf8')) as { variables: { name: string }[] };

const card: Card = {
  title: 'production · 12 pods · 2 need attention',
  tone: 'danger',
  lang: 'en',
  blocks: [
    { type: 'fields', items: [{ label: 'Cluster', value: 'prod-sh · v1.31' }] },
    { type: 'table', columns: ['', 'Pod', 'Ready', 'Status'], rows: [['❌', 'order-service-546bjxrdr2-j7b8p', '0/1', 'CrashLoopBackOff'], ['✅', 'api-gateway-pkzzwtgvmd-75ghw', '2/2', 'Running']], omitted: 10 },
    { type: 'code', text: '# not a heading\n> not a quote\nERROR boom', omittedLines: 40 },
    { type: 'markdown', text: 'use `/logs` **now**' },
  ],
  footer: 'namespaces: production',
  buttons: [
    { id: 'logs', label: 'Logs order-service', style: 'primary', value: 'a1' },
    { id: 'describe', label: 'Describe', style: 'default', value: 'a2' },
    { id: 'events', label: 'Events', style: 'default', value: 'a3' },
    { id: 'extra', label: 'Extra', style: 'default', value: 'a4' },
  ],
};

describe('DingTalk rendering', () => {
  it('sends exactly the variables of deploy/dingtalk/opsbot-card.json, all strings', () => {
    const p = renderParams(card);
    expect(Object.keys(p).sort()).toEqual(spec.variables.map((v) => v.name).sort());
    expect(Object.values(p).every((v) => typeof v === 'string')).toBe(true);
    expect(p).toMatchObject({ status: 'open', btn1_action: 'a1', btn3_action: 'a3', btn1_style: 'primary', tone: 'danger' });
    expect(renderParams({ ...card, buttons: [] })).toMatchObject({ status: 'closed', btn1_show: 'false' });
  });

  it('tables become list lines, logs quoted lines that cannot start markdown, backticks go, the cut is said', () => {
    const md = renderMarkdown(card);
    expect(md.title).toBe('🔴 production · 12 pods · 2 need attention');
    expect(md.text).toContain('- ❌ · order-service-546bjxrdr2-j7b8p · 0/1 · CrashLoopBackOff');
    expect(md.text).toContain('… +10 more');
    expect(md.text).toContain('> \\# not a heading');
    expect(md.text).toContain('> \\> not a quote');
    expect(md.text).toContain('… 40 earlier lines not shown');
    expect(md.text).toContain('use /logs **now**');
    expect(md.text).toContain('**Cluster**: prod-sh · v1.31');
  });

  it('a huge card is cut to the size bound', () => {
    const big: Card = { title: 't', tone: 'info', blocks: [{ type: 'code', text: 'x'.repeat(300) + '\n' + 'y'.repeat(40_000) }] };
    expect(Buffer.byteLength(renderMarkdown(big).text)).toBeLessThanOrEqual(MAX_MARKDOWN_BYTES + 200);
  });
});
