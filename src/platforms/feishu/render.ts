import type { Block, Card, Tone } from '../../../cards/model.js';
import { earlierNote, moreNote } from '../../../cards/text.js';
import type { Lang } from '../../core/i18n.js';

/** Feishu refuses card content over 30 KB (error 230025, platforms.md §1.5); keep a margin. */
export const MAX_CARD_BYTES = 28 * 1024;

const TEMPLATE: Record<Tone, string> = { info: 'blue', success: 'green', warning: 'orange', danger: 'red' };
const BUTTON_TYPE = { primary: 'primary_filled', danger: 'danger', default: 'default' } as const;

type El = Record<string, unknown>;

/**
 * Card → Feishu card JSON 2.0 (open.feishu.cn … feishu-cards/card-json-v2-structure): header colour by
 * tone, markdown, fields as a two-column set, tables as the table component (plain-text cells), code as
 * a fenced block, buttons with `behaviors: [{type: "callback", value}]`. Every piece of text that can
 * come from outside (pod names, log lines, reasons, later LLM output) is escaped here, so it can never
 * become a mention (`<at id=all>`), a link or formatting. Cards are shared (`update_multi`) so in-place
 * updates reach everyone.
 */
export function renderFeishuCard(card: Card, images?: ReadonlyMap<string, string>): Record<string, unknown> {
  let blocks = card.blocks;
  for (let attempt = 0; ; attempt++) {
    const json = build({ ...card, blocks }, images);
    if (Buffer.byteLength(JSON.stringify(json)) <= MAX_CARD_BYTES || attempt > 20) return json;
    blocks = shrink(blocks);
  }
}

function build(card: Card, images?: ReadonlyMap<string, string>): Record<string, unknown> {
  const elements: El[] = [...mentionElement(card), ...card.blocks.flatMap((b) => renderBlock(b, card.lang ?? 'en', images))];
  // A 2.0 card needs a body; a title-only card repeats its title there.
  if (!elements.length && !card.footer && !card.buttons?.length) elements.push({ tag: 'markdown', content: escapeText(card.title) });
  if (card.footer) elements.push({ tag: 'markdown', content: escapeText(card.footer), text_size: 'notation' });
  if (card.buttons?.length) {
    elements.push({
      tag: 'column_set',
      flex_mode: 'flow',
      horizontal_spacing: '8px',
      columns: card.buttons.map((b) => ({
        tag: 'column',
        width: 'auto',
        elements: [{ tag: 'button', text: { tag: 'plain_text', content: b.label }, type: BUTTON_TYPE[b.style], behaviors: [{ type: 'callback', value: { p: b.value } }] }],
      })),
    });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill' },
    header: { template: TEMPLATE[card.tone], title: { tag: 'plain_text', content: card.title } },
    body: { elements },
  };
}

function renderBlock(b: Block, lang: Lang, images?: ReadonlyMap<string, string>): El[] {
  switch (b.type) {
    case 'markdown':
      return [{ tag: 'markdown', content: renderMarkdown(b.text) }];
    case 'fields': {
      const cols = b.items.map((f) => ({ tag: 'column', width: 'weighted', weight: 1, elements: [{ tag: 'markdown', content: `**${escapeText(f.label)}**\n${renderMarkdown(f.value)}` }] }));
      return [{ tag: 'column_set', flex_mode: 'bisect', horizontal_spacing: '8px', columns: cols }];
    }
    case 'table': {
      const out: El[] = [
        {
          tag: 'table',
          page_size: Math.min(Math.max(b.rows.length, 1), 10),
          row_height: 'low',
          header_style: { bold: true, background_style: 'grey' },
          columns: b.columns.map((c, i) => ({ name: `c${i}`, display_name: c || ' ', data_type: 'text', width: 'auto' })),
          rows: b.rows.map((r) => Object.fromEntries(r.map((cell, i) => [`c${i}`, cell]))),
        },
      ];
      const notes = [b.omitted ? moreNote(b.omitted, lang) : '', b.note ?? ''].filter(Boolean);
      if (notes.length) out.push({ tag: 'markdown', content: escapeText(notes.join(' · ')), text_size: 'notation' });
      return out;
    }
    case 'code': {
      const out: El[] = [];
      if (b.omittedLines) out.push({ tag: 'markdown', content: escapeText(earlierNote(b.omittedLines, lang)), text_size: 'notation' });
      out.push({ tag: 'markdown', content: '```\n' + escapeText(b.text) + '\n```' });
      if (b.note) out.push({ tag: 'markdown', content: escapeText(b.note), text_size: 'notation' });
      return out;
    }
    case 'divider':
      return [{ tag: 'hr' }];
    case 'image': {
      // Uploaded first (im/v1/images → image_key); not uploaded (yet): left out, the card's text stands.
      const key = images?.get(b.ref);
      return key ? [{ tag: 'img', img_key: key, alt: { tag: 'plain_text', content: b.alt.slice(0, 100) }, scale_type: 'fit_horizontal', preview: true }] : [];
    }
  }
}

/** Alert mentions: `<at id=ou_…></at>` per person, `<at id=all></at>` for everyone. Ids are checked, not escaped. */
function mentionElement(card: Card): El[] {
  const ids = (card.mentions?.userIds ?? []).filter((id) => /^[A-Za-z0-9_-]{1,64}$/.test(id));
  const tags = [...(card.mentions?.all ? ['<at id=all></at>'] : []), ...ids.map((id) => `<at id=${id}></at>`)];
  return tags.length ? [{ tag: 'markdown', content: tags.join(' ') }] : [];
}

/** The card model's markdown subset (**bold** and `code`) → Feishu markdown, everything else escaped. */
export function renderMarkdown(text: string): string {
  return text
    .split(/(\*\*[^*\n]+\*\*|`[^`\n]+`)/g)
    .map((part) => {
      if (/^\*\*[^*\n]+\*\*$/.test(part)) return `**${escapeText(part.slice(2, -2))}**`;
      if (/^`[^`\n]+`$/.test(part)) return '`' + escapeText(part.slice(1, -1)) + '`';
      return escapeText(part);
    })
    .join('');
}

/**
 * Text from outside (pod names, reasons, log lines, later LLM output) inside Feishu markdown. Feishu's
 * card markdown does not honour backslash escapes (they render literally: NousResearch/hermes-agent#43437),
 * so instead of escaping, the dangerous constructs are made impossible with an invisible zero-width
 * space: after every `<` (no `<at id=all>`, `<font>` or other tag can form), between `](` (no link can
 * form), and inside runs of backticks (no code fence can open or close early). Emphasis characters stay
 * as typed: at worst cosmetic, never an injection. Unverified against a live Feishu tenant.
 */
export function escapeText(s: string): string {
  return s
    .replace(/</g, '<\u200b')
    .replace(/\]\(/g, ']\u200b(')
    .replace(/`{3,}/g, (m) => m.split('').join('\u200b'));
}

/** Makes the card smaller: fewer table rows or code lines, saying so. */
function shrink(blocks: Block[]): Block[] {
  let biggest = -1;
  let size = 0;
  blocks.forEach((b, i) => {
    const n = JSON.stringify(b).length;
    if ((b.type === 'table' || b.type === 'code') && n > size) {
      size = n;
      biggest = i;
    }
  });
  if (biggest < 0) return blocks.map((b) => (b.type === 'markdown' ? { ...b, text: b.text.slice(0, Math.floor(b.text.length * 0.7)) + '…' } : b));
  return blocks.map((b, i) => {
    if (i !== biggest) return b;
    if (b.type === 'table') {
      const keep = Math.max(1, Math.floor(b.rows.length * 0.7));
      return { ...b, rows: b.rows.slice(0, keep), omitted: (b.omitted ?? 0) + b.rows.length - keep, note: 'trimmed to fit Feishu\'s 30 KB card limit' };
    }
    if (b.type === 'code') {
      const lines = b.text.split('\n');
      const keep = Math.max(1, Math.floor(lines.length * 0.7));
      return { ...b, text: lines.slice(-keep).join('\n'), omittedLines: (b.omittedLines ?? 0) + lines.length - keep, note: 'trimmed to fit Feishu\'s 30 KB card limit' };
    }
    return b;
  });
}
