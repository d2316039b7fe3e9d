import { timingSafeEqual, createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Policy } from '../../config/policy.js';
import type { Secret } from '../../config/secret.js';
import type { Router as CoreRouter } from '../../core/router.js';
import { readJson } from '../../http/raw-body.js';
import { ConsoleCardStore } from './cards.js';
import { consolePage } from './page.js';

/** All console users share one room, like a team's group chat: anyone may click anyone's card. */
export const CONSOLE_CHAT = 'console';
const MAX_BODY = 64 * 1024;
const MAX_TEXT = 4000;

export interface ConsoleOptions {
  router: CoreRouter;
  policy: Policy;
  token?: Secret;
  now?: () => number;
}

/**
 * The local web console: the demo's chat platform and the simplest way to script the bot
 * (contract.md, "Console API"). Requires CONSOLE_TOKEN whenever it is not bound to loopback.
 */
export function consoleRoutes(opts: ConsoleOptions): { routes: Router; cards: ConsoleCardStore } {
  const now = opts.now ?? Date.now;
  const cards = new ConsoleCardStore();
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
      users: Object.entries(opts.policy.people)
        .filter(([, p]) => p.ids.console)
        .map(([id, p]) => ({ user: p.ids.console, id, name: p.name ?? id, roles: p.roles })),
    };
  });

  r.post('/api/send', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = stringField(ctx, body, 'user', 100);
    const text = stringField(ctx, body, 'text', MAX_TEXT);
    const out = await opts.router.message({ platform: 'console', userId: user, chatId: CONSOLE_CHAT, text });
    ctx.body = { cards: out.map((c) => cards.add(c, user, now())) };
  });

  r.post('/api/click', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = stringField(ctx, body, 'user', 100);
    const cardId = stringField(ctx, body, 'card', 100);
    const action = stringField(ctx, body, 'action', 100);
    if (!cards.get(cardId)) ctx.throw(404, `no card ${cardId}`);
    const value = cards.action(cardId, action);
    if (!value) return ctx.throw(400, `card ${cardId} has no action "${action}"`);
    const out = await opts.router.click({ platform: 'console', userId: user, chatId: CONSOLE_CHAT, payload: value });
    ctx.body = { cards: out.map((c) => cards.add(c, user, now())) };
  });

  r.get('/api/cards/:id', (ctx) => {
    const card = cards.get(ctx.params['id'] ?? '');
    if (!card) ctx.throw(404, 'no such card');
    ctx.body = card;
  });

  r.get('/api/cards', (ctx) => {
    ctx.body = { cards: cards.recent(50) };
  });

  return { routes: r, cards };
}

function stringField(ctx: Context, body: Record<string, unknown>, name: string, max: number): string {
  const v = body[name];
  if (typeof v !== 'string' || !v.trim()) ctx.throw(400, `"${name}" must be a non-empty string`);
  if ((v as string).length > max) ctx.throw(400, `"${name}" is longer than ${max} characters`);
  return (v as string).trim();
}

function tokenGuard(token: Secret | undefined) {
  const want = token ? createHash('sha256').update(token.reveal()).digest() : undefined;
  return async (ctx: Context, next: Next) => {
    if (!want || ctx.path === '/console' || ctx.path === '/console/') return next();
    const given = ctx.get('authorization').replace(/^Bearer\s+/i, '') || ctx.get('x-opsbot-token');
    const got = createHash('sha256').update(given).digest();
    if (!given || !timingSafeEqual(got, want)) {
      ctx.status = 401;
      ctx.body = { error: 'console token required (Authorization: Bearer <CONSOLE_TOKEN>)' };
      return;
    }
    return next();
  };
}
