import Router from '@koa/router';
import type { Dispatcher } from '../core/dispatch.js';
import { VerificationError } from '../core/errors.js';
import type { Logger } from '../log.js';
import { BadRequestError, type PlatformAdapter } from '../core/adapter.js';
import { readRawBody } from './raw-body.js';

export interface WebhookOptions {
  dispatcher: Dispatcher;
  log: Logger;
  now: () => number;
  /** Adapters that take HTTP callbacks, by platform. */
  adapters: Map<string, PlatformAdapter & { ackDeadlineMs: number }>;
  /** Why a known platform's route is off (not configured, or running over its long connection). */
  disabled: Map<string, string>;
  bodyLimit?: number;
}

/**
 * The one webhook route for every platform (design.md §1.6): raw bytes in, the adapter verifies and
 * parses, the answer goes out within the platform's deadline, slow work continues after it. No body
 * parser runs before verification.
 */
export function webhookRoutes(o: WebhookOptions): Router {
  const r = new Router();
  r.post('/webhooks/:platform', async (ctx) => {
    const platform = ctx.params['platform'] ?? '';
    const adapter = o.adapters.get(platform);
    if (!adapter?.receive) {
      ctx.status = 404;
      ctx.body = { error: o.disabled.get(platform) ?? `unknown platform "${platform}"` };
      return;
    }
    const body = await readRawBody(ctx, o.bodyLimit ?? 1024 * 1024);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.headers)) if (typeof v === 'string') headers[k] = v;
    let receipt;
    try {
      receipt = await adapter.receive({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.querystring), headers, body, receivedAt: o.now() });
    } catch (err) {
      // Never log the body: it may carry tokens. The reason is enough to fix a misconfiguration.
      if (err instanceof VerificationError) {
        o.log.warn({ platform, reason: err.userMessage, ip: ctx.ip }, 'webhook rejected');
        ctx.status = 401;
        ctx.body = { error: err.userMessage };
        return;
      }
      if (err instanceof BadRequestError) {
        o.log.warn({ platform, reason: err.message }, 'webhook malformed');
        ctx.status = 400;
        ctx.body = { error: err.message };
        return;
      }
      throw err;
    }
    if (receipt.kind === 'handshake') {
      ctx.status = receipt.reply.status;
      ctx.body = receipt.reply.body;
      return;
    }
    if (receipt.kind === 'events') {
      for (const ev of receipt.events) await o.dispatcher.message(adapter, ev);
      ctx.status = 200;
      ctx.body = {};
      return;
    }
    const answer = await o.dispatcher.action(adapter, receipt.action, adapter.ackDeadlineMs);
    ctx.status = 200;
    ctx.body = adapter.answerAction ? adapter.answerAction(answer) : {};
    const ref = receipt.action.cardRef;
    // Updates of the clicked card wait until the platform has our answer.
    if (ref && adapter.releaseUpdates) ctx.res.once('finish', () => void adapter.releaseUpdates?.(ref).catch((err: unknown) => o.log.warn({ err, platform }, 'held card update failed')));
  });
  return r;
}
