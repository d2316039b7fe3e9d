import stringWidth from 'string-width';
import { type Lang, t } from '../src/core/i18n.js';
import type { Block, Card } from './model.js';
import { TONE_EMOJI } from './model.js';

/**
 * The card as a person reads it in plain text: every field, table row and code line. Used by the console
 * API's `text`, by the logs, and by platforms as the notification summary.
 */
export function renderText(card: Card): string {
  const out: string[] = [`${TONE_EMOJI[card.tone]} ${card.title}`];
  if (card.mentions?.all || card.mentions?.userIds?.length) out.push([...(card.mentions.all ? ['@all'] : []), ...(card.mentions.userIds ?? []).map((u) => `@${u}`)].join(' '));
  for (const b of card.blocks) out.push(...blockText(b, card.lang ?? 'en'));
  if (card.footer) out.push(card.footer);
  if (card.buttons?.length) out.push(card.buttons.map((b) => `[${b.label}]`).join(' '));
  return out.join('\n');
}

/** What a renderer says under a table cut to its first rows. */
export function moreNote(n: number, lang: Lang): string {
  return t(lang, 'card.more', { n });
}

/** What a renderer says above a log cut to its last lines. */
export function earlierNote(n: number, lang: Lang): string {
  return t(lang, 'card.earlier', { n });
}

function blockText(b: Block, lang: Lang): string[] {
  switch (b.type) {
    case 'markdown':
      return [b.text.replace(/\*\*(.+?)\*\*/g, '$1')];
    case 'fields':
      return b.items.map((f) => `${f.label}: ${f.value}`);
    case 'table': {
      // Columns line up by display width: a Chinese character or an emoji takes two cells of a monospace
      // font, not one (padEnd counts UTF-16 units, which misaligned every Chinese or ⚠️ row).
      const widths = b.columns.map((c, i) => Math.max(stringWidth(c), ...b.rows.map((r) => stringWidth(r[i] ?? ''))));
      const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - stringWidth(c)))).join('  ').trimEnd();
      const lines = [line(b.columns), ...b.rows.map(line)];
      if (b.omitted) lines.push(moreNote(b.omitted, lang));
      if (b.note) lines.push(b.note);
      return lines;
    }
    case 'code': {
      const lines = b.omittedLines ? [earlierNote(b.omittedLines, lang), b.text] : [b.text];
      if (b.note) lines.push(b.note);
      return lines;
    }
    case 'divider':
      return ['—'];
    case 'image':
      // The card says in text what the image shows (a chart's trend table).
      return [];
  }
}
