import type { Block, Card } from '../../../cards/model.js';
import { TONE_EMOJI } from '../../../cards/model.js';
import { earlierNote, moreNote } from '../../../cards/text.js';
import type { Lang } from '../../core/i18n.js';

/**
 * Cards for DingTalk (platforms.md §2.4–2.6). DingTalk markdown has headings, quotes, bold, italic,
 * links and lists — no tables and no code blocks — so a table becomes one list line per row (cells
 * joined by ·, the header once) and a log becomes quoted lines. The same markdown is the body of an
 * interactive card (the template's `content` variable) and of a plain markdown message.
 */

/** What DingTalk renders of markdown: a newline needs a blank line or two trailing spaces. */
const BR = '  \n';
/** Buttons a card can show (the template has this many slots). */
export const MAX_BUTTONS = 3;
/** Our bound for a message body: DingTalk does not publish one for markdown; keep it well inside 20 KB. */
export const MAX_MARKDOWN_BYTES = 16 * 1024;

/** Text that must not start markdown syntax by accident (a pod log line beginning with # or >). */
function plain(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/^([#>\-*+]|\d+\.)(\s)/, '\\$1$2');
}

function block(b: Block, lang: Lang): string {
  switch (b.type) {
    case 'markdown':
      // Our markdown is **bold** and `code` only; DingTalk shows backticks as they are, so they go.
      return b.text
        .split('\n')
        .map((l) => l.replace(/`([^`]+)`/g, '$1'))
        .join(BR);
    case 'fields':
      return b.items.map((f) => `**${plain(f.label)}**: ${plain(f.value)}`).join(BR);
    case 'table': {
      const head = b.columns.filter(Boolean).length ? `*${b.columns.filter(Boolean).map(plain).join(' · ')}*` : '';
      const rows = b.rows.map((r) => `- ${r.filter((c) => c !== '').map(plain).join(' · ')}`);
      const tail = [b.omitted ? moreNote(b.omitted, lang) : '', b.note ? plain(b.note) : ''].filter(Boolean);
      return [head, rows.join('\n'), ...tail].filter(Boolean).join('\n\n');
    }
    case 'code': {
      const lines = b.text.split('\n').map((l) => `> ${plain(l) || ' '}`);
      const parts = [b.omittedLines ? `*${earlierNote(b.omittedLines, lang)}*` : '', lines.join(BR), b.note ? plain(b.note) : ''].filter(Boolean);
      return parts.join('\n\n');
    }
    case 'divider':
      return '---';
    case 'image':
      // DingTalk fetches images by URL: a signed link to ours (OPSBOT_PUBLIC_URL); without one the card's
      // text (the trend table) stands alone.
      return b.url && /^https?:\/\/[^\s()]+$/.test(b.url) ? `![${plain(b.alt).replace(/[[\]]/g, '')}](${b.url})` : '';
  }
}

/** The card's body as DingTalk markdown (without the title, which a card shows in its header). */
export function renderBody(card: Card): string {
  const lang = card.lang ?? 'en';
  const parts = card.blocks.map((b) => block(b, lang)).filter(Boolean);
  if (card.mentions?.all) parts.unshift('@所有人');
  else if (card.mentions?.userIds?.length) parts.unshift(card.mentions.userIds.map((u) => `@${u}`).join(' '));
  if (card.footer) parts.push(`*${plain(card.footer)}*`);
  return cut(parts.join('\n\n'), MAX_MARKDOWN_BYTES);
}

export function renderTitle(card: Card): string {
  return `${TONE_EMOJI[card.tone]} ${plain(card.title)}`.slice(0, 200);
}

/** A markdown message (sessionWebhook or robot OpenAPI): `title` is the notification preview. */
export function renderMarkdown(card: Card): { title: string; text: string } {
  const title = renderTitle(card);
  return { title, text: `### ${title}\n\n${renderBody(card)}` };
}

/**
 * The interactive card template's variables (deploy/dingtalk/opsbot-card.json). Every value is a string
 * (DingTalk refuses others). Buttons are slots btn1…btn3: text, style, the short action id (bound to the
 * button's callback params), and whether it shows; `status` closed hides them all.
 */
export function renderParams(card: Card): Record<string, string> {
  const buttons = (card.buttons ?? []).slice(0, MAX_BUTTONS);
  const p: Record<string, string> = {
    title: renderTitle(card),
    tone: card.tone,
    content: renderBody(card),
    status: buttons.length ? 'open' : 'closed',
  };
  for (let i = 0; i < MAX_BUTTONS; i++) {
    const b = buttons[i];
    p[`btn${i + 1}_text`] = b?.label.slice(0, 40) ?? '';
    p[`btn${i + 1}_style`] = b?.style ?? 'default';
    p[`btn${i + 1}_action`] = b?.value ?? '';
    p[`btn${i + 1}_show`] = b ? 'true' : 'false';
  }
  return p;
}

/** The short action ids in slot order (btn1 = [0]). */
export function slotActions(card: Card): string[] {
  return (card.buttons ?? []).slice(0, MAX_BUTTONS).map((b) => b.value);
}

function cut(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let out = s.slice(0, maxBytes);
  while (Buffer.byteLength(out, 'utf8') > maxBytes - 3) out = out.slice(0, -64);
  return `${out}…`;
}
