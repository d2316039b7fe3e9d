import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Card } from '../../../cards/model.js';
import type { Secret } from '../../config/secret.js';
import { secretsEqual } from '../../core/secure-compare.js';
import type { Core } from '../../core/core.js';
import type { Dispatcher } from '../../core/dispatch.js';
import type { PlatformAdapter } from '../../core/adapter.js';
import { readJson } from '../../http/raw-body.js';
import type { Logger } from '../../log.js';
import { type ConsoleCard, ConsoleCardStore } from './cards.js';
import { consolePage } from './page.js';
import type { Store } from '../../core/store/store.js';

/** The default room: all console users share it, like a team's group chat. */
export const CONSOLE_CHAT = 'console';
const MAX_BODY = 64 * 1024;
const MAX_TEXT = 4000;
const MAX_STREAMS = 50;
const CHAT_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export interface ConsoleOptions {
  core: Core;
  dispatcher: Dispatcher;
  store: Store;
  log: Logger;
  token?: Secret;
  now?: () => number;
}

/**
 * The local web console: the demo's chat platform, the reference adapter, and the simplest way to
 * script the bot (contract.md, "Console API"). Requires CONSOLE_TOKEN whenever it is not on loopback.
 */
export function consoleAdapter(opts: ConsoleOptions): { routes: Router; close(): void } {
  const now = opts.now ?? Date.now;
  const { router, approvals, audit } = opts.core;
  const cards = new ConsoleCardStore(opts.store, now);
  const streams = new Set<PassThrough>();
  const broadcast = (c: ConsoleCard) => {
    const data = `event: card\ndata: ${JSON.stringify(c)}\n\n`;
    for (const s of streams) s.write(data);
  };
  /**
   * Cards are posted through the dispatcher like every platform (so approval cards are bound for
   * in-place updates in one place), as the user who asked, and returned as they are now.
   */
  /** Who asked, by delivery key: console cards show their sender. */
  const senders = new Map<string, string>();
  const adapter: PlatformAdapter = {
    id: 'console',
    caps: { ackDeadlineMs: 10_000, toast: true, cardUpdate: 'any', buttons: true, maxCardBytes: 64 * 1024, singleConnection: false, replyOnce: false },
    send: async (c, card, o) => {
      const v = await cards.add(card, senders.get(o?.idempotencyKey?.replace(/:\d+$/, '') ?? '') ?? '', c.chatId);
      broadcast(v);
      return v.id;
    },
    update: async (ref, card) => {
      const v = await cards.replace(ref, card);
      if (v) broadcast(v);
    },
  };
  opts.dispatcher.register(adapter);
  let seq = 0;
  const post = async (out: Card[], user: string, chat: string): Promise<ConsoleCard[]> => {
    const key = `console:${now()}:${++seq}`;
    senders.set(key, user);
    const refs = await opts.dispatcher.deliver(adapter, { chatId: chat }, out, key).finally(() => senders.delete(key));
    const views = await Promise.all(refs.map((ref) => cards.get(ref)));
    return views.filter((v): v is ConsoleCard => Boolean(v));
  };

  const r = new Router({ prefix: '/console' });
  r.use(tokenGuard(opts.token));

  r.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
    ctx.set('X-Frame-Options', 'DENY');
    ctx.body = consolePage({ tokenRequired: Boolean(opts.token) });
  });

  r.get('/api/users', (ctx) => {
    ctx.body = {
      timezone: router.policy.timezone,
      users: Object.entries(router.policy.people)
        .filter(([, p]) => p.ids.console)
        .map(([id, p]) => ({ user: p.ids.console, id, name: p.name ?? id, roles: p.roles })),
    };
  });

  r.post('/api/send', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = stringField(ctx, body, 'user', 100);
    const text = stringField(ctx, body, 'text', MAX_TEXT);
    const chat = body['chat'] === undefined ? CONSOLE_CHAT : stringField(ctx, body, 'chat', 40);
    if (!CHAT_ID.test(chat)) ctx.throw(400, '"chat" must be lowercase letters, digits, - and _');
    const out = await router.message({ platform: 'console', userId: user, chatId: chat, text });
    ctx.body = { cards: await post(out, user, chat) };
  });

  r.post('/api/click', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = stringField(ctx, body, 'user', 100);
    const cardId = stringField(ctx, body, 'card', 100);
    const action = stringField(ctx, body, 'action', 100);
    const found = await cards.withAction(cardId, action);
    if (!found) return ctx.throw(404, `no card ${cardId}`);
    const { view: clicked, value } = found;
    if (!value) return ctx.throw(400, `card ${cardId} has no action "${action}"`);
    const out = await router.click({ platform: 'console', userId: user, chatId: clicked.chat, payload: value });
    // A card about the same approval is the clicked card, updated in place; anything else is new.
    const views: ConsoleCard[] = [];
    const fresh: Card[] = [];
    for (const c of out) {
      if (clicked.approvalId && c.binding?.approvalId === clicked.approvalId) {
        const v = await cards.replace(cardId, c);
        if (v) {
          broadcast(v);
          views.push(v);
        }
      } else fresh.push(c);
    }
    views.push(...(await post(fresh, user, clicked.chat)));
    ctx.body = { cards: views };
  });

  r.get('/api/cards/:id', async (ctx) => {
    const card = await cards.get(ctx.params['id'] ?? '');
    if (!card) return ctx.throw(404, 'no such card');
    ctx.body = card;
  });

  r.get('/api/approvals', async (ctx) => {
    const chat = typeof ctx.query['chat'] === 'string' ? ctx.query['chat'] : undefined;
    const open = await approvals.listOpen(chat);
    ctx.body = { approvals: open.map((a) => ({ id: a.id, state: a.state, command: a.command, target: a.preview.target, change: a.preview.change, risk: a.risk, requester: a.requester.name, waitingFor: a.steps[a.step]?.role, expiresAt: a.expiresAt, chat: a.chatId, cards: a.cards.filter((c) => c.platform === 'console').map((c) => c.ref) })) };
  });

  r.get('/api/audit', async (ctx) => {
    const limit = Math.min(500, Math.max(1, Number(ctx.query['limit'] ?? 100) || 100));
    ctx.body = { entries: await audit.query({ limit }) };
  });

  /** Server-sent events: every new or updated card, so open pages update cards in place. */
  r.get('/api/stream', (ctx) => {
    if (streams.size >= MAX_STREAMS) return ctx.throw(503, 'too many open console streams');
    const s = new PassThrough();
    streams.add(s);
    const ping = setInterval(() => s.write(': ping\n\n'), 25_000);
    const done = () => {
      clearInterval(ping);
      streams.delete(s);
    };
    ctx.req.on('close', done);
    s.on('close', done);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    ctx.status = 200;
    ctx.body = s;
    s.write(': connected\n\n');
  });

  return {
    routes: r,
    close() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}

function stringField(ctx: Context, body: Record<string, unknown>, name: string, max: number): string {
  const v = body[name];
  if (typeof v !== 'string' || !v.trim()) return ctx.throw(400, `"${name}" must be a non-empty string`);
  if (v.length > max) return ctx.throw(400, `"${name}" is longer than ${max} characters`);
  return v.trim();
}

function tokenGuard(token: Secret | undefined) {
  return async (ctx: Context, next: Next) => {
    if (!token || ctx.path === '/console' || ctx.path === '/console/') return next();
    const given = ctx.get('authorization').replace(/^Bearer\s+/i, '') || ctx.get('x-opsbot-token') || (ctx.path.endsWith('/stream') && typeof ctx.query['token'] === 'string' ? ctx.query['token'] : '');
    if (!given || !secretsEqual(given, token.reveal())) {
      ctx.status = 401;
      ctx.body = { error: 'console token required (Authorization: Bearer <CONSOLE_TOKEN>)' };
      return;
    }
    return next();
  };
}
