import type { Card } from './model.js';
import { NothingToDoError, OpsError, NotAllowedError, UsageError } from '../src/core/errors.js';
import { type Lang, t } from '../src/core/i18n.js';

/**
 * The reply for a failure, in the reader's language. An OpsError shows its message; anything else shows
 * only a reference that is also in the log (design.md §4: never a stack trace or an unknown error's
 * message in chat).
 */
export function errorCard(err: unknown, ref: string, lang: Lang = 'en'): Card {
  if (err instanceof OpsError) {
    const hint = err.hints(lang);
    const hintBlocks = hint ? [{ type: 'markdown' as const, text: hint }] : [];
    if (err instanceof NothingToDoError) return { title: `✅ ${err.says(lang)}`, tone: 'success', blocks: [{ type: 'markdown', text: t(lang, 'error.nothingToDo') }], lang };
    if (err instanceof UsageError) return { title: `❓ ${err.says(lang)}`, tone: 'warning', blocks: hintBlocks, lang };
    if (err instanceof NotAllowedError) return { title: `⛔ ${err.says(lang)}`, tone: 'danger', blocks: [{ type: 'markdown', text: [t(lang, 'error.nothingRunShort'), hint ?? t(lang, 'advice.admin')].filter(Boolean).join(lang === 'zh' ? '' : ' ') }], lang };
    return { title: `❌ ${err.says(lang)}`, tone: 'danger', blocks: hintBlocks, lang };
  }
  return { title: `❌ ${t(lang, 'error.internal', { ref })}`, tone: 'danger', blocks: [{ type: 'markdown', text: t(lang, 'error.internal.body') }], lang };
}
