import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A local WeCom for tests (platforms.md §3): the intelligent bot's long connection (frames of
 * vectors/wecom-aibot-frames.json: subscribe, ping, callbacks, replies acked by req_id, a second
 * connection kicking the first with disconnected_event) and the server API (gettoken, message/send,
 * update_template_card, response_url, group-robot webhook, 紧急通知). It validates template cards as
 * WeCom does (card_type, ≤ 6 buttons, key ≤ 1,024 bytes, task_id alphabet and length) and records all.
 */
export interface BotSent {
  cmd: string;
  reqId: string;
  body: Record<string, unknown>;
}

const TASK_ID = /^[A-Za-z0-9_\-@]{1,128}$/;

export function templateCardProblem(c: unknown): string | undefined {
  const card = c as { card_type?: string; task_id?: string; button_list?: { text?: string; key?: string; style?: number }[]; main_title?: { title?: string } };
  if (!card || typeof card !== 'object') return 'template_card missing';
  if (!['button_interaction', 'text_notice'].includes(card.card_type ?? '')) return `card_type ${card.card_type}`;
  if (!card.main_title?.title) return 'main_title.title missing';
  if (card.card_type === 'button_interaction') {
    if (!TASK_ID.test(card.task_id ?? '')) return `task_id ${card.task_id}`;
    const b = card.button_list ?? [];
    if (!b.length || b.length > 6) return `button_list has ${b.length} buttons`;
    if (b.some((x) => !x.text || !x.key || Buffer.byteLength(x.key) > 1024 || ![1, 2, 3, 4].includes(x.style ?? 1))) return 'bad button';
  }
  return undefined;
}

export class FakeWecom {
  readonly botId: string;
  readonly botSecret: string;
  readonly corpId = 'ww0a1b2c3d4e5f6a7b';
  readonly appSecret = 'opsbotWeComAppSecret0123456789abcdefghijklmn';
  readonly sent: BotSent[] = [];
  readonly rejected: string[] = [];
  readonly appMessages: Record<string, unknown>[] = [];
  readonly cardUpdates: Record<string, unknown>[] = [];
  readonly urlPosts: { code: string; body: Record<string, unknown> }[] = [];
  readonly robotPosts: { key: string; body: Record<string, unknown> }[] = [];
  readonly calls: string[][] = [];
  readonly robots = new Set<string>();
  subscribes = 0;
  robotFailNext = 0;
  #live?: WebSocket;
  readonly #sockets = new Set<WebSocket>();
  readonly #tokens = new Set<string>();
  readonly #codes = new Set<string>();
  #server?: Server;
  #wss?: WebSocketServer;
  url = '';
  wsUrl = '';

  constructor(o: { botId?: string; botSecret?: string } = {}) {
    this.botId = o.botId ?? 'aibopsbot0001';
    this.botSecret = o.botSecret ?? 'opsbot-wecom-bot-secret-0001';
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => void this.#http(req, res));
    this.#wss = new WebSocketServer({ server: this.#server, path: '/ws' });
    this.#wss.on('connection', (ws) => {
      this.#sockets.add(ws);
      ws.on('close', () => this.#sockets.delete(ws));
      ws.on('message', (d: Buffer) => this.#frame(ws, d));
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    const port = (this.#server!.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws`;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.terminate();
    this.#wss?.close();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()));
  }

  get live(): WebSocket | undefined {
    return this.#live && this.#live.readyState === 1 ? this.#live : undefined;
  }

  /** A response_url for a callback: single use, as WeCom's. */
  responseUrl(): string {
    const code = `RC${randomUUID().replace(/-/g, '')}`;
    this.#codes.add(code);
    return `${this.url}/cgi-bin/aibot/response?response_code=${code}`;
  }

  /** Pushes a callback frame to the subscribed connection. */
  push(cmd: 'aibot_msg_callback' | 'aibot_event_callback', reqId: string, body: Record<string, unknown>): void {
    if (!this.live) throw new Error('no subscribed connection');
    this.live.send(JSON.stringify({ cmd, headers: { req_id: reqId }, body }));
  }

  #frame(ws: WebSocket, d: Buffer): void {
    let f: { cmd?: string; headers?: { req_id?: string }; body?: Record<string, unknown> };
    try {
      f = JSON.parse(d.toString()) as typeof f;
    } catch {
      this.rejected.push('non-JSON frame');
      return;
    }
    const reqId = f.headers?.req_id ?? '';
    const ack = (errcode = 0, errmsg = 'ok') => ws.send(JSON.stringify({ headers: { req_id: reqId }, errcode, errmsg }));
    if (!reqId) return void this.rejected.push(`frame without req_id: ${f.cmd}`);
    if (f.cmd === 'aibot_subscribe') {
      if (f.body?.['bot_id'] !== this.botId || f.body?.['secret'] !== this.botSecret) {
        this.rejected.push('subscribe with bad credentials');
        return ack(40001, 'invalid credential');
      }
      // One live connection per bot: the old one is told, then closed.
      if (this.#live && this.#live !== ws && this.#live.readyState === 1) {
        const old = this.#live;
        old.send(JSON.stringify({ cmd: 'aibot_event_callback', headers: { req_id: `evt_${Date.now()}` }, body: { msgtype: 'event', event: { eventtype: 'disconnected_event' } } }));
        setTimeout(() => old.close(), 50);
      }
      this.#live = ws;
      this.subscribes++;
      return ack();
    }
    if (ws !== this.#live) {
      this.rejected.push(`${f.cmd} on a connection that is not subscribed`);
      return ack(40001, 'not subscribed');
    }
    if (f.cmd === 'ping') return ack();
    if (['aibot_respond_msg', 'aibot_respond_update_msg', 'aibot_send_msg'].includes(f.cmd ?? '')) {
      const body = f.body ?? {};
      const card = f.cmd === 'aibot_respond_update_msg' ? body['template_card'] : body['msgtype'] === 'template_card' ? body['template_card'] : undefined;
      if (f.cmd === 'aibot_respond_update_msg' && body['response_type'] !== 'update_template_card') return ack(40008, 'response_type');
      if (card !== undefined) {
        const p = templateCardProblem(card);
        if (p) {
          this.rejected.push(`${f.cmd}: ${p}`);
          return ack(40008, p);
        }
      }
      if (f.cmd === 'aibot_send_msg' && typeof body['chatid'] !== 'string') return ack(40008, 'chatid');
      if (body['msgtype'] === 'markdown' && Buffer.byteLength(String((body['markdown'] as { content?: string } | undefined)?.content ?? '')) > 20_480) return ack(40058, 'too long');
      this.sent.push({ cmd: f.cmd as string, reqId, body });
      return ack();
    }
    this.rejected.push(`unknown cmd ${f.cmd}`);
    ack(40008, 'unknown cmd');
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://x');
    const reply = (j: Record<string, unknown>) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', ...j }));
    };
    const fail = (errcode: number, errmsg: string) => {
      this.rejected.push(`${u.pathname}: ${errcode} ${errmsg}`);
      reply({ errcode, errmsg });
    };
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return fail(47001, 'data format error');
    }
    if (u.pathname === '/cgi-bin/gettoken') {
      if (u.searchParams.get('corpid') !== this.corpId || u.searchParams.get('corpsecret') !== this.appSecret) return fail(40001, 'invalid credential');
      const t = `wt-${randomUUID()}`;
      this.#tokens.add(t);
      return reply({ access_token: t, expires_in: 7200 });
    }
    if (u.pathname === '/cgi-bin/aibot/response') {
      const code = u.searchParams.get('response_code') ?? '';
      if (!this.#codes.delete(code)) return fail(93011, 'response_code used or unknown');
      if (body['msgtype'] === 'template_card' && templateCardProblem(body['template_card'])) return fail(40008, 'bad template_card');
      this.urlPosts.push({ code, body });
      return reply({});
    }
    if (u.pathname === '/cgi-bin/webhook/send') {
      const key = u.searchParams.get('key') ?? '';
      if (!this.robots.has(key)) return fail(93000, 'invalid webhook url');
      if (this.robotFailNext > 0) {
        this.robotFailNext--;
        return fail(45009, 'api freq out of limit');
      }
      const content = String((body['markdown'] as { content?: string } | undefined)?.content ?? '');
      if (body['msgtype'] !== 'markdown' || !content) return fail(40008, 'markdown');
      if (Buffer.byteLength(content) > 4096) return fail(40058, 'content exceed max length');
      this.robotPosts.push({ key, body });
      return reply({});
    }
    if (!this.#tokens.has(u.searchParams.get('access_token') ?? '')) return fail(40014, 'invalid access_token');
    if (u.pathname === '/cgi-bin/message/send') {
      if (typeof body['touser'] !== 'string' || !body['agentid']) return fail(40008, 'touser/agentid');
      if (body['msgtype'] === 'template_card' && templateCardProblem(body['template_card'])) return fail(40008, 'bad template_card');
      this.appMessages.push(body);
      const rc = `RC${randomUUID().slice(0, 8)}`;
      return reply({ msgid: `msg${randomUUID().slice(0, 8)}`, ...(body['msgtype'] === 'template_card' ? { response_code: rc } : {}) });
    }
    if (u.pathname === '/cgi-bin/message/update_template_card') {
      if (!body['response_code'] || !Array.isArray(body['userids'])) return fail(40008, 'response_code/userids');
      if (templateCardProblem(body['template_card'])) return fail(40008, 'bad template_card');
      this.cardUpdates.push(body);
      return reply({ invaliduser: [] });
    }
    if (u.pathname === '/cgi-bin/pstncc/call') {
      const to = body['callee_userid'];
      if (!Array.isArray(to) || !to.length) return fail(40008, 'callee_userid');
      this.calls.push(to as string[]);
      return reply({ states: (to as string[]).map((id) => ({ code: id.startsWith('sre_') ? 0 : 301050, callid: randomUUID(), callee_userid: id })) });
    }
    fail(404, `unknown ${u.pathname}`);
  }
}
