import { t } from '../src/core/i18n.js';
import type { Card } from './model.js';

/**
 * A card for a platform whose clicks cannot reach us (send-only robots): buttons would be dead, so
 * they go, and an approval card says what to type instead.
 */
export function withoutButtons(card: Card): Card {
  if (!card.buttons?.length) return card;
  const { buttons: _buttons, ...rest } = card;
  if (card.binding?.subject !== 'approval') return rest;
  const id = card.binding.id;
  return { ...rest, blocks: [...card.blocks, { type: 'markdown', text: t(card.lang ?? 'en', 'approval.typeInstead', { id }) }] };
}
