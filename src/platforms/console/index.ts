import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Secret } from '../../config/secret.js';
import { secretsEqual } from '../../core/secure-compare.js';
import type { Core } from '../../core/core.js';
import type { Dispatcher } from '../../core/dispatch.js';
import type { PlatformAdapter } from '../../core/adapter.js';
import { readJson } from '../../http/raw-body.js';
import type { Logger } from '../../log.js';
import { type ConsoleCard, ConsoleCardStore } from './cards.js';
import { consolePage } from './page.js';
import { welcomeCard } from './welcome.js';
import { approverRoles } from '../../core/approvals/workflow.js';
import { statusPage } from './status-page.js';
import { configPage, toolsPage } from './admin-pages.js';
import type { Setting } from '../../config/env.js';
import { usageLine } from '../../core/slash-parser.js';
import { formatDuration } from '../../core/duration.js';
import type { StatusReport } from '../../core/status.js';
import { renderText } from '../../../cards/text.js';
import type { Store } from '../../core/store/store.js';

/** The default room: all console users share it, like a team's group chat. */
export const CONSOLE_CHAT = 'console';
const MAX_BODY = 64 * 1024;
// The console accepts a little more than the bot reads, so an over-long message gets the bot's own answer.
const MAX_TEXT = 16_000;
const MAX_STREAMS = 50;
const CHAT_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export interface ConsoleOptions {
  core: Core;
  dispatcher: Dispatcher;
  store: Store;
  log: Logger;
  token?: Secret;
  now?: () => number;
  /** Every component's state, for the status page (`/console/status`, `/console/api/status`). */
  status?: () => Promise<StatusReport>;
  /** Every setting with its source, for the config view. */
  settings?: Setting[];
  /** The demo: whoever uses the console may act as any person of the policy (the user picker). */
  demo?: boolean;
  policyFile?: string;
}

/**
 * The local web console: the demo's chat platform, the reference adapter, and the simplest way to
 * script the bot (contract.md, "Console API"). Requires CONSOLE_TOKEN whenever it is not on loopback.
 */
/** The bus channel of console live updates. */
const CARD_CHANNEL = 'console:cards';

export function consoleAdapter(opts: ConsoleOptions): { adapter: PlatformAdapter; routes: Router; close(): void; ready: Promise<void> } {
  const now = opts.now ?? Date.now;
  const { router, approvals, audit } = opts.core;
  const cards = new ConsoleCardStore(opts.store, now);
  const streams = new Set<PassThrough>();
  // Every new or changed card reaches the pages open on every replica (the bus is Redis pub/sub when
  // the store is shared): a page on one replica sees the card another replica posted or updated.
  const broadcast = (c: ConsoleCard) => void opts.core.bus.publish(CARD_CHANNEL, c).catch((err: unknown) => opts.log.warn({ err }, 'console: live update not published'));
  const subscribed = opts.core.bus.subscribe<ConsoleCard>(CARD_CHANNEL, (c) => {
    if (!streams.size) return; // no page open here: nothing to format
    const data = `event: card\ndata: ${JSON.stringify(c)}\n\n`;
    for (const s of streams) s.write(data);
  });
  subscribed.catch((err: unknown) => opts.log.warn({ err }, 'console: live updates from other replicas are off'));
  /**
   * The console is a platform like the others: what people type and click goes through the
   * dispatcher (dedupe, caps, live cards, button ids), and the API answers once the cards are posted.
   * Who asked, by event id: console cards show their sender.
   */
  const senders = new Map<string, string>();
  const adapter: PlatformAdapter = {
    id: 'console',
    // No toast: a refused click is answered with a card in the feed, where the page shows it.
    caps: { ackDeadlineMs: 10_000, toast: false, cardUpdate: 'any', buttons: true, maxCardBytes: 64 * 1024, singleConnection: false, replyOnce: false },
    send: async (c, card, o) => {
      const eventId = o?.idempotencyKey?.slice(0, o.idempotencyKey.lastIndexOf(':')) ?? '';
      const v = await cards.add(card, senders.get(eventId) ?? '', c.chatId);
      if (senders.has(eventId)) remember(v);
      broadcast(v);
      return v.id;
    },
    update: async (ref, card) => {
      const v = await cards.replace(ref, card);
      if (!v) return;
      // A card posted for a waiting request and changed since ("thinking…" → the answer): it answers with this.
      if (justPosted.has(v.id)) justPosted.set(v.id, v);
      broadcast(v);
    },
  };
  opts.dispatcher.register(adapter);
  /** Runs `fn` with `user` recorded as the sender of the cards posted for `eventId`. */
  const as = async <T>(eventId: string, user: string, fn: () => Promise<T>): Promise<T> => {
    senders.set(eventId, user);
    try {
      return await fn();
    } finally {
      senders.delete(eventId);
    }
  };
  /**
   * Cards this process has just posted for a request that is waiting for them: its answer takes them
   * from here instead of reading each back from the store (taken once, then forgotten).
   */
  const justPosted = new Map<string, ConsoleCard>();
  const remember = (v: ConsoleCard) => {
    justPosted.set(v.id, v);
    // Bounded: an answer that never came for its cards (a failed request) leaves nothing for long.
    if (justPosted.size > 500) justPosted.delete(justPosted.keys().next().value as string);
  };
  const views = async (refs: string[]): Promise<ConsoleCard[]> => {
    const found = await Promise.all(
      [...new Set(refs)].map((ref) => {
        const v = justPosted.get(ref);
        justPosted.delete(ref);
        return v ?? cards.get(ref);
      }),
    );
    return found.filter((v): v is ConsoleCard => Boolean(v));
  };

  const personal = personalTokens(router.policy);
  const tokenRequired = Boolean(opts.token) || personal.size > 0;
  const r = new Router({ prefix: '/console' });
  r.use(originGuard(tokenRequired));
  r.use(tokenGuard(opts.token, personal));
  /**
   * Who a request may act as. The demo (and a loopback console without tokens): anyone of the policy,
   * picked in the page. Otherwise a personal token acts as its person only, and the shared
   * CONSOLE_TOKEN reads (status, tools, config, audit) but cannot act as anyone.
   */
  const actingAs = (ctx: Context, asked: string): string => {
    const who = ctx.state['who'] as Who;
    if (who.kind === 'person') {
      if (asked && asked !== who.user) return ctx.throw(403, `this token acts as ${who.name} only (console id "${who.user}"), not "${asked.slice(0, 40)}"`);
      return who.user;
    }
    if (who.kind === 'shared' && !opts.demo) return ctx.throw(403, 'CONSOLE_TOKEN reads only; to act as a person use their own token (people.<id>.consoleTokenSha256 in the policy; npm run console-token -- <person>)');
    if (!asked) return ctx.throw(400, '"user" must be a non-empty string');
    return asked;
  };

  // The pages: one HTML document each, same headers; they ask for a token whenever one is needed
  // (the shared one or a personal one), then call the API with it.
  for (const [path, render] of [['/', consolePage], ['/status', statusPage], ['/tools', toolsPage], ['/config', configPage]] as const) {
    r.get(path, (ctx) => {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' blob:");
      ctx.set('X-Frame-Options', 'DENY');
      ctx.body = render({ tokenRequired });
    });
  }

  /** Every command: usage, risk, examples and the tool schema the LLM sees (the same object). */
  r.get('/api/tools', (ctx) => {
    const tools = new Map(opts.core.router.registry.tools().map((t) => [t.function.name, t]));
    ctx.body = {
      commands: opts.core.router.registry.commands.map((c) => ({
        name: c.name,
        summary: c.summary,
        usage: usageLine(c),
        mutating: c.mutating,
        examples: c.examples ?? [],
        ...(tools.get(c.name.replace(/-/g, '_')) ? { tool: tools.get(c.name.replace(/-/g, '_')) } : {}),
      })),
    };
  });

  /** The effective settings and the policy, read-only; secrets only as set / not set. */
  r.get('/api/config', (ctx) => {
    const p = router.policy;
    ctx.body = {
      settings: opts.settings ?? [],
      policy: {
        file: opts.policyFile ?? '',
        language: p.language,
        timezone: p.timezone,
        namespaces: p.namespaces,
        people: Object.entries(p.people).map(([id, x]) => ({ id, name: x.name ?? id, roles: x.roles, platforms: Object.keys(x.ids) })),
        roles: Object.entries(p.roles).map(([name, x]) => ({ name, commands: x.commands, namespaces: x.namespaces })),
        approvals: {
          expiry: formatDuration(p.approvals.expiry),
          allowSelfApproval: p.approvals.allowSelfApproval,
          chains: Object.entries(p.approvals.risk).map(([risk, x]) => ({ risk, steps: (x?.steps ?? []).map((st) => `${st.role} (${formatDuration(st.timeout ?? p.approvals.expiry)})`), ...(x?.allowSelfApproval !== undefined ? { allowSelfApproval: x.allowSelfApproval } : {}) })),
          autoApprove: p.approvals.autoApprove,
        },
      },
    };
  });

  /** An approver posts a dead letter again (the status page's Retry). */
  r.post('/api/dead-letters/retry', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = actingAs(ctx, typeof body['user'] === 'string' ? body['user'].trim().slice(0, 100) : '');
    const key = stringField(ctx, body, 'key', 300);
    const person = Object.entries(router.policy.people).find(([, p]) => p.ids['console'] === user);
    const approvers = approverRoles(router.policy);
    if (!person || !person[1].roles.some((r) => approvers.has(r))) return ctx.throw(403, 'only approvers may retry a dead letter');
    try {
      const res = await opts.core.notifier.retry(key, person[0]);
      ctx.body = res.ok ? { ok: true, target: res.target.name } : { ok: false, reason: res.reason };
    } catch (err) {
      ctx.status = 400;
      ctx.body = { error: (err as { userMessage?: string }).userMessage ?? (err as Error).message };
    }
  });

  /** The same as JSON, for scripts: every platform's transport, the cluster, the LLM, the store, queues. */
  r.get('/api/status', async (ctx) => {
    if (!opts.status) return ctx.throw(404, 'status is not available');
    ctx.body = await opts.status();
  });

  r.get('/api/users', (ctx) => {
    const who = ctx.state['who'] as Who;
    ctx.body = {
      timezone: router.policy.timezone,
      // Outside the demo the page shows who the token acts as, not a picker.
      ...(who.kind === 'person' ? { fixed: who.user } : who.kind === 'shared' && !opts.demo ? { readOnly: true } : {}),
      users: Object.entries(router.policy.people)
        .filter(([, p]) => p.ids.console)
        .map(([id, p]) => ({ user: p.ids.console, id, name: p.name ?? id, roles: p.roles })),
    };
  });

  r.post('/api/send', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = actingAs(ctx, typeof body['user'] === 'string' ? body['user'].trim().slice(0, 100) : '');
    const text = stringField(ctx, body, 'text', MAX_TEXT);
    const chat = body['chat'] === undefined ? CONSOLE_CHAT : stringField(ctx, body, 'chat', 40);
    if (!CHAT_ID.test(chat)) ctx.throw(400, '"chat" must be lowercase letters, digits, - and _');
    const eventId = `console-${randomUUID()}`;
    await cards.note(chat, { kind: 'said', user, text, at: now() });
    const refs = await as(eventId, user, async () => (await opts.dispatcher.message(adapter, { kind: 'message', eventId, platform: 'console', chatId: chat, chatKind: 'group', userId: user, text, receivedAt: now() })).done);
    ctx.body = { cards: await views(refs) };
  });

  r.post('/api/click', async (ctx) => {
    const body = await readJson(ctx, MAX_BODY);
    const user = actingAs(ctx, typeof body['user'] === 'string' ? body['user'].trim().slice(0, 100) : '');
    const cardId = stringField(ctx, body, 'card', 100);
    const action = stringField(ctx, body, 'action', 100);
    const found = await cards.withAction(cardId, action);
    if (!found) return ctx.throw(404, `no card ${cardId}`);
    const { view: clicked, value } = found;
    if (!value) return ctx.throw(400, `card ${cardId} has no action "${action}"`);
    const eventId = `console-${randomUUID()}`;
    const label = clicked.buttons.find((b) => b.action === action)?.label ?? action;
    await cards.note(clicked.chat, { kind: 'said', user, text: label, at: now(), click: true });
    const ev = { kind: 'card-action' as const, eventId, platform: 'console', chatId: clicked.chat, userId: user, payload: value, cardRef: cardId, receivedAt: now() };
    const out = await as(eventId, user, async () => {
      const answer = await opts.dispatcher.action(adapter, ev);
      // The answer's card is the clicked card, changed (an approval decided): replaced in place.
      const updated = answer.card ? await cards.replace(cardId, answer.card) : undefined;
      if (updated) {
        remember(updated);
        broadcast(updated);
      }
      return { answer, refs: [...(updated ? [updated.id] : []), ...(await answer.delivered)] };
    });
    ctx.body = { cards: await views(out.refs), toast: out.answer.toast };
  });

  /** The room's history (what was typed and clicked, and the cards as they are now), oldest first. */
  r.get('/api/history', async (ctx) => {
    const chat = typeof ctx.query['chat'] === 'string' ? ctx.query['chat'] : CONSOLE_CHAT;
    if (!CHAT_ID.test(chat)) ctx.throw(400, '"chat" must be lowercase letters, digits, - and _');
    ctx.body = { entries: await cards.history(chat) };
  });

  /** The card a new person sees first: who they are here, and what to try. */
  r.get('/api/welcome', (ctx) => {
    const user = typeof ctx.query['user'] === 'string' ? ctx.query['user'] : '';
    const card = welcomeCard(router.policy, user, Boolean(opts.core.assistant?.enabled));
    ctx.body = { id: 'welcome', title: card.title, severity: card.tone, text: renderText(card), buttons: [], card, chat: CONSOLE_CHAT, user: '', createdAt: now(), updatedAt: now() };
  });

  /** A card's image (a chart), by its reference: PNG bytes. */
  r.get('/api/images/:ref', async (ctx) => {
    const png = await opts.core.images.get(ctx.params['ref'] ?? '');
    if (!png) return ctx.throw(404, 'no such image (images are kept 7 days)');
    ctx.set('Cache-Control', 'private, max-age=604800, immutable');
    ctx.type = 'image/png';
    ctx.body = png;
  });

  r.get('/api/cards/:id', async (ctx) => {
    const card = await cards.get(ctx.params['id'] ?? '');
    if (!card) return ctx.throw(404, 'no such card');
    ctx.body = card;
  });

  r.get('/api/approvals', async (ctx) => {
    const chat = typeof ctx.query['chat'] === 'string' ? ctx.query['chat'] : undefined;
    const open = await approvals.listOpen(chat === undefined ? undefined : { platform: 'console', chatId: chat });
    const copies = await Promise.all(open.map((a) => opts.core.live.copies('approval', a.id)));
    ctx.body = { approvals: open.map((a, i) => ({ id: a.id, state: a.state, command: a.command, target: a.preview.target, change: a.preview.change, risk: a.risk, requester: a.requester.name, waitingFor: a.steps[a.step]?.role, expiresAt: a.expiresAt, chat: a.chatId, cards: (copies[i] ?? []).filter((c) => c.platform === 'console').map((c) => c.ref) })) };
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
    adapter,
    routes: r,
    close() {
      for (const s of streams) s.end();
      streams.clear();
      void subscribed.then((end) => end()).catch(() => undefined);
    },
    ready: subscribed.then(
      () => undefined,
      () => undefined,
    ),
  };
}

function stringField(ctx: Context, body: Record<string, unknown>, name: string, max: number): string {
  const v = body[name];
  if (typeof v !== 'string' || !v.trim()) return ctx.throw(400, `"${name}" must be a non-empty string`);
  if (v.length > max) return ctx.throw(400, `"${name}" is longer than ${max} characters`);
  return v.trim();
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * DNS rebinding: a page at rebind.evil.example that resolves to 127.0.0.1 would reach the token-less
 * demo console with its own Host and Origin. Without a token, only loopback host names are served; and
 * a state-changing request that carries an Origin (every browser POST does) must come from the page's
 * own origin. Scripts (curl) send no Origin and are unaffected.
 */
function originGuard(tokenRequired: boolean) {
  return async (ctx: Context, next: Next) => {
    const host = ctx.get('host').toLowerCase();
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
    if (!tokenRequired && !LOOPBACK_NAMES.has(name) && !name.endsWith('.localhost')) {
      ctx.status = 403;
      ctx.body = { error: `the console without CONSOLE_TOKEN answers loopback names only (localhost, 127.0.0.1), not "${name.slice(0, 100)}"` };
      return;
    }
    const origin = ctx.get('origin');
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && origin) {
      let same = false;
      try {
        same = new URL(origin).host.toLowerCase() === host;
      } catch {
        same = false;
      }
      if (!same || ctx.get('sec-fetch-site') === 'cross-site') {
        ctx.status = 403;
        ctx.body = { error: 'cross-origin request refused: the console takes changes from its own page only' };
        return;
      }
    }
    return next();
  };
}

type Who = { kind: 'open' } | { kind: 'shared' } | { kind: 'person'; id: string; user: string; name: string };

/** Personal console tokens, by the SHA-256 of the token (the policy holds only hashes). */
function personalTokens(policy: Core['router']['policy']): Map<string, { id: string; user: string; name: string }> {
  const out = new Map<string, { id: string; user: string; name: string }>();
  for (const [id, p] of Object.entries(policy.people)) {
    if (p.consoleTokenSha256 && p.ids['console']) out.set(p.consoleTokenSha256, { id, user: p.ids['console'], name: p.name ?? id });
  }
  return out;
}

function tokenGuard(token: Secret | undefined, personal: Map<string, { id: string; user: string; name: string }>) {
  return async (ctx: Context, next: Next) => {
    const given = ctx.get('authorization').replace(/^Bearer\s+/i, '') || ctx.get('x-opsbot-token') || (ctx.path.endsWith('/stream') && typeof ctx.query['token'] === 'string' ? ctx.query['token'] : '');
    if (!token && !personal.size) {
      ctx.state['who'] = { kind: 'open' } satisfies Who;
      return next();
    }
    // The pages themselves hold no data (they ask for the token, then call the API with it).
    if (['/console', '/console/', '/console/status', '/console/tools', '/console/config'].includes(ctx.path)) return next();
    let who: Who | undefined;
    if (given && token && secretsEqual(given, token.reveal())) who = { kind: 'shared' };
    else if (given) {
      // Constant time over every personal hash (a match is not short-circuited).
      const h = createHash('sha256').update(given).digest();
      for (const [hex, p] of personal) if (timingSafeEqual(h, Buffer.from(hex, 'hex')) && !who) who = { kind: 'person', ...p };
    }
    if (!who) {
      ctx.status = 401;
      ctx.body = { error: 'console token required (Authorization: Bearer <your console token, or CONSOLE_TOKEN>)' };
      return;
    }
    ctx.state['who'] = who;
    return next();
  };
}
