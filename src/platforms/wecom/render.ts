import type { Block, Card } from '../../../cards/model.js';
import { TONE_EMOJI } from '../../../cards/model.js';
import { earlierNote, moreNote } from '../../../cards/text.js';
import { type Lang, t } from '../../core/i18n.js';

/**
 * Cards for WeCom (platforms.md §3.5–3.7). A card with buttons becomes a `template_card` of type
 * `button_interaction` (≤ 6 buttons, `key` = the short action id, `task_id` per card); everything else a
 * markdown message (WeCom markdown: headings, bold, links, inline code, quotes — no tables, so a table is
 * one list line per row and a log is quoted lines), cut to the target's byte limit with a note.
 */

/** markdown via the app, the group robot and response_url: 4,096 bytes; the bot's own replies allow 20,480. */
export const MARKDOWN_BYTES = { app: 4096, bot: 20_480 } as const;
export const MAX_BUTTONS = 6;
/** Neither title nor sub-title is bounded by the docs beyond "suggested" lengths; these keep a card readable on a phone. */
const TITLE_CHARS = 60;
const BODY_CHARS = 900;
/** The button the card keeps after a decision (button_interaction needs one): clicking it does nothing. */
export const NOOP_KEY = 'noop';

function plain(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/^([#>\-*+]|\d+\.)(\s)/, '\\$1$2');
}

function mdBlock(b: Block, lang: Lang): string {
  switch (b.type) {
    case 'markdown':
      return b.text;
    case 'fields':
      return b.items.map((f) => `**${plain(f.label)}**: ${plain(f.value)}`).join('\n');
    case 'table': {
      const rows = b.rows.map((r) => `- ${r.filter((c) => c !== '').map(plain).join(' · ')}`);
      return [rows.join('\n'), b.omitted ? moreNote(b.omitted, lang) : '', b.note ? plain(b.note) : ''].filter(Boolean).join('\n');
    }
    case 'code':
      return [b.omittedLines ? earlierNote(b.omittedLines, lang) : '', b.text.split('\n').map((l) => `> ${plain(l) || ' '}`).join('\n'), b.note ? plain(b.note) : ''].filter(Boolean).join('\n');
    case 'divider':
      return '---';
    case 'image':
      // WeCom cards take images by public URL only: the card's text (the trend table) stands.
      return '';
  }
}

export function renderTitle(card: Card): string {
  return `${TONE_EMOJI[card.tone]} ${plain(card.title)}`;
}

/** A markdown message within `maxBytes`. */
export function renderMarkdown(card: Card, maxBytes: number): string {
  const lang = card.lang ?? 'en';
  const parts = [`### ${renderTitle(card)}`];
  if (card.mentions?.all) parts.push('<@all>');
  else if (card.mentions?.userIds?.length) parts.push(card.mentions.userIds.map((u) => `<@${u}>`).join(' '));
  parts.push(...card.blocks.map((b) => mdBlock(b, lang)).filter(Boolean));
  if (card.footer) parts.push(`<font color="comment">${plain(card.footer)}</font>`);
  return cutBytes(parts.join('\n\n'), maxBytes, lang);
}

function textOf(b: Block, lang: Lang): string {
  switch (b.type) {
    case 'markdown':
      return b.text.replace(/\*\*(.+?)\*\*/g, '$1').replace(/`([^`]+)`/g, '$1');
    case 'fields':
      return '';
    case 'table':
      return [...b.rows.map((r) => r.filter(Boolean).join(' · ')), b.omitted ? moreNote(b.omitted, lang) : ''].filter(Boolean).join('\n');
    case 'code':
      return b.text;
    case 'divider':
    case 'image':
      return '';
  }
}

/** The `template_card` of a card with buttons (or of one that had them: it keeps a single no-op button). */
export function renderTemplateCard(card: Card, taskId: string): Record<string, unknown> {
  const lang = card.lang ?? 'en';
  const fields = card.blocks.flatMap((b) => (b.type === 'fields' ? b.items : [])).slice(0, 6);
  let body = card.blocks.map((b) => textOf(b, lang)).filter(Boolean).join('\n');
  if (card.footer) body += `${body ? '\n' : ''}${card.footer}`;
  const chars = Array.from(body);
  if (chars.length > BODY_CHARS) body = `${chars.slice(0, BODY_CHARS - 1).join('')}…`;
  const buttons = (card.buttons ?? []).slice(0, MAX_BUTTONS).map((b) => ({ text: b.label.slice(0, 20), style: b.style === 'primary' ? 1 : b.style === 'danger' ? 3 : 2, key: b.value }));
  return {
    card_type: 'button_interaction',
    main_title: { title: Array.from(renderTitle(card)).slice(0, TITLE_CHARS).join('') },
    ...(body ? { sub_title_text: body } : {}),
    ...(fields.length ? { horizontal_content_list: fields.map((f) => ({ keyname: f.label.slice(0, 20), value: f.value.slice(0, 60) })) } : {}),
    button_list: buttons.length ? buttons : [{ text: Array.from(card.title).slice(0, 12).join(''), style: 2, key: NOOP_KEY }],
    task_id: taskId,
  };
}

function cutBytes(s: string, maxBytes: number, lang: Lang): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const note = `\n\n${t(lang, 'card.cut')}`;
  let out = s;
  while (Buffer.byteLength(out + note, 'utf8') > maxBytes) out = out.slice(0, Math.floor(out.length * 0.9));
  return out + note;
}
