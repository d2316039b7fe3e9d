/**
 * Proof that the platform seam holds: a throwaway platform, defined entirely in this file, runs the
 * full /scale → approval card → click → execution → updated card loop over HTTP callbacks, over a long
 * connection, and as a variant without buttons or card updates — with no change to src/. Its fake
 * API enforces single-use card handles, and the platform has no toast.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Card } from '../../cards/model.js';
import { renderText } from '../../cards/text.js';
import { BadRequestError, type CardActionEvent, type EventSink, type InboundEvent, type PlatformAdapter, type PlatformCaps, type RawRequest, type Receipt } from '../../src/core/adapter.js';
import { VerificationError } from '../../src/core/errors.js';
import { settle } from '../../src/core/ingress.js';
import { LongConnection } from '../../src/core/long-connection.js';
import { definePlatform, type PlatformDefinition } from '../../src/core/platform.js';
import { secretsEqual } from '../../src/core/secure-compare.js';
import { PLATFORMS } from '../../src/platforms/index.js';
import { ROOT, startTestApp, type TestApp } from '../helpers/start-app.js';

const SECRET = 'acme-signing-secret-0123456789';

// ---- the fake cloud API: cards in, single-use handles out ------------------------------------------
interface Posted {
  chat: string;
  /** The reply handle the card answered, if it went out as a reply. */
  reply?: string;
  title: string;
  text: string;
  buttons: { label: string; value: string }[];
}
class FakeAcmeApi {
  readonly sent: (Posted & { handle: string })[] = [];
  readonly updates: (Posted & { handle: string })[] = [];
  readonly rejected: string[] = [];
  readonly #live = new Set<string>();
  /** Reply handles issued with events: single-use, and refused after their expiry (as WeCom's response_url). */
  readonly #replies = new Map<string, number>();
  readonly #cards = new Set<string>();
  #n = 0;

  issueReply(ttlMs: number): { ref: string; expiresAt: number } {
    const ref = `r${++this.#n}`;
    const expiresAt = Date.now() + ttlMs;
    this.#replies.set(ref, expiresAt);
    return { ref, expiresAt };
  }
  #server?: Server;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const reply = (status: number, j: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(j));
        };
        let j: { chat?: unknown; handle?: unknown; reply?: unknown; card?: Posted };
        try {
          j = JSON.parse(body) as typeof j;
        } catch {
          return reply(400, { error: 'not json' });
        }
        const c = j.card;
        // Validates like a real platform would: a shape, and a size limit.
        if (!c || typeof c.title !== 'string' || typeof c.text !== 'string' || !Array.isArray(c.buttons) || body.length > 8192) return reply(400, { error: 'bad card' });
        if (c.buttons.some((b) => typeof b.label !== 'string' || typeof b.value !== 'string' || b.value.length > 2048)) return reply(400, { error: 'bad button' });
        const handle = `h${++this.#n}`;
        this.#cards.add(handle);
        if (req.url === '/send' && typeof j.chat === 'string') {
          // A reply to a card names the card's handle; a reply to a message, a handle issued with it.
          if (j.reply !== undefined && !this.#cards.has(String(j.reply))) {
            const until = this.#replies.get(String(j.reply));
            this.#replies.delete(String(j.reply));
            if (until === undefined || Date.now() > until) {
              this.rejected.push(String(j.reply));
              return reply(400, { error: `reply handle ${String(j.reply)} is used up or expired` });
            }
          }
          this.sent.push({ ...c, chat: j.chat, handle, ...(typeof j.reply === 'string' ? { reply: j.reply } : {}) });
          this.#live.add(handle);
          return reply(200, { handle });
        }
        if (req.url === '/update' && typeof j.handle === 'string') {
          // Each handle updates once; the update brings the next one (as WeCom's response_code).
          if (!this.#live.delete(j.handle)) {
            this.rejected.push(j.handle);
            return reply(400, { error: `handle ${j.handle} is used up or unknown` });
          }
          this.#live.add(handle);
          this.updates.push({ ...c, chat: '', handle: j.handle });
          return reply(200, { handle });
        }
        reply(404, { error: 'no such API' });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()));
  }
}

// ---- the throwaway platform ------------------------------------------------------------------------
interface AcmeConfig {
  mode: 'http' | 'ws' | 'send';
  secret: string;
  api: string;
  ws?: string;
}

function render(card: Card) {
  return { title: card.title, text: renderText(card), buttons: (card.buttons ?? []).map((b) => ({ label: b.label, value: b.value })) };
}

class AcmeAdapter implements PlatformAdapter {
  readonly caps: PlatformCaps;
  constructor(
    readonly id: string,
    readonly cfg: AcmeConfig,
  ) {
    const send = cfg.mode === 'send';
    this.caps = { ackDeadlineMs: 2000, toast: false, cardUpdate: send ? 'never' : 'once-per-handle', buttons: !send, maxCardBytes: 8192, singleConnection: cfg.mode === 'ws', replyOnce: cfg.mode === 'http' };
  }

  async receive(req: RawRequest): Promise<Receipt> {
    const ts = req.headers['x-acme-timestamp'] ?? req.query.get('ts') ?? '';
    const sig = req.headers['x-acme-signature'] ?? req.query.get('sig') ?? '';
    const signed = req.method === 'GET' ? `${ts}\n${req.query.get('echo') ?? ''}` : `${ts}\n${req.body.toString('utf8')}`;
    if (!secretsEqual(sig, sign(this.cfg.secret, signed))) throw new VerificationError('bad acme signature');
    if (!/^\d+$/.test(ts) || Math.abs(req.receivedAt - Number(ts)) > 300_000) throw new VerificationError('stale acme timestamp');
    // URL verification answers with the bare echo, as plain text.
    if (req.method === 'GET') return { reply: { status: 200, body: req.query.get('echo') ?? '' }, events: [] };
    return { reply: { status: 200, body: 'ok' }, events: [parse(this.id, req.body.toString('utf8'), req.receivedAt)] };
  }

  answerAction(a: { card?: Card }, ev: CardActionEvent) {
    return { status: 200, body: { event: ev.eventId, ...(a.card ? { card: render(a.card) } : {}) } };
  }

  async send(to: { chatId: string; replyTo?: string }, card: Card): Promise<string> {
    return this.#call('/send', { chat: to.chatId, ...(to.replyTo ? { reply: to.replyTo } : {}), card: render(card) });
  }

  async update(handle: string, card: Card): Promise<string> {
    return this.#call('/update', { handle, card: render(card) });
  }

  async #call(path: string, body: unknown): Promise<string> {
    const r = await fetch(this.cfg.api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = (await r.json()) as { handle?: string; error?: string };
    if (!r.ok || !j.handle) throw new Error(`acme ${path}: ${r.status} ${j.error ?? ''}`);
    return j.handle;
  }
}

function parse(platform: string, text: string, receivedAt: number): InboundEvent {
  const j = JSON.parse(text) as { id: string; type: string; chat: string; user: string; text?: string; value?: string; handle?: string; reply?: { ref: string; expiresAt: number } };
  if (j.type === 'message') return { kind: 'message', eventId: j.id, platform, chatId: j.chat, chatKind: 'group', userId: j.user, text: j.text ?? '', ...(j.reply ? { replyTo: j.reply } : {}), receivedAt };
  if (j.type === 'click') return { kind: 'card-action', eventId: j.id, platform, chatId: j.chat, userId: j.user, payload: j.value ?? '', ...(j.handle ? { cardRef: j.handle } : {}), receivedAt };
  throw new BadRequestError(`unknown acme event type ${j.type}`);
}

const sign = (secret: string, s: string) => createHmac('sha256', secret).update(s).digest('hex');

/** The long connection: framing only; reconnects and acks come from core's LongConnection, dispatch from the shared ingress. */
function connect(adapter: AcmeAdapter, sink: EventSink): () => Promise<void> {
  const conn = new LongConnection({
    name: 'acme long connection',
    log: pino({ level: 'silent' }),
    endpoint: async () => ({ url: adapter.cfg.ws as string }),
    minBackoffMs: 20,
    onFrame: (data, link) => {
      const f = JSON.parse(data.toString()) as { frame: string; event: unknown };
      void link.answer(async () => {
        const { reply, afterAck } = await settle(sink, adapter, { reply: { status: 200, body: {} }, events: [parse(adapter.id, JSON.stringify(f.event), Date.now())] });
        return { data: JSON.stringify({ ack: f.frame, body: reply.body }), ...(afterAck ? { afterAck } : {}) };
      });
    },
  });
  conn.start();
  return () => conn.stop();
}

function acmePlatform(id: string): PlatformDefinition<AcmeConfig> {
  const P = id.toUpperCase();
  return definePlatform<AcmeConfig>({
    id,
    title: `Acme (${id})`,
    vars: [
      { name: `${P}_MODE`, default: 'http', meaning: 'http, ws or send' },
      { name: `${P}_SECRET`, meaning: 'signing secret' },
      { name: `${P}_API`, meaning: 'API base' },
      { name: `${P}_WS`, meaning: 'long connection URL' },
    ],
    howToEnable: `${id} is not configured (set ${P}_SECRET)`,
    readConfig(v) {
      const secret = v.secret(`${P}_SECRET`, 16);
      if (!secret) return undefined;
      const mode = (v.get(`${P}_MODE`) ?? 'http') as AcmeConfig['mode'];
      if (!['http', 'ws', 'send'].includes(mode)) v.problem(`${P}_MODE: must be http, ws or send`);
      const ws = v.get(`${P}_WS`);
      return { mode, secret: secret.reveal(), api: v.baseUrl(`${P}_API`, 'http://127.0.0.1:9'), ...(ws ? { ws } : {}) };
    },
    async start(cfg) {
      const adapter = new AcmeAdapter(id, cfg);
      let stop: (() => Promise<void>) | undefined;
      return {
        adapter,
        http: cfg.mode !== 'ws',
        ...(cfg.mode === 'ws' ? { routeOff: `${id} runs over its long connection`, connect: (sink: EventSink) => void (stop = connect(adapter, sink)) } : {}),
        summary: { mode: cfg.mode },
        close: async () => await stop?.(),
      };
    },
  });
}

// ---- helpers ---------------------------------------------------------------------------------------
const base = readFileSync(join(ROOT, 'test/fixtures/policy.yaml'), 'utf8');
function policyFor(id: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-seam-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, base.replace(/ids: \{ console: (\w+) \}/g, `ids: { console: $1, ${id}: "$1-acme" }`));
  return file;
}

async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${debug ? `\n${debug()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let seq = 0;
/** What the failure message shows: the app's error and warning lines. */
let debug: (() => string) | undefined;
async function post(app: TestApp, id: string, event: Record<string, unknown>, o: { secret?: string; ts?: number } = {}) {
  const body = JSON.stringify({ id: `ev-${++seq}`, chat: 'ops-room', ...event });
  const ts = String(o.ts ?? Date.now());
  const res = await fetch(`${app.url}/webhooks/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-acme-timestamp': ts, 'x-acme-signature': sign(o.secret ?? SECRET, `${ts}\n${body}`) }, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

const button = (p: Posted, label: string) => p.buttons.find((b) => b.label === label)?.value as string;

// ---- the tests -------------------------------------------------------------------------------------
describe('a throwaway platform over HTTP callbacks (no toast, single-use card handles)', () => {
  const id = 'acme';
  const api = new FakeAcmeApi();
  let app: TestApp;
  beforeAll(async () => {
    await api.start();
    debug = () => `${JSON.stringify({ sent: api.sent.map((c) => c.title), updates: api.updates.map((c) => c.title), rejected: api.rejected })}\n${app.logs.text.split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n')}`;
    app = await startTestApp({ ACME_SECRET: SECRET, ACME_API: api.url, OPSBOT_CONFIG: policyFor(id) }, { platforms: [...PLATFORMS, acmePlatform(id)] });
  });
  afterAll(async () => {
    await app?.stop();
    await api.stop();
  });

  it('answers a signed GET verification with the bare echo as text/plain; refuses a bad signature and a stale timestamp', async () => {
    const ts = String(Date.now());
    const ok = await fetch(`${app.url}/webhooks/${id}?echo=hello-42&ts=${ts}&sig=${sign(SECRET, `${ts}\nhello-42`)}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('hello-42');
    expect((await post(app, id, { type: 'message', user: 'alice-acme', text: '/pods' }, { secret: 'wrong-secret-000000000' })).status).toBe(401);
    expect((await post(app, id, { type: 'message', user: 'alice-acme', text: '/pods' }, { ts: Date.now() - 600_000 })).status).toBe(401);
    expect((await post(app, id, { type: 'nonsense', user: 'alice-acme' })).status).toBe(400);
    await app.dispatcher.idle();
    expect(api.sent).toHaveLength(0);
  });

  it('/scale → approval card → click → execution → card updated through successive single-use handles', async () => {
    const m = await post(app, id, { type: 'message', user: 'alice-acme', text: '/scale api-gateway 5 -n production' });
    expect(m).toMatchObject({ status: 200, text: 'ok' });
    expect(m.type).toMatch(/^text\/plain/);
    const card = await until(() => api.sent.find((c) => /^Approval needed · [A-Z0-9]{4}$/.test(c.title)), 'the approval card');
    expect(card.chat).toBe('ops-room');
    expect(card.buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);

    const click = await post(app, id, { type: 'click', user: 'bob-acme', value: button(card, 'Approve'), handle: card.handle });
    expect(click.status).toBe(200);
    const answer = JSON.parse(click.text) as { card?: Posted };
    expect(answer.card?.title).toMatch(/^Approved by Bob Li \d\d:\d\d — executing…/);
    await until(() => api.updates.some((u) => /^Done · /.test(u.title)), 'the Done update');
    await app.dispatcher.idle();
    const done = api.updates.find((u) => /^Done · /.test(u.title))!;
    expect(done.text).toMatch(/scaled production\/api-gateway 3 → 5/);
    // Every update used a live handle: the first the sent card's, each later one its predecessor's successor.
    expect(api.rejected).toEqual([]);
    expect(new Set(api.updates.map((u) => u.handle)).size).toBe(api.updates.length);
    expect(api.updates[0]?.handle).toBe(card.handle);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('without a toast, a refused click is answered as a message in the chat, and nothing runs', async () => {
    await post(app, id, { type: 'message', user: 'alice-acme', text: '/scale payment-service 4 -n production' });
    const card = await until(() => api.sent.find((c) => /^Approval needed/.test(c.title) && c.text.includes('payment-service')), 'the second approval card');
    const before = api.sent.length;
    const click = await post(app, id, { type: 'click', user: 'carol-acme', value: button(card, 'Approve'), handle: card.handle });
    expect(click.status).toBe(200);
    expect(JSON.parse(click.text)).not.toHaveProperty('card');
    const refusal = await until(() => api.sent.slice(before).find((c) => c.text.length > 0), 'the refusal message');
    expect(refusal.chat).toBe('ops-room');
    expect(refusal.title + refusal.text).toMatch(/not allowed|may not|cannot|role/i);
    expect(app.demo!.count('PATCH', /payment-service\/scale$/, { dryRun: false })).toBe(0);
  });

  it('a chat is its platform and its id: a console room of the same name cannot use this chat\'s buttons or approvals', async () => {
    await post(app, id, { type: 'message', user: 'alice-acme', text: '/scale user-service 4 -n production' });
    const card = await until(() => api.sent.find((c) => /^Approval needed/.test(c.title) && c.text.includes('user-service')), 'the approval card');
    const approvalId = /· ([A-Z0-9]{4})$/.exec(card.title)![1]!;
    // What reaches the platform is a short id; its signed payload stays on the server.
    expect(button(card, 'Approve')).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const click = await app.router.act({ platform: 'console', userId: 'bob', chatId: 'ops-room', payload: button(card, 'Approve') });
    expect(click.refused).toMatch(/another chat/);
    const typed = await app.send('bob', `/approve ${approvalId}`, 'ops-room');
    expect(typed[0]?.title + (typed[0]?.text ?? '')).toMatch(/another chat/);
    // The console room of the same name does not list the other platform's approval.
    const listed = await app.send('bob', '/approvals', 'ops-room');
    expect(listed[0]!.text).not.toContain(approvalId);
    await app.dispatcher.idle();
    expect(app.demo!.count('PATCH', /user-service\/scale$/, { dryRun: false })).toBe(0);
  });

  it('a reply handle is used while it is valid, never after its expiry: then the card goes to the chat', async () => {
    const fresh = api.issueReply(60_000);
    const before = api.sent.length;
    await post(app, id, { type: 'message', user: 'alice-acme', text: '/pods -n production', reply: fresh });
    const answered = await until(() => api.sent[before], 'the reply');
    expect(answered.reply).toBe(fresh.ref);
    // About to expire (inside core's margin): not used, so the platform does not refuse the card.
    const stale = api.issueReply(1000);
    await post(app, id, { type: 'message', user: 'alice-acme', text: '/pods -n production', reply: stale });
    const toChat = await until(() => api.sent[before + 1], 'the second reply');
    expect(toChat.reply).toBeUndefined();
    expect(toChat.chat).toBe('ops-room');
    await app.dispatcher.idle();
    expect(api.rejected).toEqual([]);
  });

  it('a platform with no credentials answers 404 on its route and says why', async () => {
    const r = await fetch(`${app.url}/webhooks/feishu`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'feishu is not configured (set FEISHU_APP_ID and FEISHU_APP_SECRET)' });
  });
});

describe('the same platform over a long connection', () => {
  const id = 'acmews';
  const api = new FakeAcmeApi();
  let wss: WebSocketServer;
  let app: TestApp;
  let peer: WebSocket;
  const acks = new Map<string, unknown>();
  const push = async (event: Record<string, unknown>) => {
    const frame = `f-${++seq}`;
    peer.send(JSON.stringify({ frame, event: { id: `ev-${++seq}`, chat: 'ops-room', ...event } }));
    return until(() => acks.get(frame), `ack of ${frame}`);
  };
  beforeAll(async () => {
    await api.start();
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const connected = new Promise<WebSocket>((r) => wss.once('connection', r));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    app = await startTestApp({ ACMEWS_SECRET: SECRET, ACMEWS_MODE: 'ws', ACMEWS_WS: url, ACMEWS_API: api.url, OPSBOT_CONFIG: policyFor(id) }, { platforms: [acmePlatform(id)] });
    wss.on('connection', (ws) => {
      peer = ws;
      ws.on('message', (d: Buffer) => {
        const a = JSON.parse(d.toString()) as { ack: string; body: unknown };
        acks.set(a.ack, a.body);
      });
    });
    await connected;
  });
  afterAll(async () => {
    await app?.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await api.stop();
  });

  it('the HTTP route is off while the long connection runs', async () => {
    const r = await fetch(`${app.url}/webhooks/${id}`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: `${id} runs over its long connection` });
  });

  it('/scale → card → click acked with the card → scaled → updated in place', async () => {
    expect(await push({ type: 'message', user: 'alice-acme', text: '/scale api-gateway 6 -n production' })).toEqual({});
    const card = await until(() => api.sent.find((c) => /^Approval needed/.test(c.title)), 'the approval card');
    const ack = (await push({ type: 'click', user: 'bob-acme', value: button(card, 'Approve'), handle: card.handle })) as { card?: Posted };
    expect(ack.card?.title).toMatch(/executing…/);
    await until(() => api.updates.some((u) => /^Done · /.test(u.title)), 'the Done update');
    await app.dispatcher.idle();
    expect(api.rejected).toEqual([]);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });

  it('a dropped connection comes back by itself (core reconnects) and the next command works', async () => {
    const old = peer;
    const sentBefore = api.sent.length;
    old.terminate();
    await until(() => peer !== old && peer.readyState === 1, 'the reconnection');
    expect(await push({ type: 'message', user: 'alice-acme', text: '/status' })).toEqual({});
    const reply = await until(() => api.sent[sentBefore], 'the /status reply');
    expect(reply.title + reply.text).toMatch(/production/);
  });
});

describe('the send-only variant: no buttons, no card updates', () => {
  const id = 'acmesend';
  const api = new FakeAcmeApi();
  let app: TestApp;
  beforeAll(async () => {
    await api.start();
    app = await startTestApp({ ACMESEND_SECRET: SECRET, ACMESEND_MODE: 'send', ACMESEND_API: api.url, OPSBOT_CONFIG: policyFor(id) }, { platforms: [acmePlatform(id)] });
  });
  afterAll(async () => {
    await app?.stop();
    await api.stop();
  });

  it('the card says what to type instead of showing dead buttons; each new state is a new card', async () => {
    await post(app, id, { type: 'message', user: 'alice-acme', text: '/scale api-gateway 4 -n production' });
    const card = await until(() => api.sent.find((c) => /^Approval needed/.test(c.title)), 'the approval card');
    const approvalId = /· ([A-Z0-9]{4})$/.exec(card.title)![1]!;
    expect(card.buttons).toEqual([]);
    expect(card.text).toContain(`/approve ${approvalId}`);
    expect(card.text).toContain(`/reject ${approvalId} <reason>`);
    await post(app, id, { type: 'message', user: 'bob-acme', text: `/approve ${approvalId}` });
    await until(() => api.sent.some((c) => /^Done · /.test(c.title)), 'the Done card');
    await app.dispatcher.idle();
    expect(api.updates).toEqual([]);
    // Each state in order, and not one card per internal update: the Done state is posted once. (The
    // /approve reply and the request's card can both post "executing…" when they race; see the note.)
    const states = api.sent.map((c) => c.title.replace(/ \d\d:\d\d/g, '').replace(/ · [A-Z0-9]{4}/, ''));
    expect(states.filter((t, i) => t !== states[i - 1])).toEqual(['Approval needed', 'Approved by Bob Li — executing…', 'Done · approved by Bob Li']);
    expect(states.filter((t) => t.startsWith('Done'))).toHaveLength(1);
    expect(app.demo!.count('PATCH', /api-gateway\/scale$/, { dryRun: false })).toBe(1);
  });
});
