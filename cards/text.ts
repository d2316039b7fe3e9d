import type { Block, Card } from './model.js';
import { TONE_EMOJI } from './model.js';

/**
 * The card as a person reads it in plain text: every field, table row and code line. Used by the console
 * API's `text`, by the logs, and by platforms as the notification summary.
 */
export function renderText(card: Card): string {
  const out: string[] = [`${TONE_EMOJI[card.tone]} ${card.title}`];
  if (card.mentions?.all || card.mentions?.userIds?.length) out.push([...(card.mentions.all ? ['@all'] : []), ...(card.mentions.userIds ?? []).map((u) => `@${u}`)].join(' '));
  for (const b of card.blocks) out.push(...blockText(b));
  if (card.footer) out.push(card.footer);
  if (card.buttons?.length) out.push(card.buttons.map((b) => `[${b.label}]`).join(' '));
  return out.join('\n');
}

function blockText(b: Block): string[] {
  switch (b.type) {
    case 'markdown':
      return [b.text.replace(/\*\*(.+?)\*\*/g, '$1')];
    case 'fields':
      return b.items.map((f) => `${f.label}: ${f.value}`);
    case 'table': {
      const widths = b.columns.map((c, i) => Math.max(c.length, ...b.rows.map((r) => (r[i] ?? '').length)));
      const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
      const lines = [line(b.columns), ...b.rows.map(line)];
      if (b.omitted) lines.push(`… +${b.omitted} more`);
      if (b.note) lines.push(b.note);
      return lines;
    }
    case 'code': {
      const lines = b.omittedLines ? [`… ${b.omittedLines} earlier lines not shown`, b.text] : [b.text];
      if (b.note) lines.push(b.note);
      return lines;
    }
    case 'divider':
      return ['—'];
  }
}
