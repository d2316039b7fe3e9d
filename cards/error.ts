import type { Card } from './model.js';
import { OpsError, NotAllowedError, UsageError } from '../src/core/errors.js';

/**
 * The reply for a failure. An OpsError shows its userMessage; anything else shows only a reference
 * that is also in the log (design.md §4: never a stack trace or an unknown error's message in chat).
 */
export function errorCard(err: unknown, ref: string): Card {
  if (err instanceof UsageError) {
    return { title: `❓ ${err.userMessage}`, tone: 'warning', blocks: err.hint ? [{ type: 'markdown', text: err.hint }] : [] };
  }
  if (err instanceof NotAllowedError) {
    return { title: `⛔ ${err.userMessage}`, tone: 'danger', blocks: [{ type: 'markdown', text: 'Nothing was run. Ask an admin if you need this permission (opsbot policy file).' }] };
  }
  if (err instanceof OpsError) {
    return { title: `❌ ${err.userMessage}`, tone: 'danger', blocks: err.hint ? [{ type: 'markdown', text: err.hint }] : [] };
  }
  return { title: `❌ Internal error (ref ${ref})`, tone: 'danger', blocks: [{ type: 'markdown', text: "Details are in the bot's log under this ref." }] };
}
