/**
 * The platform-neutral card. Commands build these; each platform renders them (design.md §1.7).
 * Text in a card is plain text: renderers escape it for their markup. `markdown` blocks allow only
 * **bold** and `code`, which every platform has.
 */
import type { Lang } from '../src/core/i18n.js';

export type Tone = 'info' | 'success' | 'warning' | 'danger';

export interface Card {
  title: string;
  tone: Tone;
  blocks: Block[];
  buttons?: Button[];
  footer?: string;
  /** People to notify (platform user ids from the policy, never from user input), or everyone. */
  mentions?: { userIds?: string[]; all?: boolean };
  /**
   * What the card shows, when it tracks something that changes (an approval now; alerts and reports
   * later): every copy is then updated in place. `rev` is the subject's version the card was rendered at.
   */
  binding?: { subject: 'approval' | 'alert' | 'report'; id: string; rev: number };
  /**
   * The language the card is written in, for what a renderer or fallback adds to it ("+3 more",
   * "type /approve …"). Set by the router for every reply; absent means English.
   */
  lang?: Lang;
}

export type Block =
  | { type: 'markdown'; text: string }
  | { type: 'fields'; items: Field[] }
  | { type: 'table'; columns: string[]; rows: string[][]; omitted?: number; note?: string }
  | { type: 'code'; text: string; omittedLines?: number; note?: string }
  | { type: 'divider' }
  /**
   * An image kept by the core (a chart: core/images.ts), named by its reference. Where a platform can show
   * uploaded images its renderer uploads it; elsewhere the block is left out — a card with an image also
   * says what it shows in text (a chart's table of trends). `url`: set on the way to a platform that
   * fetches images itself (DingTalk), a signed link to this image (OPSBOT_PUBLIC_URL).
   */
  | { type: 'image'; ref: string; alt: string; width: number; height: number; url?: string };

export interface Field {
  label: string;
  value: string;
}

export interface Button {
  /** A stable name for the action (`approve`, `logs`), whatever the label's language; the console's action names. */
  id?: string;
  label: string;
  style: 'primary' | 'danger' | 'default';
  /** A signed payload (src/core/payload.ts); never a command text. */
  value: string;
}

export const TONE_EMOJI: Record<Tone, string> = { info: '🔵', success: '🟢', warning: '🟠', danger: '🔴' };
