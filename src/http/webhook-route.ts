import Router from '@koa/router';
import type { Context } from 'koa';
import type { Dispatcher } from '../core/dispatch.js';
import { VerificationError } from '../core/errors.js';
import { settle } from '../core/ingress.js';
import type { Logger } from '../log.js';
import { BadRequestError, type HttpReply, type PlatformAdapter } from '../core/adapter.js';
import { readRawBody } from './raw-body.js';

export interface WebhookOptions {
  dispatcher: Dispatcher;
  log: Logger;
  now: () => number;
  /** Adapters that take HTTP callbacks, by platform. */
  adapters: Map<string, PlatformAdapter>;
  /** Why a known platform's route is off (not configured, or running over its long connection). */
  disabled: Map<string, string>;
  bodyLimit?: number;
  /** A request refused before any work: `signature` (failed verification) or `malformed` (/metrics). */
  onRejected?: (platform: string, reason: 'signature' | 'malformed') => void;
}

/**
 * The one webhook route for every platform (design.md §1.6): raw bytes in, the adapter verifies and
 * parses, the answer goes out within the platform's deadline, slow work continues after it. GET too:
 * WeCom verifies its callback URL with a signed GET. No body parser runs before verification.
 */
export function webhookRoutes(o: WebhookOptions): Router {
  const r = new Router();
  const handle = async (ctx: Context & { params: Record<string, string> }) => {
    const platform = ctx.params['platform'] ?? '';
    const adapter = o.adapters.get(platform);
    if (!adapter?.receive) {
      ctx.status = 404;
      ctx.body = { error: o.disabled.get(platform) ?? `unknown platform "${platform}"` };
      return;
    }
    const body = ctx.method === 'GET' ? Buffer.alloc(0) : await readRawBody(ctx, o.bodyLimit ?? 1024 * 1024);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.headers)) if (typeof v === 'string') headers[k] = v;
    let receipt;
    try {
      receipt = await adapter.receive({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.querystring), headers, body, receivedAt: o.now() });
    } catch (err) {
      // Never log the body: it may carry tokens. The reason is enough to fix a misconfiguration.
      if (err instanceof VerificationError) {
        o.log.warn({ platform, reason: err.userMessage, ip: ctx.ip }, 'webhook rejected');
        o.onRejected?.(platform, 'signature');
        ctx.status = 401;
        ctx.body = { error: err.userMessage };
        return;
      }
      if (err instanceof BadRequestError) {
        o.log.warn({ platform, reason: err.message }, 'webhook malformed');
        o.onRejected?.(platform, 'malformed');
        ctx.status = 400;
        ctx.body = { error: err.message };
        return;
      }
      throw err;
    }
    const { reply, afterAck } = await settle(o.dispatcher.sink(adapter), adapter, receipt);
    writeReply(ctx, reply);
    // Work that must wait until the platform has our answer (Feishu: held card updates).
    if (afterAck) ctx.res.once('finish', () => {
      try {
        afterAck();
      } catch (err) {
        o.log.warn({ err, platform }, 'after-ack hook failed');
      }
    });
  };
  r.get('/webhooks/:platform', handle);
  r.post('/webhooks/:platform', handle);
  return r;
}

function writeReply(ctx: Context, reply: HttpReply): void {
  ctx.status = reply.status;
  for (const [k, v] of Object.entries(reply.headers ?? {})) ctx.set(k, v);
  const typed = Object.keys(reply.headers ?? {}).some((k) => k.toLowerCase() === 'content-type');
  if (typeof reply.body === 'string' && !typed) ctx.type = 'text/plain';
  ctx.body = reply.body;
}
